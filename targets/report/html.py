"""build/report.html: one self-contained page (inline CSS and SVG, nothing fetched).

Pure: a function of the records (smoke.json, release.json, bench.json) and the
figures the command gathered (image sizes, build times). Every value from a
record is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from .charts import Part, stacked

RANK = {"pass": 0, "differs": 1, "fail": 2}
MARK = {"pass": "ok", "fail": "FAIL", "differs": "differs*"}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2330;max-width:1100px}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #dde}
.meta{color:#667}table{border-collapse:collapse}th,td{padding:.25rem .6rem;border:1px solid #dde;text-align:left}
th{background:#f3f4f8}td.pass{background:#dff3e3;color:#17642b}td.fail{background:#fbdcdc;color:#8c1414;font-weight:600}
td.differs{background:#fff1cc;color:#7a5300}td.none{color:#aab}tr.total td{font-weight:600;background:#f7f7fa}
svg.chart{display:block;margin:.5rem 0 1.2rem}svg text{font:12px system-ui,sans-serif;fill:#1d2330}
svg text.title{font-weight:600;font-size:13px}svg text.value,svg text.legend{fill:#556}
code{background:#f3f4f8;padding:0 .25rem;border-radius:3px;word-break:break-all}.empty{color:#889}
"""


@dataclass
class Figures:
    """What the page shows beyond the records: gathered by the report command."""

    sizes: list[tuple[str, float, float]] = field(default_factory=list)  # label, base MB, above base MB
    build_times: list[tuple[str, list[Part]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def matrix(smoke: Mapping[str, Any]) -> str:
    entries = smoke.get("targets", {})
    targets = sorted(entries)
    results = [r for t in targets for r in entries[t].get("results", [])]
    if not results:
        return '<p class="empty" id="parity">No smoke results yet: run <code>invoke smoke</code>.</p>'
    checks = list(dict.fromkeys(r["check"] for r in results))
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        key = (r["target"], r["check"])
        if key not in cells or RANK[r["status"]] > RANK[cells[key]["status"]]:
            cells[key] = r
    head = "".join(f"<th>{escape(t)}<br><small>{escape(str(entries[t].get('env', '')))}</small></th>" for t in targets)
    rows = [f"<tr><th>check</th>{head}</tr>"]
    for check in checks:
        tds = []
        for t in targets:
            r = cells.get((t, check))
            if r is None:
                tds.append('<td class="none">-</td>')
                continue
            tip = r.get("note") or (f"expected {r.get('expected', '')}; got {r.get('got', '')}" if r["status"] == "fail"
                                    else r.get("got", ""))
            tds.append(f'<td class="{r["status"]}" title="{escape(str(tip))}">{MARK[r["status"]]}</td>')
        rows.append(f"<tr><th>{escape(check)}</th>{''.join(tds)}</tr>")
    totals = []
    for t in targets:
        mine = [c["status"] for (tt, _), c in cells.items() if tt == t]
        totals.append(f"<td>{sum(s != 'fail' for s in mine)}/{len(mine)}</td>")
    rows.append(f'<tr class="total"><th>passed</th>{"".join(totals)}</tr>')
    reasons = {f"{c['target']} {c['check']}": c.get("note", "") for c in cells.values() if c["status"] == "differs"}
    failures = [f"{c['target']} [{c['variant']}] {c['check']}: expected {c['expected']}; got {c['got']}"
                for c in cells.values() if c["status"] == "fail"]
    notes = "".join(f"<li><b>differs by platform</b>, {escape(k)}: {escape(v)}</li>" for k, v in reasons.items())
    notes += "".join(f"<li><b>FAIL</b> {escape(f)}</li>" for f in failures)
    return (f'<table id="parity">{"".join(rows)}</table>' + (f'<ul id="reasons">{notes}</ul>' if notes else ""))


def boot_rows(smoke: Mapping[str, Any]) -> list[tuple[str, list[Part]]]:
    rows = []
    for target, entry in sorted(smoke.get("targets", {}).items()):
        for r in entry.get("results", []):
            if r.get("check") == "boot" and r.get("status") == "pass":
                try:
                    rows.append((f"{target} · {r['variant']}", [("first answer", float(str(r["got"]).split()[0]))]))
                except (ValueError, IndexError):
                    continue
    return rows


def release(record: Mapping[str, Any]) -> str:
    if not record:
        return '<p class="empty" id="release">No release yet: <code>invoke publish</code> writes build/release.json.</p>'
    meta = (f"<p class=\"meta\">commit <code>{escape(str(record.get('tag', record.get('git_sha', ''))))}</code>, "
            f"environment <b>{escape(str(record.get('environment', '')))}</b>, {escape(str(record.get('time', '')))}</p>")
    rows = []
    for name, entry in sorted(record.get("targets", {}).items()):
        artifacts = [str(v) for k, v in sorted(entry.items()) if k.startswith("image") or k == "object"]
        rows.append(f"<tr><th>{escape(name)}</th><td>{escape(str(entry.get('kind', '')))}</td>"
                    f"<td>{'<br>'.join(f'<code>{escape(a)}</code>' for a in artifacts)}</td></tr>")
    commands = "".join(f"<li><code>{escape(str(c))}</code></li>" for c in record.get("commands", []))
    return (f'<div id="release">{meta}<table><tr><th>target</th><th>kind</th><th>published</th></tr>{"".join(rows)}'
            f"</table>" + (f"<p>Deploy with:</p><ul>{commands}</ul>" if commands else "") + "</div>")


def page(title: str, smoke: Mapping[str, Any], release_record: Mapping[str, Any], figures: Figures,
         generated: str) -> str:
    sizes = [(label, [("base image", base), ("above base", above)]) for label, base, above in figures.sizes]
    notes = "".join(f"<li>{escape(n)}</li>" for n in figures.notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">Generated {escape(generated)} by <code>invoke report</code>. Self-contained: it loads nothing.</p>
<h2>Parity: every check on every target</h2>
{matrix(smoke)}
<h2>Image size</h2>
{stacked("chart-size", "Image size per target (MB): the base image and what the build added", sizes, "MB")}
<h2>Build time</h2>
{stacked("chart-build", "Build time (s)", figures.build_times, "s")}
<h2>Cold start</h2>
{stacked("chart-boot", "Container start to first answer below 500, per way each platform runs it (s)", boot_rows(smoke), "s")}
<h2>Release</h2>
{release(release_record)}
{f'<h2>Notes</h2><ul id="notes">{notes}</ul>' if notes else ''}
</body></html>
"""

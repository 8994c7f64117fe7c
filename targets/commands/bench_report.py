"""The bench table: each figure, both arms, the ratio, and the issue's budget for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MB = 1e6


def _s(figure: dict[str, Any]) -> str:
    return f"{figure['median']:.2f} s ({figure['min']:.2f}-{figure['max']:.2f})"


def _ratio(ours: float, naive: float) -> float | None:
    """ours / naive; None (no ratio shown) where the naive arm measured nothing, e.g. an aborted load."""
    return ours / naive if naive else None


def _row(name: str, ours: str, naive: str, ratio: float | None, budget: str, met: bool | None) -> list[str]:
    return [name, ours, naive, "" if ratio is None else f"{ratio:.2f}x", budget,
            "" if met is None else ("met" if met else "MISSED")]


def _rows(f: dict[str, Any]) -> list[list[str]]:
    rows = []
    ours, naive = f["build"]["ours"], f["build"]["naive"]
    checks: dict[str, tuple[str, Callable[[float, float], bool]]] = {
        "cold": ("<= 0.6x naive", lambda o, n: o <= 0.6 * n),
        "noop": ("<= 0.6 s and <= 2x naive", lambda o, n: o <= 0.6 and o <= 2 * n),
        "edit": ("<= 0.3x naive", lambda o, n: o <= 0.3 * n),
    }
    labels = {"cold": "cold build, all targets", "noop": "no-op rebuild", "edit": "rebuild after a one-line edit"}
    for key, (budget, ok) in checks.items():
        o, n = ours[key]["median"], naive[key]["median"]
        busy = _busy(ours[key], n, "naive") if key == "cold" else ""
        rows.append(_row(labels[key], _s(ours[key]) + busy, _s(naive[key]), _ratio(o, n), budget, ok(o, n)))
        if key == "cold" and ours.get("cold_install"):  # the install made again on the host too
            o = ours["cold_install"]["median"]
            busy = _busy(ours["cold_install"], n, "naive")
            rows.append(_row("cold, venv tars made again too", _s(ours["cold_install"]) + busy, _s(naive[key]),
                             _ratio(o, n), budget, ok(o, n)))
    so, sn = f["sizes"]["ours"], f["sizes"]["naive"]
    worst = max(i["above_base"] for i in so["images"].values() if i["above_base"] < 100 * MB)
    rows.append(_row("image sizes, total", f"{so['total'] / MB:.1f} MB", f"{sn['total'] / MB:.1f} MB",
                     _ratio(so["total"], sn["total"]), "", None))
    rows.append(_row("largest app image above base", f"{worst / MB:.1f} MB",
                     f"{max(i['above_base'] for i in sn['images'].values()) / MB:.1f} MB", None, "<= 12 MB",
                     worst <= 12 * MB))
    rows.append(_row("unique bytes above base", f"{so['unique_above_base'] / MB:.1f} MB",
                     f"{sn['unique_above_base'] / MB:.1f} MB", _ratio(so["unique_above_base"], sn["unique_above_base"]),
                     "<= 15 MB", so["unique_above_base"] <= 15 * MB))
    for target, arms in f["serve"].items():
        o, n = arms["ours"], arms["naive"]
        # With the floor under it, where measured: a bare Python server's first 200 in the image.
        bare = f"; bare python -m http.server in it: {arms['bare']['first_200']['median']:.2f} s" \
            if "bare" in arms else ""
        limits = f" ({arms['limits']})" if "limits" in arms else ""  # not in a record from before
        rows.append(_row(f"{target}: docker run -> first 200{limits}", _s(o["first_200"]) + bare, _s(n["first_200"]),
                         _ratio(o["first_200"]["median"], n["first_200"]["median"]), "<= 0.4 s", o["first_200"]["median"] <= 0.4))
        killed = " (SIGKILL)" if n["killed"] else ""
        rows.append(_row(f"{target}: stop after SIGTERM{limits}", _s(o["stop"]), _s(n["stop"]) + killed,
                         _ratio(o["stop"]["median"], n["stop"]["median"]), "<= 1 s", o["stop"]["median"] <= 1.0))
    smoke = f["smoke"]["ours"]
    rows.append(_row("smoke, all targets", _s(smoke) + _busy(smoke), "-", None, "<= 6 s", smoke["median"] <= 6.0))
    for target, load in f["load"].items():
        o, n = load["ours"], load["naive"]
        # "on its loopback": ab ran in the container's network namespace (bench_figures._its_loopback).
        where = ", on its loopback" if o.get("loopback") and n.get("loopback") else ""
        rows.append(_row(f"{target}: requests/s ({load['limits']}{where})", _load(o), _load(n),
                         _ratio(o["rps"], n["rps"]), ">= naive, 0 errors",
                         o["rps"] >= n["rps"] and o["errors"] == 0))
    for target, size in f["zip"]["ours"].items():
        rows.append(_row(f"{target}: zip", f"{size / 1e3:.1f} kB", f"{f['zip']['naive'] / 1e3:.1f} kB",
                         _ratio(size, f["zip"]["naive"]), "", None))
    if "scale" in f:
        s = f["scale"]
        # A record from before smoke ran alike targets once has no smoke_distinct.
        for key in ("cold", "noop", "smoke", "smoke_distinct"):
            if key not in s:
                continue
            # A record from before the 16 had rounds has no spread.
            spread = f" ({s['spread'][key][0]:.2f}-{s['spread'][key][1]:.2f})" if s.get("rounds", 1) > 1 else ""
            what = {"smoke": "smoke (4 of each target, alike)", "smoke_distinct": "smoke (no two alike)"}.get(key, key)
            rows.append(_row(f"16 targets vs 4: {what}", f"{s[key]:.2f} s{spread}" + _floor(s, key), "-",
                             s["ratio"][key], "<= 2x of 4", s["ratio"][key] <= 2.0))
    return rows


def _busy(figure: dict[str, Any], against: float | None = None, of: str = "") -> str:
    """The floor under a figure, as _floor() has it for the 16 targets: the machine's busy
    CPU-seconds over its median run, over the cores (and that as a ratio to `against`, the
    naive arm's median). Nothing for a record from before it was kept."""
    if "cpu" not in figure:
        return ""
    floor = figure["cpu"] / figure["cores"]
    ratio = f", {floor / against:.2f}x of {of}" if against else ""
    return f"; machine busy {figure['cpu']:.1f} CPU-s on {figure['cores']} cores: >= {floor:.2f} s{ratio}"


def _floor(scale: dict[str, Any], key: str) -> str:
    """How busy the machine was over the 16's run: its CPU-seconds (every process, the
    kernel, and anything else that ran meanwhile), over the cores, as the least wall time
    that much work takes here, and that as a ratio to the 4's wall time. On a quiet
    machine it is the run's own cost: where it is above the budget, another order of
    the same work cannot meet it; only less work can."""
    cpu = scale.get("cpu", {}).get(key)
    if cpu is None or not scale["ratio"][key]:
        return ""
    return _busy({"cpu": cpu, "cores": scale["cores"]}, scale[key] / scale["ratio"][key], "4")


def _load(arm: dict[str, Any]) -> str:
    # ab gives up when one request takes over 30 s: that round's rate is what the client got
    # over it, the wait included (records made before that say 0, and show no ratio).
    rounds = int(arm.get("rounds", 1))
    aborted = ""
    if arm.get("aborted"):
        aborted = ", aborted: a request took over 30 s" + (f" in {arm['aborted']:.0f} of {rounds} rounds"
                                                          if rounds > 1 else "")
    spread = arm.get("rps_spread")
    shown = f"{spread[0]:.0f}-{spread[1]:.0f}, " if spread and rounds > 1 else ""
    return f"{arm['rps']:.0f} ({shown}{arm['errors']:.0f} errors{aborted})"


def table(record: dict[str, Any]) -> str:
    header = ["figure (medians, spread)", "flaskship", "naive", "ratio", "budget", ""]
    rows = [header, *_rows(record["figures"])]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    engine = record.get("engine")  # not in a record from before it was kept
    held = f"; engine {engine['version']}, holding {engine['images']} images before the run" if engine else ""
    return f"bench: {len(record['targets'])} targets, {record['rounds']} round(s){held}\n" + "\n".join(lines)

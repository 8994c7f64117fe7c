"""build/report.html is a pure function of the records: complete, escaped, and fetching nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from targets import manifest
from targets.commands.report import report
from targets.report.charts import stacked
from targets.report.html import Figures, page
from tests.helpers import copy_demo

HOSTILE = '"><script>alert(1)</script>'
SMOKE = {"targets": {
    "web": {"env": "staging", "results": [
        {"target": "web", "variant": "PORT unset", "check": "boot", "status": "pass", "got": "0.41 s"},
        {"target": "web", "variant": "PORT unset", "check": "home", "status": "fail", "expected": "200", "got": HOSTILE},
    ]},
    "fn": {"env": "staging", "results": [
        {"target": "fn", "variant": "ff", "check": "boot", "status": "pass", "got": "0.52 s"},
        {"target": "fn", "variant": "ff", "check": "robots.txt", "status": "differs", "note": "the framework answers it"},
    ]},
}}
RELEASE = {"tag": "abc123-dirty", "environment": "production", "time": "2026-01-01T00:00:00+00:00",
           "targets": {"web": {"kind": "cloudrun", "image": "reg/web@sha256:" + "a" * 64}},
           "commands": ["gcloud run deploy web --image reg/web@sha256:" + "a" * 64]}


def test_page_has_the_matrix_the_three_charts_the_release_and_escapes_every_value() -> None:
    figures = Figures(sizes=[("web", 120.0, 8.5)], build_times=[("web: last build", [("last build", 3.2)])])
    html = page("flaskship: demo", SMOKE, RELEASE, figures, "now")
    assert '<table id="parity">' in html and '<td class="fail"' in html and '<td class="differs"' in html
    assert "differs by platform</b>, fn robots.txt: the framework answers it" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    for chart in ("chart-size", "chart-build", "chart-boot"):
        assert f'<svg id="{chart}"' in html
    assert html.count('class="bar"') == 2 + 1 + 2  # base + above; one build; two boots
    assert 'data-value="8.5"' in html and "(+8.50 above base)" in html
    assert "abc123-dirty" in html and "gcloud run deploy web" in html
    # Self-contained: no script, and no attribute that would fetch anything.
    assert "<script" not in html.replace("&lt;script", "")
    assert not re.search(r'\b(src|href)\s*=', html)
    assert "xmlns=\"http://www.w3.org/2000/svg\"" in html  # a namespace, not a fetch


def test_empty_records_say_what_to_run() -> None:
    html = page("x", {}, {}, Figures(), "now")
    assert "run <code>invoke smoke</code>" in html and "invoke publish" in html
    assert stacked("c", "t", [], "s") == '<p class="empty" id="c">t: no data yet.</p>'


def test_the_report_leaves_out_a_target_the_manifest_no_longer_names(tmp_path: Path) -> None:
    # smoke.json keeps it (another manifest of the folder may name it); the report must not show it.
    project_dir = copy_demo(tmp_path)
    names = sorted(yaml.safe_load((project_dir / "targets.yaml").read_text())["targets"])
    kept, removed = names[0], "retired"
    (project_dir / "build").mkdir()
    smoke = {"targets": {name: {"env": "development", "passed": True, "results": [
        {"target": name, "variant": "v", "check": "boot", "status": "pass", "got": "0.3 s"}]} for name in (kept, removed)}}
    (project_dir / "build" / "smoke.json").write_text(json.dumps(smoke))
    html = report(manifest.load(project_dir / "targets.yaml"), progress=lambda line: None).read_text()
    header = re.search(r'<table id="parity">.*?</tr>', html, re.S)
    assert header is not None and f"<th>{kept}<br>" in header.group(0)
    assert removed not in html
    assert "retired" in (project_dir / "build" / "smoke.json").read_text()  # still there for other manifests

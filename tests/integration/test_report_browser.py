"""invoke report, rendered by a real browser (Debian's headless Chromium), offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import invoke

pytestmark = pytest.mark.docker
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    browser = shutil.which("chromium")
    assert browser, "chromium is missing: run bin/setup (Debian's chromium package)"
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def test_report_renders_the_matrix_and_charts_in_chromium(built: Path, tmp_path: Path) -> None:
    manifest = str(built / "targets.yaml")
    smoke = invoke("smoke", "--manifest", manifest, "--json")  # cached when another test already smoked this build
    assert smoke.code == 0, smoke.stdout + smoke.stderr
    rows = json.loads(smoke.stdout)["targets"]  # stdout holds the document only
    assert [(r["target"], r["verdict"] in ("pass", "cached")) for r in rows] == \
        [(t, True) for t in ("cloudrun", "compose", "functions", "heroku")]
    junit = ET.parse(built / "build/junit.xml").getroot()
    assert [suite.get("name") for suite in junit] == ["cloudrun", "compose", "functions", "heroku"]
    assert junit.get("failures") == "0" and int(junit.get("tests", "0")) > 40
    result = invoke("report", "--manifest", manifest)
    assert result.code == 0, result.stderr
    page = built / "build/report.html"
    dom = chromium(page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    matrix = re.search(r'<table id="parity">(.*?)</table>', html, re.S)
    assert matrix, html[:2000]
    header = re.findall(r"<th>([a-z]+)<br>", matrix.group(1))
    assert header == ["cloudrun", "compose", "functions", "heroku"]
    assert matrix.group(1).count('class="pass"') > 40 and 'class="differs"' in matrix.group(1)
    # One size bar pair per image (cloudrun, compose app + nginx, functions runner, heroku), a build bar per
    # target, a cold-start bar per way each platform was run.
    size = re.search(r'<svg id="chart-size".*?</svg>', html, re.S)
    boot = re.search(r'<svg id="chart-boot".*?</svg>', html, re.S)
    build = re.search(r'<svg id="chart-build".*?</svg>', html, re.S)
    assert size and boot and build
    assert size.group(0).count('class="bar"') == 2 * 5
    assert build.group(0).count('class="bar"') >= 4
    assert boot.group(0).count('class="bar"') >= 5
    shot = tmp_path / "report.png"
    taken = chromium(page, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1200,1800")
    assert taken.returncode == 0 and shot.stat().st_size > 20_000, taken.stderr[-2000:]

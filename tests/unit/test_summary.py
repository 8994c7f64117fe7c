"""The end-of-task summary, --json and JUnit XML, from records (no Docker)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from targets import manifest
from targets.commands import fanout
from targets.errors import BuildFailed
from targets.records import BuildRecord
from targets.report import collect, junit, summary
from targets.report.rows import Row
from targets.ui.progress import Reporter

ZIP = {"path": "build/functions.zip", "sha256": "ab" * 32, "size": 4340}


def _record(root: Path, name: str, kind: str, key: str, **fields: object) -> None:
    folder = root / "build" / name
    folder.mkdir(parents=True, exist_ok=True)
    BuildRecord(name, kind, key=key, seconds=3.25, **fields).save(folder)  # type: ignore[arg-type]


def test_build_rows_tell_built_from_up_to_date_and_name_the_failure(project: Path) -> None:
    proj = manifest.load(project / "targets.yaml")
    _record(project, "functions", "functions", "k1", archives={"zip": ZIP})
    _record(project, "compose", "compose", "k1")
    names = ["compose", "functions", "heroku"]
    before = collect.snapshot("build", proj, names)
    _record(project, "functions", "functions", "k2", archives={"zip": ZIP})  # rebuilt in this run
    rows = collect.rows("build", proj, names, before, BuildFailed("heroku: image build failed: boom"))
    assert [(r.target, r.verdict) for r in rows] == [("compose", "not built"), ("functions", "built"), ("heroku", "FAIL")]
    assert rows[2].reason == "image build failed: boom"
    text = summary.table("build", rows, 9.5)
    lines = text.splitlines()
    assert lines[0].split() == list(summary.HEADERS)
    assert "build/functions.zip sha256:abababababab" in text and "4.3 kB" in text and "build 3.2 s" in text
    assert "build: 3 target(s): 1 not built, 1 built, 1 FAIL in 9.5 s" in text
    assert max(len(line) for line in lines) <= 100


def test_every_target_that_failed_in_the_run_is_a_fail_with_its_own_reason(project: Path) -> None:
    # Targets run side by side; the first failure is raised, the others ride on it. They
    # used to show as "not built", as if they had not been tried.
    proj = manifest.load(project / "targets.yaml")
    names = ["compose", "functions", "heroku"]
    before = collect.snapshot("build", proj, names)

    def fails(message: str) -> Callable[[], None]:
        def work() -> None:
            raise BuildFailed(message)
        return work

    # The first failure's message need not start with its target's name (an engine that is down).
    with pytest.raises(BuildFailed) as caught:
        fanout.run_each({"compose": lambda: None, "functions": fails("the Docker engine is not answering"),
                         "heroku": fails("heroku: cannot lock the dependencies")}, 2, Reporter())
    assert caught.value.message == "the Docker engine is not answering"
    rows = collect.rows("build", proj, names, before, caught.value)
    assert [(r.target, r.verdict, r.reason) for r in rows] == [
        ("compose", "not built", ""), ("functions", "FAIL", "the Docker engine is not answering"),
        ("heroku", "FAIL", "cannot lock the dependencies")]


def test_a_rerun_with_the_same_results_is_a_pass_and_only_a_reused_verdict_is_cached(project: Path) -> None:
    # A rerun of a quick target can give byte-identical results (its timings are rounded);
    # it was shown as cached because the table compared the entries before and after.
    proj = manifest.load(project / "targets.yaml")
    _record(project, "functions", "functions", "k1", archives={"zip": ZIP})
    _record(project, "heroku", "heroku", "k1")
    results = [{"target": "x", "variant": "v", "check": "boot", "status": "pass", "expected": "", "got": "0.21 s"}]

    def report(cached: set[str]) -> None:
        targets = {n: {"passed": True, "results": results, "cached": n in cached} for n in ("functions", "heroku")}
        (project / "build" / collect.SMOKE).write_text(json.dumps({"targets": targets}))

    report(set())
    names = ["functions", "heroku"]
    before = collect.snapshot("smoke", proj, names)
    report({"heroku"})  # functions ran again and got the same results; heroku's verdict was reused
    path = project / "build" / collect.SMOKE
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # rewritten, whatever the clock's tick
    rows = collect.rows("smoke", proj, names, before, None)
    assert [(r.target, r.verdict) for r in rows] == [("functions", "pass"), ("heroku", "cached")]


def test_a_target_with_several_failures_names_them_all_on_its_line(project: Path) -> None:
    # searxng's functions failed a static check and sigterm-stop; the table gave one reason for it,
    # under an error that counted both.
    proj = manifest.load(project / "targets.yaml")
    _record(project, "functions", "functions", "k1", archives={"zip": ZIP})
    names = ["functions"]
    before = collect.snapshot("smoke", proj, names)

    def fail(check: str, got: str) -> dict[str, str]:
        return {"target": "functions", "variant": "functions-framework", "check": check, "status": "fail",
                "expected": "200", "got": got}

    results = [fail("GET /static/a.css", "404"), fail("sigterm-stop", "10.51 s"), fail("sigterm-stop", "10.4 s")]
    (project / "build" / collect.SMOKE).write_text(json.dumps({"targets": {"functions": {"results": results}}}))
    row = collect.rows("smoke", proj, names, before, None)[0]
    assert (row.verdict, row.reason) == ("FAIL", "[functions-framework] GET /static/a.css: expected 200; got 404 "
                                                 "(and 2 more: [functions-framework] sigterm-stop (2x))")


def test_json_document_is_whole_and_says_what_failed() -> None:
    rows = [Row("web", "cloudrun", "FAIL", [{"role": "app", "ref": "r", "id": "sha256:" + "c" * 64, "size": 5}],
                1.5, "boot", "[PORT unset] home: expected 200; got 500")]
    doc = json.loads(summary.document("smoke", rows, 2.0, BuildFailed("smoke failed: 1 check(s) failed")))
    assert doc["ok"] is False and doc["error"] == "smoke failed: 1 check(s) failed"
    assert doc["targets"][0]["artifacts"][0]["id"] == "sha256:" + "c" * 64  # whole, not shortened
    assert json.loads(summary.document("smoke", rows[:0], 1.0, KeyboardInterrupt()))["error"] == "interrupted"


def test_step_summary_is_appended_under_github_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "summary.md"
    out.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(out))
    rows = [Row("fn", "functions", "pass", [dict(ZIP, role="zip")], 0.4, "boot")]
    summary.step_summary(summary.markdown("smoke", rows, 1.0))
    text = out.read_text()
    assert text.startswith("earlier step\n### flaskship smoke: 1/1 ok")
    assert "| fn | functions | `build/functions.zip sha256:abababababab` | 4.3 kB | boot 0.4 s | pass |" in text


def test_junit_has_a_case_per_check_failures_and_declared_differences_as_skips() -> None:
    results = [
        {"variant": "PORT unset", "check": "boot", "status": "pass", "expected": "", "got": "0.4 s"},
        {"variant": "PORT unset", "check": "home", "status": "fail", "expected": "200", "got": "500"},
        {"variant": "ff", "check": "robots.txt", "status": "differs", "expected": "", "got": "", "note": "framework"},
    ]
    report = {"targets": {"web": {"env": "staging", "results": results}, "other": {"results": results}}}
    root = ET.fromstring(junit.document(report, ["web", "missing"]).split("?>", 1)[1])
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "web" and len(root.findall("testsuite")) == 1
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases][1] == ("web.PORT unset", "home")
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "expected 200; got 500"
    skipped = cases[2].find("skipped")
    assert skipped is not None and "framework" in str(skipped.get("message"))

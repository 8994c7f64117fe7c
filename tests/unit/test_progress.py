"""What a person sees: one line per target, notices once, build logs only with --verbose."""

from __future__ import annotations

import io
import threading
import time

import pytest

from targets.commands.fanout import run_each
from targets.errors import BuildFailed
from targets.ui.lines import Detail, Notice
from targets.ui.progress import Reporter, interactive


def _plain(verbose: bool = False) -> tuple[Reporter, io.StringIO]:
    out = io.StringIO()
    return Reporter(verbose=verbose, live=False, stream=out), out


def test_plain_lines_keep_every_line_but_logs_and_repeated_notices() -> None:
    report, out = _plain()
    with report:
        for name in ("cloudrun", "heroku"):
            say = report.target(name)
            report.phase(name, "building (x)")
            say(f"  {name}: resolving wheels ...")
            say(Notice("  note: python:3.12-slim cannot be pulled here; using a stand-in", ("standin", "python")))
            say(Detail(f"  {name}: Step 1/17 : FROM base"))
            report.finish(name, "built in 1.0 s")
    lines = out.getvalue().splitlines()
    assert lines.count("  note: python:3.12-slim cannot be pulled here; using a stand-in") == 1
    assert not [line for line in lines if "Step " in line]
    assert "cloudrun: building (x) ..." in lines and "heroku: built in 1.0 s" in lines
    assert "  heroku: resolving wheels ..." in lines


def test_verbose_shows_the_build_log() -> None:
    report, out = _plain(verbose=True)
    with report:
        report.target("cloudrun")(Detail("  cloudrun: Step 1/17 : FROM base"))
    assert "Step 1/17" in out.getvalue()


def test_live_view_draws_one_line_per_target_and_keeps_notices() -> None:
    out = io.StringIO()
    with Reporter(live=True, stream=out) as report:
        say = report.target("cloudrun")
        report.target("compose")
        report.phase("cloudrun", "building")
        say("  cloudrun: installing dependencies")  # transient: it becomes the line's text
        say(Notice("  cloudrun [PORT unset] boot: FAIL"))
        report.finish("cloudrun", "built", ok=True)
        report.finish("compose", "failed: nginx -t", ok=False)
    text = out.getvalue()
    assert "cloudrun [PORT unset] boot: FAIL" in text
    assert "✓" in text and "✗" in text and "failed: nginx -t" in text
    assert report.outcomes["compose"].ok is False and report.outcomes["cloudrun"].seconds >= 0


def test_no_live_view_in_ci_or_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert interactive(Tty()) and not interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not interactive(Tty())


def test_every_target_runs_and_the_first_failure_in_order_is_raised() -> None:
    report, _ = _plain()
    ran: list[str] = []

    def work(name: str, fail: bool) -> str:
        time.sleep(0.05 if name == "a" else 0)
        ran.append(name)
        if fail:
            raise BuildFailed(f"{name}: broken")
        return name

    for jobs in (1, 3):
        ran.clear()
        with pytest.raises(BuildFailed, match="^a: broken"):
            run_each({"a": lambda: work("a", True), "b": lambda: work("b", True), "c": lambda: work("c", False)},
                     jobs, report)
        assert sorted(ran) == ["a", "b", "c"]
    assert run_each({"x": lambda: 1, "y": lambda: 2}, 2, report) == {"x": 1, "y": 2}


def test_the_longest_work_starts_first_and_the_first_failure_is_still_in_target_order() -> None:
    report, _ = _plain()
    started: list[str] = []

    def work(name: str) -> str:
        started.append(name)
        time.sleep(0.05)
        raise BuildFailed(f"{name}: broken")

    longest = {"a": 1, "b": 2, "c": 3}
    with pytest.raises(BuildFailed, match="^a: broken") as caught:
        run_each({name: (lambda name=name: work(name)) for name in "abc"}, 2, report, first=longest.__getitem__)
    assert sorted(started[:2]) == ["b", "c"] and started[2] == "a"  # two lanes: c and b, then a
    assert list(caught.value.also) == ["a", "b", "c"]
    started.clear()
    with pytest.raises(BuildFailed, match="^a: broken"):  # one lane (shared services): target order
        run_each({name: (lambda name=name: work(name)) for name in "abc"}, 1, report, first=longest.__getitem__)
    assert started == ["a", "b", "c"]


def test_cancel_unwinds_a_target_at_its_next_progress_line() -> None:
    report, _ = _plain()
    say = report.target("cloudrun")
    report.cancel()
    say("still on the main thread: not interrupted")
    caught: list[BaseException] = []

    def worker() -> None:
        try:
            say("a line from a target's thread")
        except KeyboardInterrupt as exc:
            caught.append(exc)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert len(caught) == 1


def test_the_lazy_manifest_default_is_the_manifest_packages() -> None:
    from targets import manifest
    from targets.cli import manifests
    assert manifests.DEFAULT_MANIFEST == manifest.DEFAULT_MANIFEST and manifests.load is manifest.load

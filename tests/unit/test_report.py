"""Verdicts and the parity matrix."""

from __future__ import annotations

from targets.smoke.report import Result, matrix, passed, verdict


def test_a_failure_is_a_difference_only_where_that_platform_declares_it() -> None:
    declared = {"/robots.txt": "the framework answers it"}
    assert verdict(True, "/robots.txt", declared) == ("pass", "")
    assert verdict(False, "/robots.txt", declared) == ("differs", "the framework answers it")
    assert verdict(False, "/healthz", declared) == ("fail", "")
    assert verdict(False, "/robots.txt", {}) == ("fail", "")


def test_matrix_shows_the_worst_variant_per_target_and_the_reasons() -> None:
    results = [
        Result("run", "PORT unset", "boot", "pass"),
        Result("run", "PORT=9090", "boot", "fail"),  # one bad variant fails the cell
        Result("fn", "ff", "boot", "pass"),
        Result("fn", "ff", "robots.txt", "differs", note="the framework answers it"),
    ]
    lines = matrix(results).splitlines()
    assert lines[0].split() == ["parity", "boot", "robots.txt"]
    assert lines[1].split() == ["run", "FAIL", "-"]  # never ran robots.txt
    assert lines[2].split() == ["fn", "ok", "differs*"]
    assert lines[3] == "* differs by platform: fn robots.txt: the framework answers it"


def test_a_target_passes_when_it_ran_checks_and_none_failed() -> None:
    results = [Result("a", "v", "x", "pass"), Result("a", "v", "y", "differs"), Result("b", "v", "x", "fail")]
    assert passed(results, "a") is True
    assert passed(results, "b") is False
    assert passed(results, "never-ran") is False

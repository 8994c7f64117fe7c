"""Verdicts and the parity matrix."""

from __future__ import annotations

from targets.smoke.report import Result, matrix, passed, verdict


def test_a_failure_is_a_difference_only_where_that_platform_declares_it() -> None:
    declared = {"/robots.txt": "the framework answers it"}
    assert verdict(True, "/robots.txt", declared) == ("pass", "")
    assert verdict(False, "/robots.txt", declared) == ("differs", "the framework answers it")
    assert verdict(False, "/healthz", declared) == ("fail", "")
    assert verdict(False, "/robots.txt", {}) == ("fail", "")


def test_matrix_has_checks_as_rows_the_worst_variant_per_cell_totals_and_reasons() -> None:
    results = [
        Result("run", "PORT unset", "boot", "pass"),
        Result("run", "PORT=9090", "boot", "fail"),  # one bad variant fails the cell
        Result("fn", "ff", "boot", "pass"),
        Result("fn", "ff", "robots.txt", "differs", note="the framework answers it"),
    ]
    lines = matrix(results, 1.5).splitlines()
    assert lines[0].split() == ["check", "run", "fn"]
    assert lines[1].split() == ["boot", "FAIL", "ok"]
    assert lines[2].split() == ["robots.txt", "-", "differs*"]  # run never ran it
    assert lines[3].split() == ["passed", "0/1", "2/2"]  # a declared difference is not a failure
    assert lines[4] == "2 target(s), 2 check(s): 1 failed, 1 differ by platform in 1.5 s"
    assert lines[5] == "* differs by platform: fn robots.txt: the framework answers it"


def test_matrix_stays_narrow_with_many_checks() -> None:
    results = [Result(t, "v", f"check-number-{i}", "pass") for t in ("cloudrun", "compose", "functions", "heroku")
               for i in range(40)]
    assert max(len(line) for line in matrix(results).splitlines()) <= 100


def test_a_target_passes_when_it_ran_checks_and_none_failed() -> None:
    results = [Result("a", "v", "x", "pass"), Result("a", "v", "y", "differs"), Result("b", "v", "x", "fail")]
    assert passed(results, "a") is True
    assert passed(results, "b") is False
    assert passed(results, "never-ran") is False

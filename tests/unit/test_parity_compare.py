"""Parity across targets: the odd one out fails, unless its platform declares the path."""

from __future__ import annotations

from targets.smoke.parity import compare
from targets.smoke.report import Result


def _r(target: str, check: str, status: int, ctype: str = "text/html", digest: str = "", variant: str = "v",
       path: str = "/x") -> Result:
    return Result(target, variant, check, "pass", path=path,
                  observed={"status": status, "content_type": ctype, "digest": digest})


def test_the_odd_target_fails_against_the_majority() -> None:
    found = compare([_r("a", "home", 200), _r("b", "home", 200), _r("c", "home", 404)], {})
    assert [(r.target, r.check, r.status, r.variant) for r in found] == [("c", "home", "fail", "parity")]
    assert "same as the others: 200 text/html" in found[0].expected and found[0].got == "404 text/html"


def test_content_type_and_deterministic_digests_count_too() -> None:
    assert compare([_r("a", "x", 200, "text/html"), _r("b", "x", 200, "application/json")], {})
    assert compare([_r("a", "x", 200, digest="1"), _r("b", "x", 200, digest="2")], {})
    assert compare([_r("a", "x", 200), _r("b", "x", 200)], {}) == []


def test_a_declared_difference_for_the_path_is_shown_not_failed() -> None:
    results = [_r("a", "robots", 404, "application/json", path="/robots.txt"),
               _r("b", "robots", 404, "application/json", path="/robots.txt"),
               _r("fn", "robots", 404, "text/html", path="/robots.txt")]
    found = compare(results, {"fn": {"/robots.txt": "the framework answers it"}})
    assert [(r.target, r.status, r.note) for r in found] == [("fn", "differs", "the framework answers it")]
    assert compare(results, {"fn": {"/other": "x"}})[0].status == "fail"


def test_variants_of_one_target_must_agree_too_and_one_target_alone_is_no_parity() -> None:
    found = compare([_r("a", "x", 200, variant="PORT unset"), _r("a", "x", 500, variant="PORT=9090"),
                     _r("b", "x", 200)], {})
    assert [(r.target, r.got) for r in found] == [("a", "500 text/html")]
    assert compare([_r("a", "x", 200), _r("a", "x", 500, variant="w")], {}) == []


def test_a_platform_that_declares_the_path_never_sets_the_norm() -> None:
    # Two targets, a tie: the one that declares the difference must not be the reference.
    results = [_r("fn", "robots", 404, "text/html", path="/robots.txt"),
               _r("heroku", "robots", 404, "application/json", path="/robots.txt")]
    found = compare(results, {"fn": {"/robots.txt": "the framework answers it"}})
    assert [(r.target, r.status) for r in found] == [("fn", "differs")]


def test_answers_that_failed_their_own_check_neither_set_the_norm_nor_fail_again() -> None:
    # ihatemoney: three targets' workers crashed at boot and their proxies answered 502 (each
    # check already failed); the one target that served 200 failed parity against them.
    crashed = [Result(t, "v", "health", "fail", path="/x", observed={"status": 502, "content_type": "text/html",
                                                                      "digest": ""}) for t in ("a", "b", "c")]
    assert compare([*crashed, _r("fn", "health", 200)], {}) == []
    # Among the answers that passed, the odd one out still fails.
    found = compare([*crashed, _r("fn", "health", 200), _r("d", "health", 200), _r("e", "health", 200, "text/plain")], {})
    assert [(r.target, r.got) for r in found] == [("e", "200 text/plain")]

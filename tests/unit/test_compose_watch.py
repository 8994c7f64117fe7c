"""Compose smoke stops waiting on an app that is up and answers its health path with a 500."""

from __future__ import annotations

from targets.kinds.compose import watch


def _probe(start: str, end: str, output: str, code: int = 1) -> dict[str, object]:
    # As Docker keeps them in State.Health.Log (RFC 3339, nanoseconds).
    return {"Start": f"2026-12-07T03:44:{start}Z", "End": f"2026-12-07T03:44:{end}Z", "ExitCode": code,
            "Output": output}


REFUSED = "Traceback (most recent call last):\n ... ConnectionRefusedError: [Errno 111] Connection refused\n"


def test_500s_for_two_seconds_are_a_failure_naming_the_status_and_how_long() -> None:
    probes = [_probe("01.000000001", "01.050000000", REFUSED), _probe("01.550000000", "01.600000000", "500\n"),
              _probe("02.100000000", "02.150000000", "500\n"), _probe("02.650000000", "02.700000000", "500\n"),
              _probe("03.200000000", "03.650000000", "500\n")]
    failed = watch.failing(probes, "/", "compose")
    assert failed is not None
    assert failed.message == ("compose: web is up but answers / with HTTP 500 (its healthcheck, for 2.1 s): the app "
                              "fails at its first requests; its log follows")


def test_a_booting_or_answering_app_is_not_a_failure() -> None:
    assert watch.failing([], "/", "c") is None
    assert watch.failing([_probe("01.0", "01.1", REFUSED)] * 5, "/", "c") is None  # still starting
    short = [_probe("01.000000", "01.100000", "500\n"), _probe("01.600000", "01.700000", "500\n")]
    assert watch.failing(short, "/", "c") is None  # 0.7 s of 500s: not yet
    # A 200 after them: healthy now, whatever came before.
    recovered = [_probe(f"0{i}.000000", f"0{i}.100000", "500\n") for i in range(1, 6)] + \
        [_probe("07.000000", "07.100000", "200\n", 0)]
    assert watch.failing(recovered, "/", "c") is None
    # 502-504: a proxy whose upstream is starting, as wait_http judges it.
    assert watch.failing([_probe(f"0{i}.000000", f"0{i}.100000", "502\n") for i in range(1, 6)], "/", "c") is None

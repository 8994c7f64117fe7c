"""Parity: every target must answer each check the same way.

For each check, the observations (status, media type, and the body digest of
deterministic checks) of every target and variant are compared with the most
common one. A target that answers otherwise gets a parity result for that
check: a failure, or "differs" where its kind declares a difference for the
path, with the reason. An answer that failed its own check is left out: it is
reported already, and as the norm it would fail the targets that answered
right (ihatemoney: three targets whose workers crashed answered 502, and the
one that served 200 failed parity). Pure: results in, results out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping

from .conformance import describe
from .report import Result, verdict

VARIANT = "parity"


def _key(observed: Mapping[str, object]) -> str:
    return json.dumps(observed, sort_keys=True)


def compare(results: list[Result], differences: Mapping[str, Mapping[str, str]]) -> list[Result]:
    """Parity results for `results`; `differences`: target -> {path: reason}."""
    seen: dict[str, dict[str, list[Mapping[str, object]]]] = {}  # check -> target -> observations
    paths: dict[str, str] = {}
    for r in results:
        if r.observed is not None and r.variant != VARIANT and r.status != "fail":
            seen.setdefault(r.check, {}).setdefault(r.target, []).append(r.observed)
            paths[r.check] = r.path
    found: list[Result] = []
    for check, by_target in seen.items():
        if len(by_target) < 2:
            continue
        # The reference comes from the targets that declare no difference for
        # this path: a platform known to answer otherwise never sets the norm.
        normal = [t for t in sorted(by_target) if paths[check] not in differences.get(t, {})]
        if not normal:
            continue
        counts = Counter(_key(o) for target in normal for o in by_target[target])
        # The most common answer is the reference; on a tie, the first target's.
        reference = max(counts, key=lambda k: (counts[k], -list(counts).index(k)))
        for target in sorted(by_target):
            odd = [o for o in by_target[target] if _key(o) != reference]
            if not odd:
                continue
            status, note = verdict(False, paths[check], differences.get(target, {}))
            found.append(Result(target, VARIANT, check, status, expected=f"same as the others: {describe(json.loads(reference))}",
                                got=describe(odd[0]), note=note, path=paths[check]))
    return found

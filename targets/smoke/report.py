"""Verdicts and the parity report: pure functions of the results.

A check that fails on a platform that declares a difference for its path is
"differs" (shown with the reason), not a failure. The matrix folds every
variant of a target into one cell: its worst verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MARKS = {"pass": "ok", "fail": "FAIL", "differs": "differs*"}
RANK = {"pass": 0, "differs": 1, "fail": 2}


@dataclass
class Result:
    target: str
    variant: str
    check: str
    status: str  # "pass", "fail" or "differs"
    expected: str = ""
    got: str = ""
    note: str = ""
    path: str = ""  # the request's path, which declared platform differences are keyed by
    observed: dict[str, Any] | None = None  # status, media type and (deterministic checks) body digest


def verdict(ok: bool, path: str, differences: Mapping[str, str]) -> tuple[str, str]:
    """(status, note): a failed check is a declared difference only if this platform declares its path."""
    if ok:
        return "pass", ""
    if path in differences:
        return "differs", differences[path]
    return "fail", ""


def matrix(results: list[Result], seconds: float | None = None) -> str:
    """Checks as rows, targets as columns (so it fits a terminal however many
    checks there are); a cell is the target's worst verdict over its variants."""
    checks = list(dict.fromkeys(r.check for r in results))
    targets = list(dict.fromkeys(r.target for r in results))
    cells: dict[tuple[str, str], str] = {}
    notes: dict[str, str] = {}
    for r in results:
        key = (r.target, r.check)
        if key not in cells or RANK[r.status] > RANK[cells[key]]:
            cells[key] = r.status
        if r.status == "differs":
            notes[f"{r.target} {r.check}"] = r.note
    first = max([len(c) for c in checks] + [len("check")])
    widths = [max(len(t), len("differs*")) for t in targets]

    def row(label: str, values: list[str]) -> str:
        return "  ".join([label.ljust(first), *(v.ljust(w) for v, w in zip(values, widths, strict=True))]).rstrip()

    lines = [row("check", targets)]
    lines += [row(c, [MARKS.get(cells.get((t, c), ""), "-") for t in targets]) for c in checks]
    totals = []
    for t in targets:
        mine = [cells[(t, c)] for c in checks if (t, c) in cells]
        totals.append(f"{sum(s != 'fail' for s in mine)}/{len(mine)}")
    lines.append(row("passed", totals))
    failed = sum(status == "fail" for status in cells.values())
    differs = sum(status == "differs" for status in cells.values())
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    lines.append(f"{len(targets)} target(s), {len(checks)} check(s): {failed} failed, {differs} differ by platform{took}")
    lines += [f"* differs by platform: {where}: {why}" for where, why in notes.items()]
    return "\n".join(lines)


def passed(results: list[Result], target: str) -> bool:
    mine = [r for r in results if r.target == target]
    return bool(mine) and all(r.status != "fail" for r in mine)

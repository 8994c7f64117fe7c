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


def matrix(results: list[Result]) -> str:
    """Targets x checks; a target's cell is the worst verdict over its variants."""
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
    width = max([len(t) for t in targets] + [6])
    cols = [max(len(c), 8) for c in checks]
    lines = ["parity".ljust(width) + "  " + "  ".join(c.ljust(w) for c, w in zip(checks, cols, strict=True))]
    for t in targets:
        row = [MARKS.get(cells.get((t, c), ""), "-").ljust(w) for c, w in zip(checks, cols, strict=True)]
        lines.append(t.ljust(width) + "  " + "  ".join(row))
    lines += [f"* differs by platform: {where}: {why}" for where, why in notes.items()]
    return "\n".join(lines)


def passed(results: list[Result], target: str) -> bool:
    mine = [r for r in results if r.target == target]
    return bool(mine) and all(r.status != "fail" for r in mine)

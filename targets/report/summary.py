"""The end of every task: a table (target, kind, artifact, size, time, verdict),
the same as JSON for --json, and a step summary under GitHub Actions.

A command is wrapped, not changed: `summarised()` snapshots the records before
it runs and prints the summary after it, whether it succeeded or failed (the
error line still comes last, from guarded()).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from ..manifest import Project
from . import collect, junit
from .rows import Row

HEADERS = ("target", "kind", "artifact", "size", "time", "verdict")


def size_text(size: Any) -> str:
    if not isinstance(size, int):
        return "-"
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"


def short(ref: str) -> str:
    """`repo@sha256:<64 hex>` -> `repo@sha256:<12 hex>`: the table stays narrow, --json has it whole."""
    head, sep, digest = ref.partition("@sha256:")
    return f"{head}{sep}{digest[:12]}" if sep else ref


def artifact_text(artifact: dict[str, Any]) -> str:
    if artifact.get("published"):
        return short(str(artifact["published"])) + (f" sha256:{str(artifact['sha256'])[:12]}" if "sha256" in artifact else "")
    if "path" in artifact:
        return f"{artifact['path']} sha256:{str(artifact['sha256'])[:12]}"
    ident = str(artifact.get("id", "")).removeprefix("sha256:")[:12]
    return f"{artifact.get('ref', '')}@sha256:{ident}" if ident else str(artifact.get("ref", ""))


def cells(row: Row) -> list[list[str]]:
    """One line per artifact; the target's other cells on its first line."""
    time_cell = f"{row.time_label} {row.seconds:.1f} s" if row.seconds is not None else row.time_label or "-"
    found = row.artifacts or [{}]
    lines = []
    for index, artifact in enumerate(found):
        text = artifact_text(artifact) if artifact else "-"
        first = index == 0
        lines.append([row.target if first else "", row.kind if first else "", text, size_text(artifact.get("size")),
                      time_cell if first else "", row.verdict if first else ""])
    return lines


def table(task: str, rows: list[Row], seconds: float) -> str:
    grid = [list(HEADERS)] + [line for row in rows for line in cells(row)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(HEADERS))]
    text = ["  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip() for line in grid]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.verdict] = counts.get(row.verdict, 0) + 1
    tally = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    text.append(f"{task}: {len(rows)} target(s): {tally} in {seconds:.1f} s")
    text += [f"  {row.target}: {row.reason}" for row in rows if row.reason]
    return "\n".join(text)


def markdown(task: str, rows: list[Row], seconds: float) -> str:
    """The same table for $GITHUB_STEP_SUMMARY (GitHub-flavoured Markdown)."""
    def escape(value: str) -> str:
        return value.replace("|", "\\|")
    lines = [f"### flaskship {task}: {sum(r.ok for r in rows)}/{len(rows)} ok in {seconds:.1f} s", "",
             "| " + " | ".join(HEADERS) + " |", "|" + " --- |" * len(HEADERS)]
    for row in rows:
        for line in cells(row):
            lines.append("| " + " | ".join(escape(v) if i != 2 or not v else f"`{escape(v)}`"
                                           for i, v in enumerate(line)) + " |")
    lines += [f"- **{row.target}** {row.verdict}: {escape(row.reason)}" for row in rows if row.reason]
    return "\n".join(lines) + "\n\n"


def document(task: str, rows: list[Row], seconds: float, error: BaseException | None) -> str:
    """--json: the task, whether it succeeded, its one-line error, and every row whole."""
    if error is None:
        message = None
    elif isinstance(error, KeyboardInterrupt):
        message = "interrupted"
    else:
        message = getattr(error, "message", None) or str(error) or type(error).__name__
    return json.dumps({"task": task, "ok": error is None and all(r.ok for r in rows), "seconds": round(seconds, 2),
                       "error": message, "targets": [asdict(row) for row in rows]}, indent=2, sort_keys=True)


def step_summary(text: str) -> None:
    """Append to GitHub Actions' job summary when running there."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Summary:
    """What the wrapped command gets: where progress goes, and a slot for its result."""

    as_json: bool = False
    result: Any = None
    rows: list[Row] = field(default_factory=list)

    @property
    def progress(self) -> Callable[[str], None]:
        # With --json, stdout carries the document only.
        return _stderr if self.as_json else print

    @property
    def stream(self) -> TextIO:
        # With --json, stdout carries the document only.
        return sys.stderr if self.as_json else sys.stdout


@contextmanager
def summarised(task: str, project: Project, target: str | Iterable[str], as_json: bool = False) -> Iterator[Summary]:
    names = [name for name, _ in project.select(list(target) if not isinstance(target, str) else target)]
    before = collect.snapshot(task, project, names)
    smoke_stamp = junit.stamp(project)
    started = time.monotonic()
    summary = Summary(as_json)
    error: BaseException | None = None
    try:
        yield summary
    except BaseException as exc:
        error = exc
        raise
    finally:
        seconds = time.monotonic() - started
        try:
            result = summary.result if summary.result is not None else getattr(error, "result", None)
            summary.rows = collect.rows(task, project, names, before, error, result)
            if as_json:
                print(document(task, summary.rows, seconds, error), flush=True)
            else:
                summary.progress("")
                summary.progress(table(task, summary.rows, seconds))
            step_summary(markdown(task, summary.rows, seconds))
            if task == "smoke" and junit.stamp(project) != smoke_stamp:
                # Only what this run checked: a smoke refused before it ran leaves no stale report.
                junit.write(project, names)
        except Exception as exc:  # noqa: BLE001 - the summary must never hide the task's own outcome
            _stderr(f"(no summary: {type(exc).__name__}: {exc})")


"""Reporter: the progress of one command over its targets, live or as plain lines.

    with Reporter(verbose=False) as report:
        say = report.target("cloudrun")        # its line appears: "waiting"
        report.phase("cloudrun", "building")   # phase and elapsed time on that line
        kind.build(..., progress=say)          # lower layers' lines (see lines.py)
        report.finish("cloudrun", "built ... in 2.1 s", ok=True)
        report.print(table)                    # lasting output: a matrix, a summary
    report.outcomes                            # name -> Outcome, for summaries and --json

On a terminal (and not in CI, where `CI` is set) each target has one line
that rich redraws: a spinner, the phase, the latest thing its lower layers
said, the elapsed time. Otherwise every line is printed as it comes, plain,
so a log or a test reads the same text. Either way a `Detail` is shown only
with verbose, and a `Notice` with a key once per run. Every method is
thread-safe: targets run concurrently (--jobs).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from .lines import Detail, Notice

if TYPE_CHECKING:
    from rich.live import Live

# rich is imported only for a live display: plain runs (CI, pipes, a no-op
# build) do not pay for its import.


@dataclass
class Outcome:
    """A target's line: its phase while it runs, its verdict once finished."""

    name: str
    phase: str = "waiting"
    said: str = ""  # the latest plain line its lower layers gave, shown after the phase
    ok: bool | None = None  # None while running
    started: float | None = None
    seconds: float = 0.0

    def elapsed(self) -> float:
        if self.ok is not None or self.started is None:
            return self.seconds
        return time.monotonic() - self.started


def interactive(stream: TextIO) -> bool:
    """Live lines only on a real terminal, never in CI (CI systems set CI=true)."""
    return stream.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class Reporter:
    def __init__(self, *, verbose: bool = False, live: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.live = interactive(self.stream) if live is None else live
        self.outcomes: dict[str, Outcome] = {}
        self._seen: set[Hashable] = set()
        self._lock = threading.RLock()
        self._display: Live | None = None
        self._cancelled = threading.Event()
        self._spinners: dict[str, Any] = {}

    # -- the command's side ------------------------------------------------------------

    def __enter__(self) -> Reporter:
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream, highlight=False, markup=False)
            self._display = Live(get_renderable=self._render, console=console, refresh_per_second=8,
                                 transient=False, redirect_stdout=False, redirect_stderr=False)
            self._display.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._display is not None:
            self._display.stop()  # the last frame stays: each target's verdict
            self._display = None

    def target(self, name: str) -> Callable[[str], None]:
        """Give `name` its line; return the progress callable for its lower layers."""
        with self._lock:
            self.outcomes.setdefault(name, Outcome(name))
        return lambda line: self._from_target(name, line)

    def phase(self, name: str, phase: str, since: float | None = None) -> None:
        """`name` is now doing `phase` ("building", "smoke"); its clock starts at the first
        phase, or at `since` (a time.monotonic() the command took when the target began)."""
        with self._lock:
            outcome = self.outcomes.setdefault(name, Outcome(name))
            outcome.phase, outcome.said = phase, ""
            if outcome.started is None:
                outcome.started = time.monotonic() if since is None else since
        if not self.live:
            self._emit(f"{name}: {phase} ...")

    def finish(self, name: str, text: str, ok: bool = True) -> None:
        """`name` is done: `text` is its verdict ("built ... in 2.1 s", "up to date")."""
        with self._lock:
            outcome = self.outcomes.setdefault(name, Outcome(name))
            outcome.seconds = outcome.elapsed()
            outcome.phase, outcome.said, outcome.ok = text, "", ok
        if not self.live:
            self._emit(f"{name}: {text}")

    def print(self, text: str = "") -> None:
        """Lasting output (tables, the parity matrix), above the live lines."""
        self._emit(text)

    def cancel(self) -> None:
        """Ctrl-C: each target's next progress line raises KeyboardInterrupt on its own
        thread, so it unwinds through its `finally` blocks (containers removed)."""
        self._cancelled.set()

    def __call__(self, line: str) -> None:
        """A progress callable for lines that belong to no one target."""
        self._from_target(None, line)

    # -- lower layers' lines -----------------------------------------------------------

    def _from_target(self, name: str | None, line: str) -> None:
        if self._cancelled.is_set() and threading.current_thread() is not threading.main_thread():
            raise KeyboardInterrupt
        if isinstance(line, Detail):
            if self.verbose:
                self._emit(line)
            return
        if isinstance(line, Notice):
            with self._lock:
                if line.key is not None:
                    if line.key in self._seen:
                        return
                    self._seen.add(line.key)
            self._emit(line)
            return
        if not self.live or name is None or self.verbose:
            self._emit(line)
        if name is not None and self.live:
            with self._lock:
                self.outcomes[name].said = line.strip().removeprefix(f"{name}: ").removeprefix(f"{name} ")

    def _emit(self, text: str) -> None:
        with self._lock:
            if self._display is not None:
                from rich.text import Text

                self._display.console.print(Text(text), soft_wrap=True)
            else:
                print(text, file=self.stream, flush=True)

    def _render(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 1))
        with self._lock:
            outcomes = list(self.outcomes.values())
        width = max([len(o.name) for o in outcomes] + [1])
        for o in outcomes:
            spinner = self._spinners.setdefault(o.name, Spinner("dots"))
            mark = spinner if o.ok is None else Text("✓" if o.ok else "✗", style="green" if o.ok else "red")
            phase = o.phase + (f": {o.said}" if o.said else "")
            clock = "" if o.started is None else f"{o.elapsed():5.1f} s"
            table.add_row(mark, Text(o.name.ljust(width), style="bold"), Text(phase, overflow="ellipsis", no_wrap=True),
                          Text(clock, style="dim"))
        return table

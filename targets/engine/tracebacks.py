"""Python tracebacks in a container's log: where each chain starts and ends, and the cause.

A gunicorn app that fails logs one traceback per worker or per request, then the
master's own HaltServer; the lines here pick the one that says why (with_cause)
and let a report print a chain once (smoke/repeats.py).
"""

from __future__ import annotations

TAIL_LINES = 30
CAUSE_LINES = 500  # how far back to look for the first traceback
CUT = "..."  # between the cause and the tail, when lines between them were left out

TRACEBACK = "Traceback (most recent call last)"
# How Python joins the tracebacks of a chain: the last one is the exception that ended the process
# (searxng's FileNotFoundError for `git`, raised while handling a ModuleNotFoundError).
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
SERVER_HALTS = ("gunicorn.errors.HaltServer",)


def chains(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of each chain of tracebacks in `lines`, in order: the last
    is the exception line that ended it."""
    found: list[tuple[int, int]] = []
    walked = -1
    for start in (i for i, line in enumerate(lines) if line.startswith(TRACEBACK)):
        if start > walked:  # not a traceback inside a chain already walked
            walked = chain_end(lines, start)
            found.append((start, walked))
    return found


def chain_end(lines: list[str], first: int) -> int:
    """The index of the exception line that ends the chain of tracebacks starting at `first`."""
    end = first + 1
    while True:
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        after = next((i for i in range(end + 1, len(lines)) if lines[i].strip()), len(lines))
        if after < len(lines) and lines[after].startswith(_CHAINED):
            start = next((i for i in range(after + 1, len(lines)) if lines[i].strip()), len(lines))
            if start < len(lines) and lines[start].startswith(TRACEBACK):
                end = start + 1
                continue
        return min(end, len(lines) - 1)


def with_cause(text: str, count: int = TAIL_LINES) -> str:
    """The last `count` lines, preceded by the first traceback when that scrolled out of them.

    The first is the cause: gunicorn's workers each print the app's exception,
    then the master prints its own HaltServer traceback, which alone fills a
    30-line tail (Heroku's three workers did exactly that).
    """
    lines = text.rstrip("\n").splitlines()
    tail = lines[-count:]
    found = chains(lines)
    # gunicorn's own halt is no cause: where a log has scrolled the first worker's chain out of
    # the window, the next worker's says why, not the master's HaltServer (searxng in compose).
    if not found:
        return "\n".join(tail)
    first, end = next((c for c in found if not lines[c[1]].startswith(SERVER_HALTS)), found[0])
    if first >= len(lines) - count:
        return "\n".join(tail)
    block = lines[first:end + 1]
    if len(block) > 24:
        block = [block[0], "  ..."] + block[-22:]
    return "\n".join([*block, CUT, *tail])

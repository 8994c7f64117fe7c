"""Where a probe that ran out of time was stuck, from the stacks faulthandler printed just before.

zou's create_app() took 63 s without Redis: its client retried six config reads with backoff,
and init said only that "importing the app or one of its GET routes hangs?". The probe arms
faulthandler.dump_traceback_later() shortly before init's limit, so the stacks of its threads
are on stderr when it is stopped; this reads them back into one line.
"""

from __future__ import annotations

import re

MARGIN = 2.0  # seconds before init's limit that the probe prints its stacks
DUMP = "Timeout ("  # how faulthandler opens what it prints
# faulthandler's frame line: `  File "/srv/x.py", line 12 in sync_config`
_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)')


def dump_after(timeout: float) -> float:
    """When the probe prints its stacks: a little before it is stopped, never below one second."""
    return max(timeout - MARGIN, 1.0)


def before_stacks(stderr: str) -> str:
    """The app's own output: what came before the stacks."""
    return stderr.split(DUMP)[0]


def where(stderr: str, app_root: str) -> str:
    """"importing the app, in zou/app/config_store.py line 88 (sync_config), waiting in
    redis/retry.py line 62 (call_with_retry)", or "" when stderr holds no stacks. `app_root`:
    the folder the probe ran the app in (its frames are the app's own)."""
    stack = _main_stack(stderr)
    if not stack:
        return ""
    inside = app_root.rstrip("/") + "/"
    functions = {function for file, _, function in stack if file.endswith("/probe.py")}
    doing = ("requesting its GET routes" if functions & {"routes", "not_found"} else
             "importing the app" if "load" in functions else "running the probe")
    own = next(((file, line, function) for file, line, function in stack
                if file.startswith(inside)), None)
    innermost = stack[0]
    parts = [doing]
    if own is not None:
        parts.append(f"in {_shown(own, inside)}")
    if innermost != own and not innermost[0].endswith("/probe.py"):
        parts.append(f"waiting in {_shown(innermost, inside)}")
    return ", ".join(parts)


def _main_stack(stderr: str) -> list[tuple[str, int, str]]:
    """The frames (innermost first) of the thread that runs the probe: the one whose stack holds
    probe.py's main(). Only the last dump counts."""
    text = stderr[stderr.rfind(DUMP):] if DUMP in stderr else ""
    for block in re.split(r"\n(?=(?:Current thread|Thread) 0x)", text):
        frames = [(m["file"], int(m["line"]), m["function"]) for m in map(_FRAME.match, block.splitlines()) if m]
        if any(file.endswith("/probe.py") and function == "main" for file, _, function in frames):
            return frames
    return []


def _shown(frame: tuple[str, int, str], inside: str) -> str:
    """The frame, its file relative to the app's folder (`inside`, with its slash), site-packages
    or the standard library."""
    file, line, function = frame
    if file.startswith(inside):
        file = file[len(inside):]
    elif "/site-packages/" in file:
        file = file.split("/site-packages/", 1)[1]
    elif stdlib := re.search(r"/lib/python3\.\d+/", file):
        file = file[stdlib.end():]
    return f"{file} line {line} ({function})"

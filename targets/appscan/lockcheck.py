"""init's last check: the build's lock of the manifest it wrote (build/buildlock.py).

The probe's pip installs the app's requirements for one Python; the build's lock
is uv's, for every Python from the floor on and with every platform's lines, and
can refuse what pip took (a pin functions-framework's cloudevents cannot live with).
Made here, the refusal is said before the first build, and the locks uv makes are
kept in build/.cache/locks for that build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import BuildFailed, ManifestError
from ..manifest import load
from ..ui.lines import Notice


def lock_problems(path: Path, progress: Callable[[str], None]) -> tuple[list[str], str | None]:
    """What the first `invoke build` of the written manifest would stop on in its lock
    (build/buildlock.py), where the probe's pip installed for one Python: uv resolves for
    every Python from the floor on, with every platform line. The locks uv makes are kept
    (build/.cache/locks), so that build does not make them again. Second: why the
    functions target is to be left out, when only the runtime it brings cannot be locked."""
    from ..build import buildlock  # loads the docker SDK's modules (build/requirements.py), never asks an engine
    from ..kinds import KINDS
    from ..kinds.functions.kind import slow_stop_of

    try:
        project = load(path)
    except ManifestError as exc:  # what the build will say first, then
        return [f"`invoke build` will stop: {exc}".splitlines()[0]], None
    stops: dict[str, list[str]] = {}
    functions_out = None

    def said(line: str) -> None:  # the lock's own lines; init words its warnings itself (report)
        if not isinstance(line, Notice):
            progress(line)

    slow: list[str] = []
    for name, settings in project.manifest.targets.items():
        try:  # "init:" on its lines: the lock is the build's, whichever target makes it first
            locked = buildlock.lock_all(project, "init", settings.kind, said)
            if settings.kind == "functions" and (note := slow_stop_of(locked.get(KINDS["functions"].platform, ""))):
                # Only with smoke's connection still open at the stop: zou's and PowerDNS-Admin's (26.0.0)
                # stopped in 2-4 s, dribdat's (25.3.0) took the whole grace.
                slow.append(f"smoke's sigterm-stop check may fail on {name}: {note}")
        except BuildFailed as exc:
            if isinstance(exc, buildlock.PlatformLockFailed) and settings.kind == "functions":
                functions_out = f"the app's requirements cannot be locked with {', '.join(exc.lines)} ({exc.why})"
            else:
                stops.setdefault(exc.message.removeprefix("init: "), []).append(name)
    warnings = [f"`invoke build` will stop on {', '.join(names)}: {message}" for message, names in stops.items()]
    return [*warnings, *slow], functions_out

"""The build's lock: the app's requirements resolved with every platform line the manifest's
kinds bring (build/lock.py), once per build, for all its targets.

Every platform set of the manifest's kinds is resolved, whichever kind the target
is, so that all targets of a build take their versions from the one union lock;
a kind the manifest does not have adds nothing to it. `invoke init` runs it too,
so that what uv refuses (where pip, for one Python, accepted) is said before the
first build, and that build finds the locks kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from packaging.requirements import Requirement

from ..errors import BuildFailed
from ..kinds import KINDS
from ..manifest import Project
from ..pins import GUNICORN
from ..ui.lines import notice
from . import lock, lockfiles
from . import requirements as app_requirements

Locked = dict[tuple[str, ...], str]
# uv's words for a resolution that fails for part of the Python range: "the requested Python
# version (>=3.11) does not satisfy Python>=3.12", "... for split (markers: python_full_version == '3.11.*')".
FOR_A_PYTHON = re.compile(r"requested Python version|python_full_version|python_version")


class PlatformLockFailed(BuildFailed):
    """The app's requirements cannot be locked with a platform line only some kinds bring."""

    def __init__(self, message: str, detail: str, lines: list[str], why: str) -> None:
        super().__init__(message, detail)
        self.lines = lines  # the platform lines uv named (functions-framework's)
        self.why = why  # uv's last reason, which names the app's own requirement


def lock_all(project: Project, name: str, kind: str, progress: Callable[[str], None]) -> Locked:
    """Each platform set's lock text, for the target `name` of `kind`: uv with the index on the
    first build of these inputs, build/.cache/locks after that. BuildFailed names the file."""
    targets = project.manifest.targets
    sets = {(GUNICORN,), *(KINDS[t.kind].platform for t in targets.values())}
    union = lock.union_of(sets)
    # A lock made anew (uv, with the index: 1.2-1.4 s for the demo) is said; one
    # kept in build/.cache/locks takes milliseconds and is not.
    telling = lockfiles.told.set(progress)
    try:
        try:
            return _locked(project, name, sets, union)
        except BuildFailed as exc:
            # A frozen requirements file often cannot hold a runtime that only some
            # targets bring (functions-framework and what it needs): say whose it is.
            brought = {line: sorted(n for n, t in targets.items() if line in KINDS[t.kind].platform)
                       for line in union if line != GUNICORN}
            # Named in uv's reasons, not just among the lines it was given.
            said = lockfiles.reasons(exc.detail.splitlines())
            culprits = [line for line in brought if Requirement(line).name in said]
            if not culprits:
                raise
            lines, whose = ", ".join(culprits), ", ".join(n for line in culprits for n in brought[line])
            if any(line in KINDS[kind].platform for line in culprits):
                raise PlatformLockFailed(f"{exc.message.rstrip('.')}; {lines} is in the lock only for the target(s) "
                                         f"{whose} (a manifest without them does not lock it)", exc.detail,
                                         culprits, last_reason(said)) from None
            # This target installs none of it: it locks without those lines, as a manifest
            # without their targets would, and those targets fail on their own.
            locked = _locked(project, name, {s for s in sets if not set(s) & set(culprits)},
                             tuple(line for line in union if line not in culprits))
            notice(progress, f"  {name}: warning: the app's requirements cannot be locked with "
                             f"{lines} (for {whose} only); this target's lock leaves it out",
                   ("lock-without", tuple(culprits)))
            return locked
    finally:
        lockfiles.told.reset(telling)


def last_reason(said: str) -> str:
    """The last link of uv's chain of reasons ("And because you require cloudevents==1.1.0
    and ..., we can conclude that your requirements are unsatisfiable."): the app's own part."""
    links = [link.strip() for link in said.split("And because ")]
    return ("because " + links[-1] if len(links) > 1 else links[-1]).rstrip(".")


def _locked(project: Project, name: str, sets: set[tuple[str, ...]], union: tuple[str, ...]) -> Locked:
    """Each set's lock, every one constrained by the lock of `union` (lock.compile_app), for the
    oldest Python a target may run; failing that, for the manifest's own (lock.own_floor),
    whose failure is the one told: it names no Python the app does not use."""
    def locked(python: str) -> Locked:
        return {extra: app_requirements.deploy_text(
            project.app_dir, project.manifest.app.requirements, extra, name,
            cache=project.build_dir / ".cache", python=python, union=union) for extra in sorted(sets)}

    oldest, own = floors(project)
    if oldest == own:
        return locked(own)
    try:
        return locked(oldest)
    except BuildFailed as exc:
        # Only a failure of the older Python's part; any other (a conflict, an index
        # that does not answer) would fail the same way again, as slowly.
        if not FOR_A_PYTHON.search(exc.detail):
            raise
    return locked(own)


def floors(project: Project) -> tuple[str, str]:
    """The oldest Python the build's lock should hold for, and the oldest it must (build/lock.py)."""
    manifest = project.manifest
    bases = [manifest.base_image(), *(t.base_image for t in manifest.targets.values() if t.base_image)]
    return lock.floor(manifest.defaults.python, bases), lock.own_floor(manifest.defaults.python, bases)

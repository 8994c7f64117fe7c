"""The explicit registry of target kinds: one entry per kind.

Each kind is one folder, targets/kinds/<kind>/, that owns all of itself:
  settings.py   its manifest settings (pure data: the manifest imports it)
  kind.py       render, build, smoke, publish and deploy commands (KIND)
  templates/    its Jinja2 templates, addressed as "<kind>/<file>"
plus any platform client only it needs. This module imports settings only, so
`import targets.manifest` never loads Docker or HTTP code; the behaviour is
imported when a command asks for it (targets.kinds.protocol.behaviour).

Adding a kind: a new folder, one entry below, its tests and its README row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..pins import FUNCTIONS_FRAMEWORK, GUNICORN
from .base import TargetSettings
from .cloudrun.settings import CloudRunSettings
from .compose.settings import ComposeSettings
from .functions.settings import FunctionsSettings
from .heroku.settings import HerokuSettings

KINDS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = KINDS_DIR.parent.parent


def _top_level(folder: str) -> Path:
    """A template folder at the top of the repo, or its copy inside the installed
    package (pyproject.toml ships compose/ and nginx/ as targets/project_templates/)."""
    installed = KINDS_DIR.parent / "project_templates" / folder
    return installed if installed.is_dir() else PROJECT_DIR / folder


@dataclass(frozen=True)
class Registered:
    settings: type[TargetSettings]
    # Template folders by the prefix templates are addressed with. By default
    # the kind's own templates/ folder under its name.
    template_dirs: dict[str, Path] = field(default_factory=dict)
    # How much a build of this kind does beyond what every target shares, on the
    # build users run most (after an app edit, the shared stages cached): `invoke
    # build` starts the most first, so the longest chain is not the one left for
    # last when a lane frees (longest first).
    own_work: int = 0
    # The same for `invoke smoke`: the wall time of one target's smoke, in tenths of
    # a second (measured on the demo, one target at a time, start-up excluded).
    smoke_work: int = 0
    # What its platform installs beside the app (pins.py). A build's one lock is
    # resolved for the union over the manifest's kinds (BuildJob.lock), so a
    # manifest without functions never needs the functions runtime to resolve.
    platform: tuple[str, ...] = (GUNICORN,)

    def module(self, name: str) -> str:
        return f"{__name__}.{name}.kind"


KINDS: dict[str, Registered] = {
    # The local Hosting edge in front of the Cloud Run image has templates of its own.
    # Its build runs the app once more, for the Hosting lint (0.5 s, every build).
    "cloudrun": Registered(CloudRunSettings, {"cloudrun": KINDS_DIR / "cloudrun" / "templates",
                                              "edge": KINDS_DIR / "cloudrun" / "edge" / "templates"},
                           own_work=3, smoke_work=14),
    "heroku": Registered(HerokuSettings, smoke_work=7),
    # The compose kind's templates sit at the top of the project, where users
    # look for an nginx config and a compose file. It builds an nginx image too,
    # and checks it with `nginx -t`.
    "compose": Registered(ComposeSettings, {"compose": _top_level("compose"), "nginx": _top_level("nginx")},
                          own_work=1, smoke_work=20),
    # The runner installs functions-framework in a stage of its own (1.4 s, cold builds only).
    # Its smoke waits out functions-framework's stop: gunicorn's threaded worker
    # notices SIGTERM after up to 1 s, as on the platform (its runtime, not ours).
    "functions": Registered(FunctionsSettings, own_work=2, smoke_work=17,
                            platform=(FUNCTIONS_FRAMEWORK, GUNICORN)),
}


def template_dirs() -> dict[str, Path]:
    """Every kind's template folders, by prefix."""
    dirs: dict[str, Path] = {}
    for name, entry in KINDS.items():
        dirs.update(entry.template_dirs or {name: KINDS_DIR / name / "templates"})
    return dirs


def choices() -> str:
    return ", ".join(sorted(KINDS))

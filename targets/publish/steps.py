"""One thing to publish, and what a kind gets to publish it and print its deploy commands."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..manifest import Project


@dataclass
class Step:
    target: str
    kind: str
    what: str  # image id or zip path
    where: str  # repository or gs://bucket/object
    variable: str  # the credentials variable
    role: str = "app"
    sha256: str = ""  # of the zip, for role "zip"
    # What the release record keeps of this step beyond the push itself, known at plan time.
    keep: dict[str, str] = field(default_factory=dict)

    @property
    def variable_set(self) -> bool:
        return bool(os.environ.get(self.variable))


@dataclass
class PublishContext:
    project: Project
    sha: str  # the git commit every image is tagged with
    release: bool  # also release where the platform has a release call (heroku)
    progress: Callable[[str], None] = print


@dataclass(frozen=True)
class Deploy:
    env: dict[str, str] = field(default_factory=dict)  # the environment's plain variables
    python: str = "3.12"
    release: str | None = None  # app.release, run once per deploy

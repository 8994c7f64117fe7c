"""One target's build in progress: the shared steps every kind composes.

A kind's build() renders its platform files into job.staging and calls
python_image() for each Python image it needs; this module knows how to lay
out a context (source, wheels, requirements) and how to build and tag it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import baseimages, docker_ops, source, wheelhouse
from .kindbase import TargetSettings
from .manifest import Project
from .pins import GUNICORN
from .record import BuildRecord, tree_hash
from .render import render, write

APP_UID = "10001"

DOCKERIGNORE = "common/dockerignore.j2"


@dataclass
class BuildJob:
    project: Project
    name: str
    settings: TargetSettings
    staging: Path
    progress: Callable[[str], None] = print
    record: BuildRecord = field(init=False)

    def __post_init__(self) -> None:
        self.record = BuildRecord(target=self.name, kind=self.settings.kind)

    @property
    def app(self) -> Any:
        return self.project.manifest.app

    @property
    def defaults(self) -> Any:
        return self.project.manifest.defaults

    def base_image(self) -> str:
        return self.settings.base_image or self.project.manifest.base_image()

    def render_text(self, template: str, **context: Any) -> str:
        return render(template, **context)

    def write(self, relative: str, template: str, **context: Any) -> Path:
        path = self.staging / relative
        write(path, render(template, **context))
        return path

    def requirements(self, extra: tuple[str, ...]) -> str:
        """The app's requirements plus what the platform's server needs."""
        text = (self.project.root / self.app.source / self.app.requirements).read_text(encoding="utf-8")
        return text.rstrip("\n") + "\n" + "".join(f"{line}\n" for line in extra)

    def python_image(self, context: Path, template: str, role: str = "app",
                     extra_requirements: tuple[str, ...] = (GUNICORN,), src: Path | None = None,
                     **variables: Any) -> str:
        """Lay out a Python image context (src/, wheels/, requirements.txt) and build it.

        `src` defaults to the app source; the functions kind passes the unpacked zip.
        """
        base = baseimages.resolve(self.base_image(), self.progress)
        runtime = baseimages.probe(base)
        if runtime.python != self.defaults.python and not self.settings.base_image:
            self.progress(f"  {self.name}: note: base image has Python {runtime.python}, targets.yaml says {self.defaults.python}")
        requirements = self.requirements(extra_requirements)
        wheels = wheelhouse.ensure(requirements, runtime, self.project.build_dir / ".cache", self.name, self.progress)
        wheelhouse.link_into(wheels, context / "wheels")
        write(context / "requirements.txt", requirements)
        if src is None:
            source.copy(self.project, context / "src")
        else:
            shutil.copytree(src, context / "src")
        write(context / ".dockerignore", render(DOCKERIGNORE))
        write(context / "Dockerfile", render(template, base=base, app=self.app, uid=APP_UID, port=self.settings.port,
                                             cache_control=self.defaults.cache_control, **variables))
        return self.image(context, role)

    def image(self, context: Path, role: str) -> str:
        digest = tree_hash(context)[:12]
        repo = f"flaskship/{self.name}" + ("" if role == "app" else f"-{role}")
        tag = f"{repo}:{digest}"
        image_id = docker_ops.build_image(
            context, tag, self.name,
            {f"{docker_ops.LABEL}.target": self.name, f"{docker_ops.LABEL}.inputs": digest,
             f"{docker_ops.LABEL}.role": role},
            progress=self.progress,
        )
        self.record.images[role] = {"ref": tag, "id": image_id}
        return tag

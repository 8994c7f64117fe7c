"""What the kinds that ship a container image share: build what render() laid
out, push it by digest, verify the registry holds it."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from ..build.images import build_images
from ..publish import images
from . import TargetSettings

if TYPE_CHECKING:
    from ..build.job import BuildJob
    from ..publish.steps import PublishContext, Step
    from ..records import BuildRecord


class ContainerKind:
    # Manifest media types the platform's registry accepts; empty: any.
    media_types: tuple[str, ...] = ()

    def build(self, job: BuildJob) -> None:
        build_images(job)

    def publish_steps(self, name: str, settings: TargetSettings, record: BuildRecord, label: str) -> list[Step]:
        return images.steps(name, settings, record, label)

    def publish(self, step: Step, ctx: PublishContext) -> dict[str, Any]:
        return images.push(step, ctx, self.media_types)


def gcloud_env_flag(env: dict[str, str]) -> list[str]:
    """--set-env-vars for gcloud; values holding commas switch to gcloud's ^DELIM^ syntax
    (`gcloud topic escaping`) so a comma never splits a value."""
    if not env:
        return []
    pairs = [f"{key}={value}" for key, value in sorted(env.items())]
    if not any("," in pair for pair in pairs):
        return ["--set-env-vars", ",".join(pairs)]
    delimiter = next(d for d in "@#%:;|~" if not any(d in pair for pair in pairs))
    return ["--set-env-vars", f"^{delimiter}^" + delimiter.join(pairs)]


def shell(*args: str) -> str:
    """A command a person can paste: every argument shell-quoted."""
    return shlex.join(args)

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


def gcloud_list(items: list[str]) -> str:
    """A gcloud list argument; items holding commas switch to gcloud's ^DELIM^ syntax
    (`gcloud topic escaping`), so a comma never splits an item."""
    if not any("," in item for item in items) and not (items and items[0].startswith("^")):
        return ",".join(items)
    # One or more characters found in no item ("multi-character delimiters are allowed"); never '^',
    # which would end the ^DELIM^ prefix early.
    candidates = (d * n for n in range(1, 64) for d in "@#%:;|~")
    delimiter = next(d for d in candidates if not any(d in item for item in items))
    return f"^{delimiter}^" + delimiter.join(items)


def gcloud_env_flag(env: dict[str, str]) -> list[str]:
    """--set-env-vars for gcloud, one item per variable."""
    if not env:
        return []
    return ["--set-env-vars", gcloud_list([f"{key}={value}" for key, value in sorted(env.items())])]


def shell(*args: str) -> str:
    """A command a person can paste: every argument shell-quoted."""
    return shlex.join(args)

"""What every kind does, and how a command finds a registered kind's behaviour.

The flow is one way: render (pure files) -> build (images, zip) -> smoke
(verdicts) -> publish (push, upload) -> deploy commands (printed).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from . import KINDS, TargetSettings

if TYPE_CHECKING:
    from ..build.job import BuildJob
    from ..publish.steps import Deploy, PublishContext, Step
    from ..records import BuildRecord
    from ..smoke.session import SmokeRun


class Kind(Protocol):
    name: str
    # The templates it renders, as "<prefix>/<file>" (checked by tests/unit/test_kinds.py).
    templates: tuple[str, ...]
    # Request path -> why this platform legitimately answers it differently.
    differences: Mapping[str, str]

    def render(self, job: BuildJob) -> None:
        """Write the platform files and image contexts into job.staging. No Docker."""

    def build(self, job: BuildJob) -> None:
        """Build what render() declared (images, checks that need the engine)."""

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        """Run the built target as its platform would and record check results."""

    def publish_steps(self, name: str, settings: TargetSettings, record: BuildRecord, label: str) -> list[Step]:
        """What publish would push or upload, and with which credentials variable."""

    def publish(self, step: Step, ctx: PublishContext) -> dict[str, Any]:
        """Push or upload one step; return what the release record keeps of it."""

    def deploy_commands(self, name: str, settings: TargetSettings, entry: Mapping[str, Any],
                        deploy: Deploy) -> list[str]:
        """The platform's own commands that deploy what was published."""


def behaviour(name: str) -> Kind:
    """The registered kind's behaviour (imported on first use)."""
    module = importlib.import_module(KINDS[name].module(name))
    kind: Kind = module.KIND
    return kind

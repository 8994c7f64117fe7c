"""Publish an image: push each tag unless it already names the image, then verify.

Shared by every kind that ships a container image (ContainerKind).
"""

from __future__ import annotations

import os
from typing import Any

import requests

from ..engine import registry_http, registry_push
from ..errors import PublishFailed
from ..kinds import TargetSettings
from ..records import BuildRecord
from .steps import PublishContext, Step


def steps(name: str, settings: TargetSettings, record: BuildRecord, label: str) -> list[Step]:
    repository, auth = settings.repository(), settings.credentials()
    if not repository or auth is None:
        raise PublishFailed(f"{label}: targets.{name}.registry and targets.{name}.auth must be set to publish")
    return [Step(name, settings.kind, image["id"], repository if role == "app" else f"{repository}-{role}",
                 auth.password_env, role) for role, image in sorted(record.images.items())]


def login(step: Step, settings: TargetSettings) -> registry_push.Login:
    secret = os.environ.get(step.variable)
    if not secret:
        raise PublishFailed(f"{step.target}: ${step.variable} is not set; export it (it holds the credentials for {step.where})")
    auth = settings.credentials()
    assert auth is not None  # steps() refused a target without auth
    username = os.environ.get(auth.username_env, "") if auth.username_env else auth.username
    return registry_push.Login(username, secret, step.variable)


def push(step: Step, ctx: PublishContext, media_types: tuple[str, ...] = ()) -> dict[str, Any]:
    """Push the image under the commit and the extra tags; return its record entry."""
    settings = ctx.project.target(step.target)
    credentials = login(step, settings)
    digest = ""
    for tag in [ctx.sha, *settings.tags]:
        digest = _push_tag(step, tag, credentials, ctx, media_types)
    ctx.progress(f"{step.target}: {step.where}@{digest}")
    return {f"image{'' if step.role == 'app' else '_' + step.role}": f"{step.where}@{digest}"}


def _push_tag(s: Step, tag: str, login: registry_push.Login, ctx: PublishContext,
              media_types: tuple[str, ...]) -> str:
    """Push one tag unless it already names this image; verify what the registry now holds."""
    present = registry_http.already_there(s.what, s.where, tag, login, s.target)
    if present:
        ctx.progress(f"{s.target}: {s.where}:{tag} already names this image; nothing to push")
        return present
    ctx.progress(f"{s.target}: pushing {s.role} to {s.where}:{tag} ...")
    pushed = registry_push.push(s.what, s.where, tag, login, s.target, ctx.progress)
    try:
        found = registry_http.manifest(s.where, tag, login, s.target)
    except requests.RequestException as exc:
        raise PublishFailed(f"{s.target}: cannot reach {s.where} to verify :{tag} ({type(exc).__name__})") from None
    if found is None:
        raise PublishFailed(f"{s.target}: {s.where}:{tag} is missing from the registry right after the push")
    remote, media_type = found
    if remote != pushed:
        raise PublishFailed(f"{s.target}: {s.where}:{tag} has digest {remote}, but docker pushed {pushed}")
    if media_types and media_type not in media_types:
        raise PublishFailed(f"{s.target}: {s.where}:{tag} is {media_type}; the platform accepts only {', '.join(media_types)}")
    return pushed

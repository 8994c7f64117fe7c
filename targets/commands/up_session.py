"""What `invoke up` is running: the Session every layer (runner, service, front) works on."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from docker.models.containers import Container

from ..build import manifest_slice
from ..kinds import TargetSettings
from ..manifest import Project
from ..records import BuildRecord

Layer = Callable[["Session"], AbstractContextManager[None]]


@dataclass
class Session:
    project: Project
    name: str
    settings: TargetSettings
    record: BuildRecord
    env_name: str
    env: dict[str, str]
    progress: Callable[[str], None] = print
    url: str = ""
    # Set by the services layer: the network the app joins to reach them, and what a
    # compose stack (which runs its own from its file) takes in its variables.
    network: str | None = None
    compose_env: dict[str, str] = field(default_factory=dict)
    # Set by a container runner: the app's container and the port it serves on inside
    # it, for a front to reach.
    container: Container | None = None
    container_port: int = 0
    # Streams the running target's log lines; it returns when the target stops.
    follow: Callable[[], Iterator[str]] = field(default=lambda: iter(()))


def session(project: Project, name: str, env: str | None, progress: Callable[[str], None]) -> Session:
    settings = project.target(name)
    record = manifest_slice.refuse_stale(project, name)
    env_name, environment = project.environment(env)
    values = dict(environment.env)
    for secret in environment.secrets:
        value = os.environ.get(secret)
        if value is None:
            value = secrets.token_urlsafe(32)
            progress(f"note: {secret} is not set; {name} runs with a throwaway value")
        values[secret] = value
    return Session(project, name, settings, record, env_name, values, progress)

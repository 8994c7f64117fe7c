"""running(project, names): the services up for one smoke run (or `invoke up`).

Each run gets its own instances: a bridge network of its own, where each
server answers to its service name (`db:5432`, as in compose), labelled
containers with their ports published on free loopback ports, fresh
credentials, and everything removed on the way out, after a failure and
Ctrl-C too. A service that does not start is recorded, with its logs, and
only the targets that use it fail.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from docker.errors import DockerException
from docker.models.containers import Container

from ..engine import docker_client
from ..errors import FlaskshipError, SmokeFailed
from . import images, wiring
from .kinds import ServiceKind, behaviour, generate
from .settings import ServiceSettings

if TYPE_CHECKING:
    from ..manifest import Project

READY_WITHIN = 60.0
POLL = 0.1
LABEL = "services"


@dataclass
class Instance:
    name: str
    settings: ServiceSettings
    kind: ServiceKind
    creds: dict[str, str]
    image: str = ""
    container: Container | None = None
    host_port: int = 0
    started: float = 0.0  # time.monotonic() when its container was started
    seconds: float = 0.0  # from then until it answered
    error: str = ""  # one line, when it did not start
    logs: str = ""
    snapshot: bool = False

    def wired(self) -> wiring.Wired:
        """The connection as the app sees it, on the services network."""
        fields = self.kind.fields(self.name, self.kind.port, self.settings, self.creds)
        return wiring.Wired(self.name, self.settings, fields, self.kind.heroku(fields))

    def local(self) -> dict[str, str]:
        """The connection from this machine: its published loopback port."""
        return self.kind.fields("127.0.0.1", self.host_port, self.settings, self.creds)


@dataclass
class Live:
    network: str | None
    instances: dict[str, Instance] = field(default_factory=dict)

    def env(self, names: Iterable[str], heroku: bool = False) -> dict[str, str]:
        wired = [self.instances[name].wired() for name in names]
        return wiring.heroku(wired) if heroku else wiring.declared(wired)

    def compose_env(self, names: Iterable[str]) -> dict[str, str]:
        """What docker-compose.yml's ${FLASKSHIP_<SERVICE>_...} references take in this run."""
        env: dict[str, str] = {}
        for name in names:
            instance = self.instances[name]
            env[wiring.compose_variable(name, "image")] = instance.image or instance.kind.image(instance.settings)
            env.update({wiring.compose_variable(name, field): value for field, value in instance.creds.items()})
        return env

    def secrets(self) -> list[str]:
        return [value for instance in self.instances.values() for value in instance.creds.values()]

    def check(self, names: Iterable[str]) -> None:
        """SmokeFailed, with its logs, if one of these services did not start or has since stopped."""
        for name in names:
            instance = self.instances[name]
            if instance.error:
                raise SmokeFailed(instance.error, instance.logs)
            assert instance.container is not None
            if not docker_client.is_running(instance.container):
                state = instance.container.attrs.get("State", {})
                raise SmokeFailed(f"service {name} ({instance.settings.kind}) stopped during the run "
                                  f"(exit status {state.get('ExitCode')})", docker_client.logs(instance.container))

    def uses(self, names: Iterable[str]) -> dict[str, int]:
        """How often the app has reached each of these services so far (ServiceKind.uses); a
        service that is down, or that could not be read, is left out rather than guessed."""
        found: dict[str, int] = {}
        for name in names:
            instance = self.instances[name]
            if instance.error or instance.container is None:
                continue
            try:
                found[name] = instance.kind.uses(instance.container, instance.host_port, instance.settings,
                                                 instance.creds)
            except (FlaskshipError, DockerException, OSError, ValueError, IndexError):
                continue
        return found

    def reset(self, names: Iterable[str], to_snapshot: bool = False) -> None:
        """Empty each service; with to_snapshot, a database goes back to its snapshot instead."""
        names = list(names)
        self.check(names)
        for name in names:
            instance = self.instances[name]
            assert instance.container is not None
            instance.kind.reset(instance.container, instance.host_port, instance.settings, instance.creds,
                                to_snapshot and instance.snapshot)
            if not to_snapshot:
                instance.snapshot = False

    def snapshot(self, names: Iterable[str]) -> None:
        """Keep the current state (what the release step made) for reset(to_snapshot=True)."""
        for name in names:
            instance = self.instances[name]
            assert instance.container is not None
            instance.snapshot = instance.kind.snapshot(instance.container, instance.settings)


NONE = Live(None)


@contextmanager
def running(project: Project, names: Iterable[str], progress: Callable[[str], None] = print) -> Iterator[Live]:
    """Start these services (names from the manifest's `services`), wait until each
    answers, yield them; always remove them and their network."""
    wanted = sorted(set(names))
    declared = {name: project.manifest.services[name] for name in wanted}
    with started(declared, project.manifest.base_image(), project.build_dir / ".cache", progress) as live:
        yield live


@contextmanager
def started(declared: Mapping[str, ServiceSettings], base_image: str, cache: Path,
            progress: Callable[[str], None] = print) -> Iterator[Live]:
    """running(), for services given by their settings (init's probe has no manifest yet)."""
    if not declared:
        yield NONE
        return
    with ExitStack() as stack:
        network = stack.enter_context(docker_client.network(LABEL))
        # Images first (a stand-in may have to be built), so start times count only the start.
        live = Live(network, _instances(declared, base_image, cache, progress))
        for instance in live.instances.values():
            if instance.error:
                continue
            start = instance.kind.start(instance.settings, instance.creds)
            instance.started = time.monotonic()
            try:
                instance.container, instance.host_port = stack.enter_context(docker_client.running(
                    instance.image, LABEL, environment=start.environment, container_port=instance.kind.port,
                    network=network, aliases=(instance.name,), command=start.command))
            except FlaskshipError as exc:
                instance.error = f"service {instance.name} ({instance.kind.name}) did not start: {exc.message}"
                instance.logs = exc.detail
        _wait([i for i in live.instances.values() if not i.error], progress)
        yield live


def planned(project: Project, names: Iterable[str], progress: Callable[[str], None] = print) -> Live:
    """These services with fresh credentials and their images, none started: what a
    compose stack, which runs its own from its file, takes in its variables."""
    declared = {name: project.manifest.services[name] for name in sorted(set(names))}
    live = Live(None, _instances(declared, project.manifest.base_image(), project.build_dir / ".cache", progress))
    for instance in live.instances.values():
        if instance.error:
            raise SmokeFailed(instance.error, instance.logs)
    return live


def _instances(declared: Mapping[str, ServiceSettings], base_image: str, cache: Path,
               progress: Callable[[str], None]) -> dict[str, Instance]:
    """An Instance per service, with generated credentials and its image resolved (or its error)."""
    instances: dict[str, Instance] = {}
    for name, settings in declared.items():
        kind = behaviour(settings.kind)
        instance = instances[name] = Instance(name, settings, kind, generate(kind))
        try:
            instance.image = images.resolve(name, instance.settings, kind, base_image, cache, progress)
        except FlaskshipError as exc:
            instance.error, instance.logs = f"service {name} ({kind.name}) has no image: {exc.message}", exc.detail
    return instances


def _wait(pending: list[Instance], progress: Callable[[str], None]) -> None:
    """Poll every instance in turn (they boot in parallel) until each answers, exits or times out."""
    while pending:
        for instance in list(pending):
            container = instance.container
            assert container is not None
            if instance.kind.ready(instance.host_port, instance.settings, instance.creds):
                instance.seconds = time.monotonic() - instance.started
                progress(f"  services: {instance.name} ({instance.image}) ready in {instance.seconds:.2f} s")
                pending.remove(instance)
                continue
            if not docker_client.is_running(container):
                state = container.attrs.get("State", {})
                instance.error = (f"service {instance.name} ({instance.kind.name}) did not start: its container "
                                  f"exited (status {state.get('ExitCode')}); see its log")
            elif time.monotonic() - instance.started > READY_WITHIN:
                instance.error = (f"service {instance.name} ({instance.kind.name}) did not start: no answer on "
                                  f"its port within {READY_WITHIN:g} s; see its log")
            else:
                continue
            instance.logs = docker_client.logs(container)
            progress(f"  services: {instance.error}")
            pending.remove(instance)
        time.sleep(POLL)

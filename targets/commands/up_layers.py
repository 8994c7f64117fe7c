"""The layers `invoke up` puts around a target's runner (see up.py): its backing
services, and the Firebase Hosting edge in front of a Cloud Run container."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..kinds.cloudrun.edge import run as edge_run
from ..kinds.cloudrun.settings import CloudRunSettings
from ..services import live
from .up_session import Session


@contextmanager
def services(run: Session) -> Iterator[None]:
    """The target's services, wired as its platform wires them (Heroku: its add-ons'
    variables). A compose stack runs its own from its file: it gets their images
    and fresh credentials only."""
    names = list(run.project.manifest.services_of(run.name))
    if not names:
        yield
        return
    if run.settings.kind == "compose":
        run.compose_env = live.planned(run.project, names, run.progress).compose_env(names)
        yield
        return
    with live.running(run.project, names, run.progress) as backing:
        backing.check(names)
        run.network = backing.network
        run.env.update(backing.env(names, heroku=run.settings.kind == "heroku"))
        yield


@contextmanager
def hosting_edge(run: Session) -> Iterator[None]:
    """The local Hosting edge (firebase.json's rewrites, headers, static files) in
    front of the container, as users reach the service; the container stays reachable."""
    settings = run.settings
    assert isinstance(settings, CloudRunSettings) and run.container is not None
    firebase_json = run.project.build_dir / run.name / "firebase.json"
    with edge_run.running(firebase_json, run.name, edge_run.upstream_of(run.container, run.container_port),
                          service_id=settings.service_id, image=run.project.manifest.defaults.nginx_image,
                          progress=run.progress) as edge:
        run.progress(f"{run.name}: the container itself answers at {run.url}; the Hosting edge is in front")
        run.url = edge.url
        yield

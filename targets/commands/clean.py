"""invoke clean: remove build/ and what this tool left in the engine for this project.

Only what carries this project's label (io.flaskship.project, a hash of the
manifest's folder, set on every image and container it makes and every
network compose makes for it) is touched: containers, their compose
projects' networks, and superseded images, keeping per target and role the
image the last build recorded and the newest one, and what those are built on. Six people can share an
engine; the base-image stand-ins and the sdist builder images are shared by
every project and are never removed here.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

import docker.errors

from ..engine import docker_client
from ..manifest import Project
from ..records import BuildRecord
from ..report.summary import size_text
from ..errors import RecordError

COMPOSE_PROJECT = "com.docker.compose.project"


@dataclass
class Cleaned:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    freed: int = 0
    build_dir: bool = False


def clean(project: Project, progress: Callable[[str], None] = print, keep_build: bool = False) -> Cleaned:
    engine = docker_client.client()
    mine = {"label": f"{docker_client.LABEL}.project={docker_client.project_id(project.root)}"}
    done = Cleaned()
    compose_projects: set[str] = set()
    for container in engine.containers.list(all=True, filters=mine):
        compose_projects.add(container.labels.get(COMPOSE_PROJECT, ""))
        docker_client.remove(container)
        done.containers.append(container.name)
    networks = {n.id: n for n in engine.networks.list(filters=mine)}
    for name in compose_projects - {""}:
        # A compose project's network, labelled by compose: ours only if one of our containers named it.
        networks.update({n.id: n for n in engine.networks.list(filters={"label": f"{COMPOSE_PROJECT}={name}"})})
    for network in networks.values():
        try:
            network.remove()
            done.networks.append(network.name)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:  # still used by a container that is not ours
            progress(f"  kept network {network.name}: {exc.explanation or exc}")
    _images(project, engine, mine, done, progress)
    if not keep_build and project.build_dir.exists():
        shutil.rmtree(project.build_dir)
        done.build_dir = True
    progress(f"clean: removed {len(done.containers)} container(s), {len(done.networks)} network(s), "
             f"{len(done.images)} superseded image(s) ({size_text(done.freed)} freed)"
             + (f", {project.build_dir}" if done.build_dir else "") + f"; kept {len(done.kept)} latest image(s)")
    return done


def _images(project: Project, engine: docker.DockerClient, mine: dict[str, str], done: Cleaned,
            progress: Callable[[str], None]) -> None:
    label = docker_client.LABEL
    groups: dict[tuple[str, str], list[docker.models.images.Image]] = {}
    # Top-level images only, as `docker images` lists them: an image's own LABEL step
    # comes first (python.Dockerfile.j2), so each build leaves an untagged parent with
    # the image's labels. It goes with the last image built on it, never on its own
    # (the engine refuses: "image has dependent child images").
    for image in engine.images.list(filters=mine):
        key = (image.labels.get(f"{label}.target", ""), image.labels.get(f"{label}.role", ""))
        groups.setdefault(key, []).append(image)
    recorded = _recorded_ids(project)
    kept: list[docker.models.images.Image] = []
    superseded: list[docker.models.images.Image] = []
    for (target, role), images in sorted(groups.items()):
        images.sort(key=_created, reverse=True)
        keep = {images[0].id} | {i.id for i in images if i.id in recorded}
        kept += [i for i in images if i.id in keep]
        superseded += [i for i in images if i.id not in keep]
    # What a kept image is built on stays with it: a target with its own port or
    # cache_control has a dependency stage of its own, which is not the newest of the group.
    below = _ancestors(engine, kept) if superseded else set()
    kept += [i for i in superseded if i.id in below]
    superseded = [i for i in superseded if i.id not in below]
    done.kept += [_name(i) for i in kept]
    # Newest first, whatever the group: an image goes before the one it was built on (an
    # old dependency stage after the old app images on it), which the engine would refuse.
    before = _layers_size(engine) if superseded else 0
    for image in sorted(superseded, key=_created, reverse=True):
        name = _name(image)
        try:
            engine.images.remove(image.id, force=True)
        except docker.errors.NotFound:
            continue
        except docker.errors.APIError as exc:
            # 409: an image is built on it (a kept one, or another project's), or a container uses it.
            progress(f"  kept {name}: in use ({exc.explanation or exc})")
            continue
        done.images.append(name)
    if done.images:
        done.freed = max(0, before - _layers_size(engine))


def _name(image: docker.models.images.Image) -> str:
    return (image.tags or [image.short_id])[0]


def _created(image: docker.models.images.Image) -> str:
    """When it was made (RFC 3339, so it sorts as text): an image is always newer than its parent."""
    return str(image.attrs.get("Created", ""))


def _ancestors(engine: docker.DockerClient, images: list[docker.models.images.Image]) -> set[str]:
    """Every image `images` are built on (their Parent chains, as the classic builder records them)."""
    found: set[str] = set()
    for image in images:
        parent = image.attrs.get("Parent") or ""
        while parent and parent not in found:
            found.add(parent)
            try:
                parent = engine.images.get(parent).attrs.get("Parent") or ""
            except docker.errors.NotFound:
                break
    return found


def _layers_size(engine: docker.DockerClient) -> int:
    """The engine's bytes of image layers, as `docker system df` counts them: what removing
    images frees is the difference, not their Size, which counts the base and the layers
    the kept images share (a superseded app image is one layer of code: kB, not 260 MB)."""
    return int(engine.df().get("LayersSize") or 0)


def _recorded_ids(project: Project) -> set[str]:
    ids: set[str] = set()
    for name in project.manifest.targets:
        try:
            record = BuildRecord.load(project.build_dir, name)
        except RecordError:
            continue
        ids.update(image["id"] for image in record.images.values())
    return ids

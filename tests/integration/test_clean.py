"""invoke clean removes this project's leftovers, keeps its latest images, and touches nothing else."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest
import yaml

from targets.engine.docker_client import project_id
from tests.helpers import SESSION, copy_demo, invoke, record

pytestmark = pytest.mark.docker
ROOTFS = "flaskship-standin/debian:bookworm"


def one_target(root: Path, name: str = "cloudrun") -> Path:
    """The demo reduced to one target: a throwaway project of its own."""
    path = root / "targets.yaml"
    manifest = yaml.safe_load(path.read_text())
    manifest["targets"] = {name: manifest["targets"][name]}
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return path


def test_clean_removes_only_this_projects_leftovers_and_keeps_the_latest_image(
        tmp_path: Path, engine: docker.DockerClient) -> None:
    root = copy_demo(tmp_path / "mine")
    manifest = one_target(root)
    mine = {"io.flaskship.project": project_id(root), "io.flaskship.session": SESSION}
    other = {"io.flaskship.project": f"other-{uuid.uuid4().hex[:8]}", "io.flaskship.session": SESSION}
    containers: list[docker.models.containers.Container] = []
    networks: list[docker.models.networks.Network] = []
    try:
        assert invoke("build", "--manifest", str(manifest)).code == 0
        first = record(root, "cloudrun")["images"]["app"]["id"]
        first_deps = engine.images.get(first).attrs["Parent"]  # the image's LABEL step, on the dependency stage
        first_deps = engine.images.get(first_deps).attrs["Parent"]
        assert engine.images.get(first_deps).labels["io.flaskship.role"] == "deps"
        with (root / "app/wsgi.py").open("a") as handle:
            handle.write("# an edit: the next build makes a new image\n")
        # And a new dependency stage (its ENV has the cache default): the first one, with the
        # image on it, is superseded too, and goes after that image, never refused.
        data = yaml.safe_load(manifest.read_text())
        data["defaults"]["cache_control"] = f"public, max-age={uuid.uuid4().int % 100000}"  # not in any cache
        manifest.write_text(yaml.safe_dump(data, sort_keys=False))
        assert invoke("build", "--manifest", str(manifest)).code == 0
        latest = record(root, "cloudrun")["images"]["app"]["id"]
        assert latest != first
        assert engine.images.get(first).labels["io.flaskship.project"] == project_id(root)
        # What an interrupted run could leave, ours and someone else's.
        for labels in (mine, other):
            networks.append(engine.networks.create(f"flaskship-test-{uuid.uuid4().hex[:8]}", labels=labels))
            containers.append(engine.containers.create(ROOTFS, ["sleep", "300"], labels=labels))
        result = invoke("clean", "--manifest", str(manifest))
        assert result.code == 0, result.stdout + result.stderr
        assert "clean: removed 1 container(s), 1 network(s), 2 superseded image(s)" in result.stdout, result.stdout
        assert "  kept " not in result.stdout, result.stdout
        assert "kept 2 latest image(s)" in result.stdout, result.stdout  # the app image and its dependency stage
        # What it freed is the superseded image's own layer (the app's code), not the base and
        # the dependencies it shared with the image kept.
        freed = result.stdout.split("superseded image(s) (", 1)[1].split(" freed)", 1)[0]
        assert freed.endswith(" kB") and 0 < float(freed.split()[0]) < 1000, result.stdout
        assert engine.containers.list(all=True, filters={"label": f"io.flaskship.project={mine['io.flaskship.project']}"}) == []
        assert engine.networks.list(filters={"label": f"io.flaskship.project={mine['io.flaskship.project']}"}) == []
        assert len(engine.containers.list(all=True, filters={"label": f"io.flaskship.project={other['io.flaskship.project']}"})) == 1
        assert len(engine.networks.list(filters={"label": f"io.flaskship.project={other['io.flaskship.project']}"})) == 1
        kept = engine.images.list(filters={"label": f"io.flaskship.project={project_id(root)}"})
        # The dependency stage of the latest build stays too: the next build's cache.
        assert [image.id for image in kept if image.labels.get("io.flaskship.role") != "deps"] == [latest]
        assert len([image for image in kept if image.labels.get("io.flaskship.role") == "deps"]) <= 1
        for gone in (first, first_deps):
            with pytest.raises(docker.errors.ImageNotFound):
                engine.images.get(gone)
        assert not (root / "build").exists()
        again = invoke("clean", "--manifest", str(manifest))
        assert "clean: removed 0 container(s), 0 network(s), 0 superseded image(s)" in again.stdout
    finally:
        for container in containers:
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass
        for network in networks:
            try:
                network.remove()
            except docker.errors.NotFound:
                pass
        _remove_images(engine, root)


def test_clean_keeps_each_dependency_stage_a_kept_image_is_built_on(
        tmp_path: Path, engine: docker.DockerClient) -> None:
    # A target with a port of its own has a dependency stage of its own (its ENV differs), so
    # the project has two, and the older is not the newest of their group: the image on it
    # still needs it, and clean keeps it without asking the engine to remove it.
    root = copy_demo(tmp_path / "ports")
    manifest = one_target(root)
    data = yaml.safe_load(manifest.read_text())
    data["targets"]["other-port"] = {**data["targets"]["cloudrun"], "port": 9000 + uuid.uuid4().int % 999}
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        assert invoke("build", "--manifest", str(manifest)).code == 0
        stages = {name: engine.images.get(engine.images.get(record(root, name)["images"]["app"]["id"])
                                          .attrs["Parent"]).attrs["Parent"] for name in ("cloudrun", "other-port")}
        assert len(set(stages.values())) == 2
        result = invoke("clean", "--manifest", str(manifest))
        assert result.code == 0, result.stdout + result.stderr
        assert "0 superseded image(s)" in result.stdout and "  kept " not in result.stdout, result.stdout
        assert "kept 4 latest image(s)" in result.stdout, result.stdout  # two app images, two stages
        for stage in stages.values():
            assert engine.images.get(stage).labels["io.flaskship.role"] == "deps"
    finally:
        _remove_images(engine, root)


def _remove_images(engine: docker.DockerClient, root: Path) -> None:
    """The project's images, newest first: an image before the one it was built on, which
    the engine would refuse."""
    left = engine.images.list(filters={"label": f"io.flaskship.project={project_id(root)}"})
    for image in sorted(left, key=lambda i: str(i.attrs.get("Created", "")), reverse=True):
        engine.images.remove(image.id, force=True)

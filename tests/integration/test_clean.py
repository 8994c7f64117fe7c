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
        with (root / "app/wsgi.py").open("a") as handle:
            handle.write("# an edit: the next build makes a new image\n")
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
        assert "clean: removed 1 container(s), 1 network(s), 1 superseded image(s)" in result.stdout
        assert engine.containers.list(all=True, filters={"label": f"io.flaskship.project={mine['io.flaskship.project']}"}) == []
        assert engine.networks.list(filters={"label": f"io.flaskship.project={mine['io.flaskship.project']}"}) == []
        assert len(engine.containers.list(all=True, filters={"label": f"io.flaskship.project={other['io.flaskship.project']}"})) == 1
        assert len(engine.networks.list(filters={"label": f"io.flaskship.project={other['io.flaskship.project']}"})) == 1
        kept = engine.images.list(filters={"label": f"io.flaskship.project={project_id(root)}"})
        # The dependency stage of the latest build stays too: the next build's cache.
        assert [image.id for image in kept if image.labels.get("io.flaskship.role") != "deps"] == [latest]
        assert len([image for image in kept if image.labels.get("io.flaskship.role") == "deps"]) <= 1
        with pytest.raises(docker.errors.ImageNotFound):
            engine.images.get(first)
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
        for image in engine.images.list(filters={"label": f"io.flaskship.project={project_id(root)}"}):
            engine.images.remove(image.id, force=True)

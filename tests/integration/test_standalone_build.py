"""Each image's rendered context builds on its own, with the docker CLI, to the very image
the tool built, smoked and would push.

That is how a platform builds it (heroku.yml names image/Dockerfile; `gcloud builds submit`
and `docker compose build` take the folder): nothing the tool does outside the context
(the shared stage built first, the byte-compiled code, the venv made on the host) may be
missing from it. The classic builder, as the tool's (docker-py has no BuildKit), so that
the same steps on the same engine give the same image id: any difference in a step or a
byte makes another id. (A step that runs a command, app.system_packages' apt-get, is then
a cache hit, not run again: the test proves the context and the steps, not the network.)
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import docker
import pytest

from targets.engine import base_images
from tests.helpers import record

pytestmark = pytest.mark.docker

ARG = re.compile(r"^ARG BASE_IMAGE=(\S+)$", re.MULTILINE)


@pytest.mark.parametrize("target", ["cloudrun", "heroku", "compose", "functions"])
def test_the_context_alone_builds_the_recorded_image(built: Path, engine: docker.DockerClient, target: str) -> None:
    images = record(built, target)["images"]
    assert images
    for role, image in sorted(images.items()):
        context = built / "build" / target / image["context"]
        base = ARG.search((context / "Dockerfile").read_text())
        assert base is not None, f"{target}/{role}: no ARG BASE_IMAGE"
        resolved = base_images.resolve(base.group(1), lambda _line: None)  # the stand-in here, as the build used
        result = subprocess.run(["docker", "build", "-q", "--build-arg", f"BASE_IMAGE={resolved}", str(context)],
                                capture_output=True, text=True, env={**os.environ, "DOCKER_BUILDKIT": "0"})
        made = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        try:
            assert result.returncode == 0, result.stderr[-2000:]
            assert made == image["id"], f"{target}/{role}: the context builds {made}, the tool recorded {image['id']}"
        finally:
            if made.startswith("sha256:") and made != image["id"]:
                engine.images.remove(made, force=True)

"""The bench's two arms, and the cold engine cache they start from.

Cold, without touching anything else on a shared engine: each cold round
builds on bases of its own (the configured base plus one LABEL: the same
layers, a new image id), so no cached step matches, and no one else's image
or cache is removed. Everything built on such a base is this bench's, and is
removed at the end (children first, then the salted bases).

Naive arm: the common tutorial style for each container target, one
single-stage Dockerfile each in the app's folder (`COPY . /app` before
`pip install`, shell-form CMD), built one after another with the docker CLI,
from the same base and the same wheelhouse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

from ..engine import base_images, docker_client
from .bench_figures import run, run_cpu

REPO = Path(__file__).resolve().parent.parent.parent
BENCH_LABEL = f"{docker_client.LABEL}.bench"

NAIVE_CMD = {
    "cloudrun": "gunicorn --bind 0.0.0.0:$PORT --workers 1 --threads 8 --timeout 0 {entry}",
    "heroku": "gunicorn --bind 0.0.0.0:$PORT {entry}",
    "compose": "gunicorn --bind 0.0.0.0:$PORT --workers 2 {entry}",
}
NAIVE = """FROM {base}
WORKDIR /app
COPY . /app
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/app/wheels -r requirements.txt
ENV PATH=/opt/venv/bin:$PATH PORT={port}
USER 10001
CMD {cmd}
"""
NAIVE_NGINX = """FROM {base}
COPY nginx/nginx.conf /etc/flaskship/nginx.conf
COPY nginx/static/ /srv/static/
CMD ["nginx", "-e", "stderr", "-c", "/etc/flaskship/nginx.conf", "-g", "daemon off;"]
"""


def salted_bases(python: str, nginx: str, run_id: str) -> tuple[str, str]:
    """Fresh ids for the two bases (resolved to what the engine has): a cold cache for this bench only."""
    salt = uuid.uuid4().hex[:8]
    made = []
    for ref, repo in ((python, "python"), (nginx, "nginx")):
        tag = f"flaskship-bench/{repo}:{salt}"
        context = Path(os.environ.get("TMPDIR", "/tmp")) / f"flaskship-salt-{salt}-{repo}"
        context.mkdir(parents=True)
        try:
            (context / "Dockerfile").write_text(f"FROM {base_images.resolve(ref, lambda _l: None)}\n"
                                                f"LABEL {BENCH_LABEL}.salt={salt}\n")
            docker_client.build_image(context, tag, "bench", {BENCH_LABEL: run_id}, progress=lambda _l: None)
        finally:
            shutil.rmtree(context, ignore_errors=True)
        made.append(tag)
    return made[0], made[1]


def set_bases(manifest: Path, python: str, nginx: str) -> None:
    """Point the bench copy's manifest at the salted bases (every target, so all build cold)."""
    data = yaml.safe_load(manifest.read_text())
    data.setdefault("defaults", {})["base_image"] = python
    data["defaults"]["nginx_image"] = nginx
    for settings in data.get("targets", {}).values():
        settings.pop("base_image", None)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def invoke(*args: str, session: str) -> float:
    """`invoke ...` as a user runs it: a new process, its start in the wall time."""
    return invoke_cpu(*args, session=session)[0]


def invoke_cpu(*args: str, session: str) -> tuple[float, float | None]:
    """invoke(), and the machine's CPU-seconds over it (bench_figures.machine_cpu)."""
    env = {**os.environ, "FLASKSHIP_SESSION": session}
    return run_cpu([sys.executable, "-m", "invoke", "--search-root", str(REPO), *args], f"invoke {args[0]}", env=env)


def naive_context(root: Path, ours: Path) -> Path:
    """The app's folder as a tutorial has it: the code, requirements.txt and the
    wheelhouse (the very wheels our build used), and the compose target's nginx files."""
    context = root / "naive"
    image = next(p for p in (ours / "image", ours / "web") if p.is_dir())
    shutil.copytree(image / "src", context, ignore=shutil.ignore_patterns(".flaskship"))  # ours, not the app's
    shutil.copy(image / "requirements.txt", context / "requirements.txt")
    shutil.copytree(image / "wheels", context / "wheels")
    return context


def naive_dockerfiles(context: Path, kinds: dict[str, str], base: str, nginx_base: str, nginx: Path | None,
                      entry: str, port: int) -> dict[str, str]:
    """target -> Dockerfile name, one per container target (and the compose target's nginx)."""
    files = {}
    for name, kind in sorted(kinds.items()):
        if kind not in NAIVE_CMD:
            continue
        cmd = NAIVE_CMD[kind].format(entry=entry)
        (context / f"Dockerfile.{name}").write_text(NAIVE.format(base=base, port=port, cmd=cmd))
        files[name] = f"Dockerfile.{name}"
        if kind == "compose" and nginx is not None:
            if not (context / "nginx").exists():
                shutil.copytree(nginx, context / "nginx", ignore=shutil.ignore_patterns("Dockerfile"))
            (context / f"Dockerfile.{name}-nginx").write_text(NAIVE_NGINX.format(base=nginx_base))
            files[f"{name}-nginx"] = f"Dockerfile.{name}-nginx"
    return files


def naive_build(context: Path, files: dict[str, str], tag: str, run_id: str) -> tuple[float, dict[str, str]]:
    """Build every naive image one after another with the docker CLI; (wall time, name -> tag)."""
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    tags, took = {}, 0.0
    for name, dockerfile in files.items():
        tags[name] = f"flaskship-bench/naive-{name}:{tag}"
        took += run(["docker", "build", "-q", "--force-rm", "--label", f"{BENCH_LABEL}={run_id}", "-t", tags[name],
                     "-f", dockerfile, "."], f"docker build {dockerfile}", env=env, cwd=context)
    return took, tags


def remove_built_on(salted: list[str]) -> None:
    """Remove every image whose ancestry holds a salted base (this bench's only), then the bases.

    Children first; an image created in the same second as its parent may come
    out of the order, so passes repeat while any such image is left."""
    ids = {base_images.image_id(tag) for tag in salted if base_images.exists(tag)}
    for _ in range(5):
        listed = docker_client.client().api.images(all=True)
        parents = {image["Id"]: image.get("ParentId", "") for image in listed}
        created = {image["Id"]: image.get("Created", 0) for image in listed}

        def built_on_salt(image: str) -> bool:
            parent = parents.get(image, "")
            while parent:
                if parent in ids:
                    return True
                parent = parents.get(parent, "")
            return False

        mine = sorted((i for i in parents if built_on_salt(i)), key=created.__getitem__, reverse=True)
        if not mine:
            break
        for image in mine:
            subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
    for tag in salted:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)

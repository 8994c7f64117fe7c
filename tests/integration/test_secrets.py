"""Secrets, proven absent everywhere, with canaries (canaries.py).

The shared `built` project has local secrets lying around (.env, .ENV, .env~,
.envrc, .env.production, secret.pem, an instance config, and a .env and a key
in the static folder), and the declared secret SECRET_KEY gets a canary value
at smoke and publish time. None of them may appear in any image layer, config
or history, in build/ (rendered contexts, records, the zip), in the tool's
output, or in release.json. And what publish pushes is what smoke ran: the
pushed images are the smoked images by id, the zip holds the runner's files.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import yaml

from targets.build import code
from targets.records import BuildRecord
from tests.helpers import REPO, CliResult, assert_one_clear_line, invoke
from tests.integration import canaries, heroku_standin, services

pytestmark = pytest.mark.docker
BUCKET = "flaskship-secrets-bucket"
ENV = "staging"  # an environment that declares SECRET_KEY


@pytest.fixture(scope="module")
def published(built: Path, tmp_path_factory: pytest.TempPathFactory,
              engine: docker.DockerClient) -> Iterator[dict[str, object]]:
    secret = {"SECRET_KEY": canaries.DECLARED}
    outputs: list[CliResult] = [invoke("smoke", "--manifest", str(built / "targets.yaml"), "--env", ENV, env=secret)]
    assert outputs[0].code == 0, outputs[0].stdout + outputs[0].stderr
    with services.registry(tmp_path_factory.mktemp("registry")) as server, services.gcs(BUCKET) as gcs_url, \
            heroku_standin.heroku_api("flask-demo", services.PASSWORD) as heroku:
        manifest = yaml.safe_load((built / "targets.yaml").read_text())
        auth = {"username_env": "REGISTRY_USER", "password_env": "REGISTRY_PASSWORD"}
        for name in ("cloudrun", "compose", "heroku"):
            manifest["targets"][name].update(registry=f"{server.address}/secrets/{name}", auth=auth)
        manifest["targets"]["heroku"]["api"] = heroku.url
        manifest["targets"]["functions"].update(bucket=BUCKET, token_env="GCS_TOKEN")
        path = built / "secrets-publish.yaml"
        path.write_text(yaml.safe_dump(manifest, allow_unicode=True))
        env = {**secret, "REGISTRY_USER": services.USER, "REGISTRY_PASSWORD": services.PASSWORD,
               "GCS_TOKEN": "test-token", "STORAGE_EMULATOR_HOST": gcs_url}
        outputs.append(invoke("publish", "--manifest", str(path), "--env", ENV, "--allow-standin", env=env))
        assert outputs[-1].code == 0, outputs[-1].stdout + outputs[-1].stderr
        try:
            yield {"root": built, "outputs": outputs, "manifest": path, "env": env, "registry": server.address}
        finally:
            for image in engine.images.list():
                for tag in image.tags:
                    if tag.startswith(f"{server.address}/"):
                        engine.images.remove(tag, noprune=True)


def _records(root: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in (root / "build").glob("*/build.json")}


def test_no_canary_in_any_image_layer_config_or_history(published: dict[str, object], tmp_path: Path) -> None:
    ids = sorted({image["id"] for record in _records(published["root"]).values()  # type: ignore[arg-type]
                  for image in record["images"].values()})
    assert len(ids) == 5  # cloudrun, heroku, compose web and nginx, the functions runner
    saved = tmp_path / "images.tar"
    subprocess.run(["docker", "save", "-o", str(saved), *ids], check=True)  # each layer once
    scanned, leaks = 0, {}
    with tarfile.open(saved) as archive:
        for member in archive:
            if not member.isfile():
                continue
            data = archive.extractfile(member).read()  # type: ignore[union-attr]
            scanned += len(data)
            # layer.tar holds the files uncompressed; <id>.json is the config, with its history
            hits = canaries.found_in(data)
            if member.name.endswith("layer.tar"):
                with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                    names = [m.name for m in layer if m.name.startswith("srv/") or "/srv/" in m.name]
                hits += [n for n in names if Path(n).name in {".env", ".ENV", ".env~", ".envrc", "secret.pem",
                                                               "server.key", ".env.production"}]
            if hits:
                leaks[member.name] = hits
    assert scanned > 50_000_000  # the whole images, base layers too
    assert leaks == {}


def _files(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            yield str(path.relative_to(root)), data
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as zf:
                    for name in zf.namelist():
                        yield f"{path.name}!{name}", zf.read(name)


def test_no_canary_in_build_records_contexts_zip_or_release(published: dict[str, object]) -> None:
    build = Path(published["root"]) / "build"  # type: ignore[arg-type]
    assert (build / "release.json").is_file() and (build / "functions.zip").is_file()
    leaks = {name: hits for name, data in _files(build) if not name.startswith(".cache/")
             and (hits := canaries.found_in(data))}
    assert leaks == {}
    names = {name for name, _ in _files(build)}
    assert not [n for n in names if Path(n.split("!")[-1]).name in {".env", ".ENV", ".env~", ".envrc", "secret.pem",
                                                                     "server.key", ".env.production"}
                or n.endswith("instance/config.py")]


def test_no_canary_in_the_tools_output(published: dict[str, object]) -> None:
    for result in published["outputs"]:  # type: ignore[attr-defined]
        assert canaries.found_in((result.stdout + result.stderr).encode()) == []


def test_the_pushed_images_are_the_smoked_images(published: dict[str, object], engine: docker.DockerClient) -> None:
    root = Path(published["root"])  # type: ignore[arg-type]
    release = json.loads((root / "build/release.json").read_text())
    smoked = json.loads((root / "build/smoke.json").read_text())["targets"]
    auth = {"username": services.USER, "password": services.PASSWORD}
    pairs = [(name, role) for name in ("cloudrun", "heroku", "compose") for role in ("app", "nginx")
             if role in smoked[name]["environments"][ENV]["images"]]
    assert len(pairs) == 4
    for name, role in pairs:
        ref = release["targets"][name]["image" if role == "app" else "image_nginx"]
        repository, digest = ref.split("@")
        pulled = engine.images.pull(repository, tag=digest, auth_config=auth)
        assert pulled.id == smoked[name]["environments"][ENV]["images"][role]["id"], (name, role)


def test_the_zip_holds_the_files_the_functions_runner_ran(published: dict[str, object],
                                                           engine: docker.DockerClient) -> None:
    root = Path(published["root"])  # type: ignore[arg-type]
    with zipfile.ZipFile(root / "build/functions.zip") as zf:
        zipped = {name for name in zf.namelist() if not name.endswith("/")}
    runner = _records(root)["functions"]["images"]["runner"]["id"]
    container = engine.containers.create(runner, labels={"io.flaskship.session": "pytest-secrets"})
    try:
        stream, _ = container.get_archive("/srv/app")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            assert [m.name for m in archive if m.isfile()] == []  # the image holds no code
        # What every runner container gets before it starts (smoke, invoke up).
        files = code.for_container(root / "build", BuildRecord.load(root / "build", "functions"), "runner")
        assert files is not None
        container.put_archive("/", files)
        stream, _ = container.get_archive("/srv/app")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            ran = {m.name.removeprefix("app/") for m in archive if m.isfile() and "__pycache__" not in m.name}
    finally:
        container.remove(force=True)
    assert ran == zipped


def test_a_failed_publish_leaves_no_local_registry_tags(published: dict[str, object],
                                                        engine: docker.DockerClient) -> None:
    manifest = yaml.safe_load(Path(published["manifest"]).read_text())  # type: ignore[arg-type]
    dead = f"127.0.0.1:{services.free_port()}"  # nothing listens there
    manifest["targets"]["cloudrun"]["registry"] = f"{dead}/secrets/cloudrun"
    path = Path(published["root"]) / "dead-registry.yaml"  # type: ignore[arg-type]
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True))
    result = invoke("publish", "--manifest", str(path), "--env", ENV, "--target", "cloudrun", "--allow-standin",
                    env=published["env"])  # type: ignore[arg-type]
    assert_one_clear_line(result, "cloudrun", dead)
    assert [t for image in engine.images.list() for t in image.tags if t.startswith(dead)] == []


def test_ctrl_c_during_a_push_leaves_no_local_registry_tags(published: dict[str, object],
                                                            engine: docker.DockerClient) -> None:
    manifest = yaml.safe_load(Path(published["manifest"]).read_text())  # type: ignore[arg-type]
    repository = f"{published['registry']}/secrets/interrupted"
    manifest["targets"]["compose"]["registry"] = repository
    path = Path(published["root"]) / "interrupted.yaml"  # type: ignore[arg-type]
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True))
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), "publish", "--manifest",
                             str(path), "--env", ENV, "--target", "compose", "--allow-standin"],
                            env={**os.environ, **published["env"], "PYTHONUNBUFFERED": "1"},  # type: ignore[dict-item]
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "pushing" in line:
            os.killpg(proc.pid, signal.SIGINT)
            time.sleep(0.2)
            os.killpg(proc.pid, signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=120)
    output = "".join(seen) + rest
    assert proc.returncode == 130 and "Traceback" not in output, output
    assert [t for image in engine.images.list() for t in image.tags if t.startswith(repository)] == []

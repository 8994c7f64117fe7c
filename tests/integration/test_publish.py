"""invoke publish against a real registry, a real GCS API and a Heroku API stand-in."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import requests
import yaml

from targets.engine.docker_client import project_id
from tests.helpers import CliResult, assert_one_clear_line, invoke
from tests.integration import heroku_standin, services, token_auth

pytestmark = pytest.mark.docker
BUCKET = "flaskship-test-bucket"


@pytest.fixture(scope="module")
def stack(built: Path, tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> Iterator[dict[str, object]]:
    smoke = invoke("smoke", "--manifest", str(built / "targets.yaml"))
    assert smoke.code == 0, smoke.stdout + smoke.stderr
    with services.registry(tmp_path_factory.mktemp("registry")) as server, services.gcs(BUCKET) as gcs_url, \
            heroku_standin.heroku_api("flask-demo", services.PASSWORD) as heroku:
        reg = server.address
        manifest = yaml.safe_load((built / "targets.yaml").read_text())
        auth = {"username_env": "REGISTRY_USER", "password_env": "REGISTRY_PASSWORD"}
        for name in ("cloudrun", "compose"):
            manifest["targets"][name].update(registry=f"{reg}/flask-demo/{name}", auth=auth, tags=["stable"])
        manifest["targets"]["heroku"].update(registry=f"{reg}/flask-demo/heroku", api=heroku.url,
                                             auth={"username_env": "REGISTRY_USER", "password_env": "HEROKU_API_KEY"})
        manifest["targets"]["functions"].update(bucket=BUCKET, token_env="GCS_TOKEN")
        path = built / "publish.yaml"
        path.write_text(yaml.safe_dump(manifest))
        env = {"REGISTRY_USER": services.USER, "REGISTRY_PASSWORD": services.PASSWORD, "HEROKU_API_KEY": services.PASSWORD,
               "GCS_TOKEN": "test-token", "STORAGE_EMULATOR_HOST": gcs_url}
        try:
            yield {"manifest": path, "registry": reg, "gcs": gcs_url, "heroku": heroku, "env": env, "root": built}
        finally:
            _untag(engine, built)


def _untag(engine: docker.DockerClient, root: Path) -> None:
    """Drop the local tags publish made for this module's throwaway registries (the images stay):
    on this project's images only, as another test worker may be pushing its own meanwhile."""
    for image in engine.images.list(filters={"label": f"io.flaskship.project={project_id(root)}"}):
        for tag in image.tags:
            if tag.startswith("127.0.0.1:") and "/flask-demo/" in tag:
                engine.images.remove(tag, noprune=True)


def _retarget(stack: dict[str, object], target: str, stem: str, **fields: str) -> Path:
    """A copy of the publish manifest with one target's fields changed."""
    manifest = yaml.safe_load(Path(stack["manifest"]).read_text())  # type: ignore[arg-type]
    manifest["targets"][target].update(fields)
    path = Path(stack["root"]) / f"{stem}.yaml"  # type: ignore[arg-type]
    path.write_text(yaml.safe_dump(manifest))
    return path


def _publish(stack: dict[str, object], *args: str, manifest: Path | None = None, standin: bool = True,
             **env: str) -> CliResult:
    """invoke publish with the stack's credentials (overridden by env), against its manifest or another.
    The images here are built on local stand-in bases (no Docker Hub), which publish refuses unless told."""
    path = manifest or stack["manifest"]
    allow = ("--allow-standin",) if standin else ()
    return invoke("publish", "--manifest", str(path), *allow, *args, env={**stack["env"], **env})  # type: ignore[dict-item]


def _record_bytes(stack: dict[str, object]) -> bytes | None:
    release = Path(stack["root"]) / "build/release.json"  # type: ignore[arg-type]
    return release.read_bytes() if release.exists() else None


def _smoked_image(stack: dict[str, object], engine: docker.DockerClient, target: str) -> docker.models.images.Image:
    smoked = json.loads((Path(stack["root"]) / "build/smoke.json").read_text())["targets"][target]  # type: ignore[arg-type]
    return engine.images.get(smoked["images"]["app"]["id"])


def test_publish_pushes_the_smoked_digests(stack: dict[str, object], engine: docker.DockerClient) -> None:
    root: Path = stack["root"]  # type: ignore[assignment]
    (root / "build/release.json").unlink(missing_ok=True)
    result = _publish(stack, "--release")
    assert result.code == 0, result.stdout + result.stderr
    release = json.loads((root / "build/release.json").read_text())
    smoked = json.loads((root / "build/smoke.json").read_text())["targets"]
    for name in ("cloudrun", "heroku", "compose"):
        ref = release["targets"][name]["image"]
        image = engine.images.get(smoked[name]["images"]["app"]["id"])
        assert ref in image.attrs["RepoDigests"], (ref, image.attrs["RepoDigests"])  # exactly the smoked image
        repo, digest = ref.split("@")
        host, path = repo.split("/", 1)
        for tag in (release["git_sha"], "stable") if name != "heroku" else (release["git_sha"],):
            head = requests.get(f"http://{host}/v2/{path}/manifests/{tag}", auth=(services.USER, services.PASSWORD),
                                headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"}, timeout=10)
            assert head.headers["Docker-Content-Digest"] == digest
    assert release["targets"]["compose"]["image_nginx"].startswith(f"{stack['registry']}/flask-demo/compose-nginx@sha256:")
    zip_entry = release["targets"]["functions"]
    assert zip_entry["object"].startswith(f"gs://{BUCKET}/functions-") and len(zip_entry["sha256"]) == 64
    obj = zip_entry["object"].split("/", 3)[3]
    got = requests.get(f"{stack['gcs']}/storage/v1/b/{BUCKET}/o/{obj}", params={"alt": "media"}, timeout=10)
    assert got.content == (root / "build/functions.zip").read_bytes()
    heroku: heroku_standin.HerokuStandIn = stack["heroku"]  # type: ignore[assignment]
    patches = [r for r in heroku.requests if r["method"] == "PATCH"]
    assert [p["body"] for p in patches] == [{"updates": [{"type": "web", "docker_image": smoked["heroku"]["images"]["app"]["id"]}]}]
    assert release["targets"]["heroku"]["release"] == "release v1 succeeded"  # read pending, then polled again
    assert "heroku: release v1 succeeded" in result.stdout
    assert any(c.startswith("gcloud run deploy flask-demo --image ") and "@sha256:" in c for c in release["commands"])
    assert any(c.startswith("gcloud functions deploy functions") and f"--source gs://{BUCKET}/" in c for c in release["commands"])
    assert services.PASSWORD not in result.stdout + result.stderr
    _assert_credentials_stored_nowhere(engine, [release["targets"][n]["image"] for n in ("cloudrun", "heroku", "compose")])


def _assert_credentials_stored_nowhere(engine: docker.DockerClient, refs: list[str]) -> None:
    """Credentials went to the daemon per call: not into docker's config, the images or its log."""
    for ref in refs:
        image = engine.images.get(ref)
        assert services.PASSWORD not in json.dumps(image.attrs) + json.dumps(image.history())
    config = Path.home() / ".docker/config.json"
    assert not config.exists() or services.PASSWORD not in config.read_text()
    daemon_log = Path("/var/log/flaskship-dockerd.log")  # where bin/setup starts dockerd
    assert not daemon_log.exists() or services.PASSWORD not in daemon_log.read_text(errors="replace")


def test_second_publish_reports_the_same_digests(stack: dict[str, object]) -> None:
    root: Path = stack["root"]  # type: ignore[assignment]
    first = json.loads((root / "build/release.json").read_text())["targets"]
    result = _publish(stack)
    assert result.code == 0, result.stderr
    second = json.loads((root / "build/release.json").read_text())["targets"]
    assert {n: e.get("image") for n, e in first.items()} == {n: e.get("image") for n, e in second.items()}
    assert "already present: gs://" in result.stdout
    assert "pushing" not in result.stdout  # nothing new: no push call at all
    # cloudrun: 2 tags; compose: app and nginx, 2 tags each; heroku: 1 tag.
    assert result.stdout.count("already names this image; nothing to push") == 7, result.stdout


@pytest.mark.parametrize("repository", ["pushed before", "new"])
def test_wrong_password_fails_fast_and_names_the_variable(stack: dict[str, object], repository: str) -> None:
    # A repository pushed before is refused at the registry-API check that
    # precedes a push; a new one is refused by the push itself.
    before = _record_bytes(stack)
    path = Path(stack["manifest"]) if repository == "pushed before" else \
        _retarget(stack, "cloudrun", "newrepo", registry=f"{stack['registry']}/flask-demo/never-pushed")  # type: ignore[arg-type]
    started = time.monotonic()
    result = _publish(stack, "--target", "cloudrun", manifest=path, REGISTRY_PASSWORD="wrong-password")
    assert_one_clear_line(result, "cloudrun:", "refused the credentials", "REGISTRY_PASSWORD")
    assert "retrying" not in result.stdout and time.monotonic() - started < 20
    assert "wrong-password" not in result.stdout + result.stderr
    assert _record_bytes(stack) == before  # nothing written for a failed publish


def test_missing_credentials_variable(stack: dict[str, object]) -> None:
    result = _publish(stack, "--target", "compose", REGISTRY_PASSWORD="")
    assert_one_clear_line(result, "$REGISTRY_PASSWORD is not set")


def test_registry_down(stack: dict[str, object], tmp_path: Path) -> None:
    path = _retarget(stack, "cloudrun", "down", registry=f"127.0.0.1:{services.free_port()}/flask-demo/cloudrun")
    result = _publish(stack, "--target", "cloudrun", manifest=path)
    assert_one_clear_line(result, "cloudrun: push of 127.0.0.1:", "failed after 4 attempt(s)", "is the registry at 127.0.0.1:")


def test_bucket_that_does_not_exist(stack: dict[str, object]) -> None:
    path = _retarget(stack, "functions", "nobucket", bucket="no-such-bucket")
    result = _publish(stack, "--target", "functions", manifest=path)
    assert_one_clear_line(result, "bucket gs://no-such-bucket does not exist")


def test_dry_run_shows_exact_tags_and_fails_on_a_missing_credential(stack: dict[str, object]) -> None:
    reg = stack["registry"]
    result = _publish(stack, "--dry-run", HEROKU_API_KEY="")
    assert_one_clear_line(result, "publish would fail: heroku: $HEROKU_API_KEY is not set")
    assert f"would push cloudrun app -> {reg}/flask-demo/cloudrun:nogit using $REGISTRY_USER set, $REGISTRY_PASSWORD set" \
        in result.stdout
    assert f"-> {reg}/flask-demo/cloudrun:stable" in result.stdout and f"-> {reg}/flask-demo/compose-nginx:nogit" in result.stdout
    assert "-> gs://flaskship-test-bucket/functions-" in result.stdout
    assert "$HEROKU_API_KEY NOT SET" in result.stdout
    assert "pushing" not in result.stdout and services.PASSWORD not in result.stdout + result.stderr
    assert _publish(stack, "--dry-run").code == 0
    # --check: what CI can know before anything is built (settings and credentials only).
    check = _publish(stack, "--check", "--target", "cloudrun", REGISTRY_PASSWORD="", standin=False)
    assert_one_clear_line(check, "cloudrun: $REGISTRY_PASSWORD is not set")


def test_an_image_built_on_a_stand_in_base_is_refused_without_allow_standin(stack: dict[str, object]) -> None:
    before = _record_bytes(stack)
    result = _publish(stack, "--target", "cloudrun", standin=False)
    assert_one_clear_line(result, "cloudrun: app image was built on the local stand-in for python:3.12-slim",
                          "--allow-standin")
    assert "warning: cloudrun: app image was built on the local stand-in" in result.stdout
    assert _record_bytes(stack) == before  # nothing published, no record written
    dry = _publish(stack, "--dry-run", "--target", "cloudrun", standin=False)
    assert_one_clear_line(dry, "cloudrun: app image was built on the local stand-in")


def test_refuses_what_did_not_pass_smoke(stack: dict[str, object]) -> None:
    root: Path = stack["root"]  # type: ignore[assignment]
    dockerfile = root / "build/heroku/image/Dockerfile"
    original = dockerfile.read_text()
    dockerfile.write_text(original + "# changed after smoke\n")
    try:
        result = _publish(stack, "--target", "heroku")
        assert_one_clear_line(result, "heroku: changed since it passed smoke", "--force")
    finally:
        dockerfile.write_text(original)
    result = _publish(stack, "--target", "nope")
    assert_one_clear_line(result, "no target named 'nope'")
    report = root / "build/smoke.json"
    kept = report.rename(root / "build/smoke.json.kept")
    try:
        result = _publish(stack, "--target", "compose")
        assert_one_clear_line(result, "compose: was never smoked", "invoke smoke --target compose")
    finally:
        kept.rename(report)


def test_registry_answering_500_once_is_retried(stack: dict[str, object]) -> None:
    with services.flaky_registry(str(stack["registry"])) as proxy:
        path = _retarget(stack, "cloudrun", "flaky", registry=f"{proxy.address}/flask-demo/flaky")
        result = _publish(stack, "--target", "cloudrun", manifest=path)
    assert result.code == 0, result.stdout + result.stderr
    assert len(proxy.failures) == 1 and "retrying" in result.stdout
    release = json.loads((Path(stack["root"]) / "build/release.json").read_text())  # type: ignore[arg-type]
    assert release["targets"]["cloudrun"]["image"].startswith(f"{proxy.address}/flask-demo/flaky@sha256:")


def test_registry_stopped_mid_push_then_a_rerun_completes(stack: dict[str, object], engine: docker.DockerClient,
                                                          tmp_path: Path) -> None:
    release = Path(stack["root"]) / "build/release.json"  # type: ignore[arg-type]
    before = _record_bytes(stack)
    with services.registry(tmp_path / "registry") as server:
        path = _retarget(stack, "cloudrun", "interrupted", registry=f"{server.address}/flask-demo/interrupted")
        uploads = tmp_path / "registry/data/docker/registry/v2/repositories/flask-demo/interrupted/_uploads"
        killer = threading.Thread(target=_kill_once_uploading, args=(server, uploads))
        killer.start()
        first = _publish(stack, "--target", "cloudrun", manifest=path)
        killer.join()
        assert any(uploads.iterdir()), "the registry was not stopped halfway through an upload"
        assert_one_clear_line(first, "cloudrun: push of", "failed after 4 attempt(s)", "is the registry at")
        assert _record_bytes(stack) == before  # a failed publish writes no record

        server.start()  # same port, same storage: the partial upload is still there
        rerun = _publish(stack, "--target", "cloudrun", manifest=path)
        assert rerun.code == 0, rerun.stdout + rerun.stderr
        ref = json.loads(release.read_text())["targets"]["cloudrun"]["image"]
        assert ref in _smoked_image(stack, engine, "cloudrun").attrs["RepoDigests"]
        missing = _missing_blobs(server.address, "flask-demo/interrupted", ref.split("@")[1])
        assert missing == [], f"the registry lacks blobs of {ref}: {missing}"


def _kill_once_uploading(server: services.Server, uploads: Path) -> None:
    """SIGKILL the registry once a blob upload is under way (or give up after 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if uploads.is_dir() and any(uploads.iterdir()):
            time.sleep(0.2)  # into the middle of the blob
            server.kill()
            return
        time.sleep(0.01)


def _missing_blobs(address: str, name: str, digest: str) -> list[str]:
    """Every blob the manifest names must be downloadable: the push really completed."""
    auth = (services.USER, services.PASSWORD)
    found = requests.get(f"http://{address}/v2/{name}/manifests/{digest}", auth=auth, timeout=10,
                         headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    found.raise_for_status()
    body = found.json()
    blobs = [body["config"]["digest"], *(layer["digest"] for layer in body["layers"])]
    return [b for b in blobs if requests.head(f"http://{address}/v2/{name}/blobs/{b}", auth=auth, timeout=10).status_code != 200]


def test_registry_with_bearer_token_auth(stack: dict[str, object], engine: docker.DockerClient, tmp_path: Path) -> None:
    with token_auth.token_registry(tmp_path / "token-registry") as reg:
        path = _retarget(stack, "cloudrun", "bearer", registry=f"{reg.address}/flask-demo/bearer")
        first = _publish(stack, "--target", "cloudrun", manifest=path)
        assert first.code == 0, first.stdout + first.stderr
        ref = json.loads((Path(stack["root"]) / "build/release.json").read_text())["targets"]["cloudrun"]["image"]  # type: ignore[arg-type]
        assert ref in _smoked_image(stack, engine, "cloudrun").attrs["RepoDigests"]
        # docker asks for push+pull; the tool's own manifest check asks for pull only.
        assert (services.USER, "repository:flask-demo/bearer:pull") in reg.tokens.requests, reg.tokens.requests

        again = _publish(stack, "--target", "cloudrun", manifest=path)
        assert again.code == 0 and again.stdout.count("nothing to push") == 2, again.stdout + again.stderr

        wrong = _publish(stack, "--target", "cloudrun", manifest=path, REGISTRY_PASSWORD="wrong-password")
        assert_one_clear_line(wrong, "cloudrun:", "refused the credentials", "REGISTRY_PASSWORD")
        assert "wrong-password" not in wrong.stdout + wrong.stderr


def test_failed_heroku_release_is_an_error_and_writes_no_record(stack: dict[str, object]) -> None:
    heroku: heroku_standin.HerokuStandIn = stack["heroku"]  # type: ignore[assignment]
    before = _record_bytes(stack)
    heroku.outcome = "failed"
    try:
        result = _publish(stack, "--target", "heroku", "--release")
    finally:
        heroku.outcome = "succeeded"
    assert_one_clear_line(result, "heroku: Heroku release v", "failed", "heroku releases:output")
    assert _record_bytes(stack) == before
    wrong = _publish(stack, "--target", "heroku", "--release", HEROKU_API_KEY="wrong-key")
    assert wrong.code != 0 and "wrong-key" not in wrong.stdout + wrong.stderr


def test_json_lists_what_was_published_and_nothing_else_on_stdout(stack: dict[str, object]) -> None:
    result = _publish(stack, "--json", "--target", "functions,compose")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["task"] == "publish" and doc["ok"] is True and doc["error"] is None
    rows = {row["target"]: row for row in doc["targets"]}
    assert rows["functions"]["verdict"] == rows["compose"]["verdict"] == "published"
    [zipped] = rows["functions"]["artifacts"]  # the runner image stays local
    assert zipped["published"].startswith("gs://flaskship-test-bucket/functions-") and len(zipped["sha256"]) == 64
    assert {a["role"] for a in rows["compose"]["artifacts"]} == {"app", "nginx"}
    assert all("@sha256:" in a["published"] for a in rows["compose"]["artifacts"])
    release = json.loads((Path(stack["root"]) / "build/release.json").read_text())  # type: ignore[arg-type]
    assert release["tag"] == "nogit" and release["dirty"] is False and release["targets"]["compose"]["seconds"] >= 0

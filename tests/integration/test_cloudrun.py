"""The Cloud Run target against the real Docker engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, SESSION, assert_one_clear_line, invoke, managed_containers, record

pytestmark = pytest.mark.docker


def test_build_renders_platform_files_and_tags_by_content(built: Path, engine: docker.DockerClient) -> None:
    rec = record(built, "cloudrun")
    image = engine.images.get(rec["images"]["app"]["id"])
    assert rec["images"]["app"]["ref"] in image.tags
    firebase = json.loads((built / "build/cloudrun/firebase.json").read_text())
    assert firebase["hosting"]["rewrites"] == [
        {"source": "**", "run": {"serviceId": "flask-demo", "region": "us-central1"}}
    ]
    assert (built / "build/cloudrun/public/static/style.css").read_bytes() == (REPO / "app/demo/static/style.css").read_bytes()
    assert "CMD [\"gunicorn\"" in (built / "build/cloudrun/image/Dockerfile").read_text()


def test_image_runs_as_non_root(built: Path, engine: docker.DockerClient) -> None:
    image_id = record(built, "cloudrun")["images"]["app"]["id"]
    assert engine.images.get(image_id).attrs["Config"]["User"] == "10001:10001"
    out = engine.containers.run(image_id, ["id", "-u"], remove=True, labels={"io.flaskship.session": SESSION})
    assert out.decode().strip() == "10001"


def test_image_keeps_tests_and_caches_out(built: Path, engine: docker.DockerClient) -> None:
    image_id = record(built, "cloudrun")["images"]["app"]["id"]
    out = engine.containers.run(image_id, ["sh", "-c", "find /srv/app -name tests -o -name '.env*'"],
                                remove=True, labels={"io.flaskship.session": SESSION})
    assert out.decode().strip() == ""
    # Bytecode is made at build time for the image's own Python (engine/bytecode.py), none
    # from the source tree: the image's Python itself finds each .py file's .pyc current.
    for folder, flags, at_least in (("/srv/app", "3", 2), ("/opt/venv/lib", "1", 100)):
        out = engine.containers.run(image_id, ["python3", "-c", PYC_CHECK, folder, flags], remove=True,
                                    labels={"io.flaskship.session": SESSION}).decode().split("\n")
        assert out[0] == "ok" and int(out[1]) >= at_least, (folder, out)


# For every .py under the folder: its .pyc exists, has this Python's magic number, has
# the source's hash, and names the file by its image path. The app's are checked-hash
# (flags 3: it changes with every edit); the venv's unchecked-hash (flags 1: made with
# its sources in one tar, never edited, so Python need not read the source to trust it).
PYC_CHECK = """
import importlib.util, marshal, pathlib, sys
count = 0
for source in pathlib.Path(sys.argv[1]).rglob("*.py"):
    data = pathlib.Path(importlib.util.cache_from_source(str(source))).read_bytes()
    assert data[:4] == importlib.util.MAGIC_NUMBER, source
    assert int.from_bytes(data[4:8], "little") == int(sys.argv[2]), source
    assert data[8:16] == importlib.util.source_hash(source.read_bytes()), source
    assert marshal.loads(data[16:]).co_filename == str(source), source
    count += 1
print("ok")
print(count)
"""


def test_smoke_passes_as_cloud_run_runs_it(built: Path, engine: docker.DockerClient) -> None:
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "cloudrun", "--force")
    assert result.code == 0, result.stdout + result.stderr
    assert "[PORT unset] boot: ok" in result.stdout and "[PORT=9090] boot: ok" in result.stdout
    # A check recorded once per path says which path it passed for.
    assert "[via Hosting edge] edge-set-cookie-never-kept /api/visit: ok" in result.stdout
    report = json.loads((built / "build/smoke.json").read_text())["targets"]["cloudrun"]
    assert report["passed"] is True
    stop = [r for r in report["results"] if r["check"] == "sigterm-stop"][0]
    assert stop["status"] == "pass" and float(stop["got"].split()[0]) < 10
    assert managed_containers(engine) == []


def test_secret_reaches_the_app_but_never_the_image(built: Path, engine: docker.DockerClient, tmp_path: Path) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "cloudrun", "--env", "production",
                    env={"SECRET_KEY": secret})
    # Production refuses to boot without a real SECRET_KEY, so passing proves it arrived.
    assert result.code == 0, result.stdout + result.stderr
    assert secret not in result.stdout + result.stderr
    image = engine.images.get(record(built, "cloudrun")["images"]["app"]["id"])
    assert secret not in json.dumps(image.attrs) + json.dumps(image.history())
    saved = tmp_path / "image.tar"
    with saved.open("wb") as fh:
        for chunk in image.save():
            fh.write(chunk)
    assert secret.encode() not in saved.read_bytes()
    for path in (built / "build").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_failed_check_shows_expected_got_logs_and_leaves_nothing(built: Path, engine: docker.DockerClient) -> None:
    static = built / "app/demo/static/style.css"
    original = static.read_bytes()
    static.write_bytes(original + b"/* edited after the build */\n")
    try:
        result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "cloudrun")
    finally:
        static.write_bytes(original)
    assert_one_clear_line(result, "smoke failed", "static-bytes", "expected 200")
    assert "--- last log lines of cloudrun" in result.stdout
    assert "GET /static/style.css" in result.stdout  # gunicorn's access log, from the container
    assert managed_containers(engine) == []
    assert json.loads((built / "build/smoke.json").read_text())["targets"]["cloudrun"]["passed"] is False


def test_ctrl_c_mid_smoke_removes_its_containers(built: Path, engine: docker.DockerClient) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "--search-root", str(REPO), "smoke", "--manifest",
         str(built / "targets.yaml"), "--target", "cloudrun", "--force"],
        env={**os.environ, "FLASKSHIP_SESSION": SESSION}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    while not managed_containers(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert managed_containers(engine), "smoke never started a container"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert managed_containers(engine) == []


def test_base_image_that_cannot_be_pulled(project: Path) -> None:
    text = (project / "targets.yaml").read_text().replace("  python: \"3.12\"", "  python: \"3.12\"\n  base_image: flaskship-test/missing:never")
    (project / "targets.yaml").write_text(text)
    result = invoke("build", "--manifest", str(project / "targets.yaml"), "--target", "cloudrun")
    assert_one_clear_line(result, "base image flaskship-test/missing:never", "cannot be pulled", "invoke base-images")
    assert not (project / "build/cloudrun").exists()
    assert not list((project / "build").glob(".staging-*"))


def test_failed_build_shows_log_tail_and_keeps_last_good_build(built: Path, engine: docker.DockerClient) -> None:
    # A base whose /opt is a file: the build's ADD of the venv into /opt/venv fails inside the build.
    app_image = record(built, "cloudrun")["images"]["app"]["id"]
    broken = "flaskship-test/no-opt:latest"
    runner = engine.containers.run(app_image, ["sh", "-c", "rm -rf /opt && touch /opt"],
                                   user="0", detach=True, labels={"io.flaskship.session": SESSION}, entrypoint=[])
    try:
        runner.wait()
        runner.commit(repository="flaskship-test/no-opt", tag="latest")
    finally:
        runner.remove(force=True)
    before = (built / "build/cloudrun/build.json").read_bytes()
    manifest = built / "broken.yaml"
    manifest.write_text((built / "targets.yaml").read_text().replace(
        "  python: \"3.12\"", f"  python: \"3.12\"\n  base_image: {broken}"))
    try:
        result = invoke("build", "--manifest", str(manifest), "--target", "cloudrun")
    finally:
        engine.images.remove(broken, force=True)
    assert_one_clear_line(result, "cloudrun: image build failed")
    assert "ADD venv.tar.gz /opt/venv/" in result.stderr  # the log tail: the builder's step that failed
    assert (built / "build/cloudrun/build.json").read_bytes() == before
    assert not list((built / "build").glob(".staging-*"))
    assert managed_containers(engine) == []


def test_container_that_exits_at_boot_shows_its_logs(project: Path, engine: docker.DockerClient) -> None:
    wsgi = project / "app/wsgi.py"
    # A message whose last line is not the cause, as SQLAlchemy's errors end.
    wsgi.write_text('raise RuntimeError("boom-at-boot\\n(Background on this error at: https://sqlalche.me/e/14/e3q8)")\n'
                    + wsgi.read_text())
    build = invoke("build", "--manifest", str(project / "targets.yaml"), "--target", "cloudrun")
    assert build.code == 0, build.stdout + build.stderr
    # Hosting lint could not ask the app for its routes: a warning (Hosting would deploy it), quoting the cause.
    warnings = [line for line in (build.stdout + build.stderr).splitlines() if "routes could not be listed" in line]
    assert len(warnings) == 1 and warnings[0].endswith(
        "imported in a container of the image (no network, no services), the app exited with status 1; its last "
        "error: RuntimeError: boom-at-boot; if it fails so at boot too, smoke will show it"), warnings
    result = invoke("smoke", "--manifest", str(project / "targets.yaml"), "--target", "cloudrun")
    assert_one_clear_line(result, "cloudrun [PORT unset] boot", "container exited at boot", app_logs=True)
    assert "boom-at-boot" in result.stdout  # the container's own logs
    assert managed_containers(engine) == []


def test_an_app_that_answers_500_at_boot_fails_fast_with_its_logs(project: Path, engine: docker.DockerClient) -> None:
    views = project / "app/demo/views.py"
    views.write_text(views.read_text().replace(
        'def healthz() -> Response:\n', 'def healthz() -> Response:\n    raise RuntimeError("health-is-broken")\n'))
    assert invoke("build", "--manifest", str(project / "targets.yaml"), "--target", "cloudrun").code == 0
    result = invoke("smoke", "--manifest", str(project / "targets.yaml"), "--target", "cloudrun")
    # The app's own traceback is shown (its log, on stdout); the tool's error is one line.
    assert result.code != 0 and "Traceback" not in result.stderr
    assert result.last_line.startswith("error: smoke failed") and "cloudrun [PORT unset] boot" in result.last_line
    # Not a wait for the boot window to run out: the app was up and failing.
    assert "is up but answers HTTP 500" in result.stdout
    assert "health-is-broken" in result.stdout
    assert managed_containers(engine) == []


def test_a_build_with_nothing_changed_does_nothing(project: Path, engine: docker.DockerClient) -> None:
    manifest = str(project / "targets.yaml")
    assert invoke("build", "--manifest", manifest, "--target", "cloudrun").code == 0
    record_file = project / "build/cloudrun/build.json"
    before = record_file.read_bytes(), record_file.stat().st_mtime_ns
    time.sleep(1.1)  # events are filtered by whole seconds: start after the first build's probe
    since = int(time.time())
    again = invoke("build", "--manifest", manifest, "--target", "cloudrun")
    until = int(time.time()) + 1
    assert again.code == 0 and "cloudrun: up to date" in again.stdout and "Step " not in again.stdout
    assert (record_file.read_bytes(), record_file.stat().st_mtime_ns) == before
    events = list(engine.events(since=since, until=until, decode=True,
                                filters={"label": f"io.flaskship.session={SESSION}"}))
    assert events == []  # no container started, not even the base-image probe
    # An edit to the app is a change: it builds.
    wsgi = project / "app/wsgi.py"
    wsgi.write_text(wsgi.read_text() + "# edited\n")
    edited = invoke("build", "--manifest", manifest, "--target", "cloudrun")
    assert edited.code == 0 and "up to date" not in edited.stdout and record_file.read_bytes() != before[0]
    # So does a record whose image is gone; smoke says so, before it runs anything.
    engine.images.remove(json.loads(record_file.read_text())["images"]["app"]["id"], force=True)
    gone = invoke("smoke", "--manifest", manifest, "--target", "cloudrun")
    assert_one_clear_line(gone, "cloudrun: its image", "is not in the engine as built", "invoke build --target cloudrun")
    rebuilt = invoke("build", "--manifest", manifest, "--target", "cloudrun")
    assert rebuilt.code == 0 and "up to date" not in rebuilt.stdout


def test_a_smoke_that_passed_with_the_same_everything_is_reported_cached(built: Path, engine: docker.DockerClient) -> None:
    manifest = str(built / "targets.yaml")
    assert invoke("smoke", "--manifest", manifest, "--target", "cloudrun", "--force").code == 0
    report = built / "build/smoke.json"
    first = json.loads(report.read_text())["targets"]["cloudrun"]
    time.sleep(1.1)  # events are filtered by whole seconds
    since = int(time.time())
    cached = invoke("smoke", "--manifest", manifest, "--target", "cloudrun")
    until = int(time.time()) + 1
    assert cached.code == 0 and "cloudrun: passed before" in cached.stdout and "(cached; --force reruns it)" in cached.stdout
    assert list(engine.events(since=since, until=until, decode=True,
                              filters={"label": f"io.flaskship.session={SESSION}"})) == []
    again = json.loads(report.read_text())["targets"]["cloudrun"]
    assert again["results"] == first["results"] and again["cached"] is True and first["cached"] is False
    row = next(line for line in cached.stdout.splitlines() if line.startswith("cloudrun "))  # the table's
    assert row.split()[-1] == "cached"
    # A cached pass vouches for images in the engine: with no engine to hold them, it is an error.
    down = invoke("smoke", "--manifest", manifest, "--target", "cloudrun",
                  env={"DOCKER_HOST": f"unix://{built}/no-engine.sock"})
    assert_one_clear_line(down, "Docker daemon not reachable", "no-engine.sock")
    # Another environment is another verdict: it runs.
    other = invoke("smoke", "--manifest", manifest, "--target", "cloudrun", "--env", "staging",
                   env={"SECRET_KEY": "staging-only-test-value"})
    assert other.code == 0 and "cached" not in other.stdout and "[PORT unset] boot: ok" in other.stdout


def test_a_port_of_its_own_is_where_the_image_serves_when_port_is_unset(project: Path) -> None:
    """targets.X.port is the image's PORT: smoke's "PORT unset" run and the Hosting edge reach it
    there (they polled 8080, and every run of such a target failed at boot)."""
    manifest = project / "targets.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("    service_id: flask-demo\n", "    service_id: flask-demo\n    port: 5000\n", 1))
    assert invoke("build", "--manifest", str(manifest), "--target", "cloudrun").code == 0
    smoked = invoke("smoke", "--manifest", str(manifest), "--target", "cloudrun")
    assert smoked.code == 0, smoked.stdout + smoked.stderr
    assert "[PORT unset] boot: ok" in smoked.stdout and "[PORT=9090] boot: ok" in smoked.stdout

"""Smoke against real services: a Flask-SQLAlchemy + Flask-Migrate app on Postgres
(migrated in the release step) writes a row and reads it back on all four kinds;
a Redis visit counter; an S3 upload served back byte-identical. Nothing the
run started is left behind (green, failed, Ctrl-C), and the generated
credentials reach no file and no output."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
import requests

from tests.helpers import REPO, SESSION, built_and_smoked, free_port, has_image, invoke, start_up, stop_up

pytestmark = pytest.mark.docker
APPS = REPO / "tests/fixtures/apps"

NOTES = """\
app:
  source: .
  entry: "notes:create_app()"
  static: null
  release: "flask --app 'notes:create_app()' db upgrade"
services:
  db: {kind: postgres, version: "15"}
defaults:
  services: [db]
smoke:
  health: /healthz
  checks:
    - {name: empty, path: /notes, json_includes: {notes: []}}
    - {name: form, path: /form, save: {CSRF: 'body:value="([0-9a-f]{32})"'}}
    - name: write
      path: /notes
      method: POST
      form: {text: "hello from ${FLASKSHIP_TARGET}"}
      send_headers: {X-CSRFToken: "${CSRF}"}
      status: 201
      save: {NOTE: "json:id"}
    - {name: read, path: "/notes/${NOTE}", json_includes: {id: 1, text: "hello from ${FLASKSHIP_TARGET}"}}
targets:
  run: {kind: cloudrun, service_id: notes, region: us-central1}
  dyno: {kind: heroku, app: notes}
  stack: {kind: compose, publish: 8031}
  fn: {kind: functions}
"""


def _project(tmp: Path, fixture: str, manifest: str) -> Path:
    root = tmp / fixture
    shutil.copytree(APPS / fixture, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "targets.yaml").write_text(manifest)
    return root


def _leftovers(engine: docker.DockerClient, session: str = SESSION) -> list[str]:
    label = {"label": f"io.flaskship.session={session}"}
    return ([f"container {c.name}" for c in engine.containers.list(all=True, filters=label)]
            + [f"network {n.name}" for n in engine.networks.list(filters=label)])


def _dangling_volumes(engine: docker.DockerClient) -> set[str]:
    return {v.name for v in engine.volumes.list(filters={"dangling": True})}


@contextmanager
def _environments(engine: docker.DockerClient) -> Iterator[dict[str, dict[str, str]]]:
    """While the block runs, the environment of every container this test session
    starts, by container name: where the generated credentials can be seen."""
    seen: dict[str, dict[str, str]] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                for c in engine.containers.list(filters={"label": f"io.flaskship.session={SESSION}"}):
                    env = dict(e.partition("=")[::2] for e in c.attrs["Config"]["Env"] or [])
                    seen.setdefault(c.name, {**env, "TARGET": c.labels.get("io.flaskship.target", "")})
            except docker.errors.NotFound:
                pass
            done.wait(0.2)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("services"), "pg_notes", NOTES)
    build = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert build.code == 0, build.stdout + build.stderr
    return root


def test_rows_are_written_and_read_back_on_every_kind(notes: Path, engine: docker.DockerClient) -> None:
    volumes = _dangling_volumes(engine)
    with _environments(engine) as seen:
        smoke = invoke("smoke", "--manifest", str(notes / "targets.yaml"))
    output = smoke.stdout + smoke.stderr
    assert smoke.code == 0, output
    assert re.search(r"services: db \(\S+postgres:15\) ready in \d+\.\d\d s", output)
    written = json.loads((notes / "build/smoke.json").read_text())
    assert written["services"]["db"]["ready_seconds"] > 0 and not written["services"]["db"]["error"]
    report = written["targets"]
    for target in ("run", "dyno", "stack", "fn"):
        reads = [r for r in report[target]["results"] if r["check"] == "read"]
        assert reads and all(r["status"] == "pass" for r in reads), (target, reads)
        # Logins to the app's database, read from the server's own log: the release's and the app's.
        assert report[target]["services_used"]["db"] >= 2, (target, report[target]["services_used"])
        assert re.search(rf"{target} \[services\] db \(postgres\): \d+ connections from the app", output)
    assert "was never used" not in output
    # The release step migrated the real database, once per target (compose's as its one-shot service).
    assert all(any(r["check"] == "release" and r["status"] == "pass" for r in report[t]["results"])
               for t in ("run", "dyno", "fn", "stack"))
    assert re.search(r"stack \[release\] release: ok", output), output
    # Heroku's add-on form, and the manifest's name and form elsewhere.
    urls = {env["TARGET"]: env["DATABASE_URL"] for env in seen.values() if "DATABASE_URL" in env}
    assert urls["dyno"].startswith("postgres://") and urls["run"].startswith("postgresql://"), urls
    assert _leftovers(engine) == [] and _dangling_volumes(engine) <= volumes
    # The generated password reached the app at run time, and nothing else.
    passwords = {env["POSTGRES_PASSWORD"] for env in seen.values() if "POSTGRES_PASSWORD" in env}
    assert len(passwords) == 1
    password = passwords.pop()
    assert password in urls["run"] and password not in output
    for path in notes.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


BROKEN = NOTES.replace("""services:
  db: {kind: postgres, version: "15"}
defaults:
  services: [db]
""", """services:
  db: {kind: postgres, version: "15", settings: {no_such_setting: "on"}}
  good: {kind: postgres, version: "15"}
""").replace("  run: {kind: cloudrun, service_id: notes, region: us-central1}",
             "  run: {kind: cloudrun, service_id: notes, region: us-central1, services: [db]}"
             ).replace("  fn: {kind: functions}", "  fn: {kind: functions, services: [good]}")


def test_a_service_that_fails_to_start_fails_only_its_targets(notes: Path, engine: docker.DockerClient) -> None:
    (notes / "broken.yaml").write_text(BROKEN)
    try:
        smoke = invoke("smoke", "--manifest", str(notes / "broken.yaml"), "--target", "run,fn")
    finally:
        (notes / "broken.yaml").unlink()
    assert smoke.code != 0 and "Traceback" not in smoke.stdout + smoke.stderr
    assert "service db (postgres) did not start: its container exited" in smoke.last_line, smoke.last_line
    assert 'unrecognized configuration parameter "no_such_setting"' in smoke.stdout  # its log follows
    report = json.loads((notes / "build/smoke.json").read_text())["targets"]
    assert report["fn"]["passed"] and not report["run"]["passed"]
    assert _leftovers(engine) == []


def test_ctrl_c_mid_smoke_removes_every_service(notes: Path, engine: docker.DockerClient) -> None:
    session = f"pytest-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), "smoke", "--force",
                             "--manifest", str(notes / "targets.yaml"), "--target", "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "FLASKSHIP_SESSION": session}, start_new_session=True)
    lines = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "run [release]" in line:  # the services are up, the release container is running
                os.killpg(proc.pid, signal.SIGINT)
                break
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(lines) + rest
    assert proc.returncode == 130, output
    assert "everything this run started has been removed" in output
    assert _leftovers(engine, session) == []



@pytest.mark.parametrize("target", ["run", "stack"])
def test_up_runs_a_target_with_its_services_and_removes_them_on_ctrl_c(notes: Path, engine: docker.DockerClient,
                                                                        target: str) -> None:
    """cloudrun: a postgres of its own, migrated by the release step, behind the Hosting
    edge; compose: the stack's own db from its file. A note written survives a read."""
    session = f"pytest-{uuid.uuid4().hex[:8]}"
    up = start_up(notes / "targets.yaml", target, session)
    try:
        with requests.Session() as http:
            form = http.get(up.url + "/form", timeout=10)
            csrf = re.search(r'value="([0-9a-f]{32})"', form.text)
            assert csrf, form.text
            made = http.post(up.url + "/notes", data={"text": "kept by up"}, headers={"X-CSRFToken": csrf.group(1)},
                             timeout=10)
            assert made.status_code == 201, made.text
            read = http.get(f"{up.url}/notes/{made.json()['id']}", timeout=10)
            assert read.json()["text"] == "kept by up"
    finally:
        output = stop_up(up)
    assert up.proc.returncode == 0, output
    assert "Traceback" not in output
    if target == "run":
        assert re.search(r"services: db \(\S+postgres:15\) ready in", output), output
        assert "the Hosting edge is in front" in output
    assert _leftovers(engine, session) == []



def test_a_service_killed_mid_smoke_is_named_as_the_reason(notes: Path, engine: docker.DockerClient) -> None:
    session = f"pytest-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), "smoke", "--force",
                             "--manifest", str(notes / "targets.yaml"), "--target", "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "FLASKSHIP_SESSION": session, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "[PORT unset] boot: ok" in line:  # the app is up on the database: now the database dies
                labels = [f"io.flaskship.session={session}", "io.flaskship.target=services"]
                victims = engine.containers.list(filters={"label": labels})
                assert victims, "".join(seen)
                for victim in victims:
                    victim.kill()
                break
        rest, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(seen) + rest + err
    # The app's own traceback (its lost connection) is shown in its log; the tool's stderr has none.
    assert proc.returncode == 1 and "Traceback" not in err, output
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert "service db (postgres) stopped during the run (exit status 137)" in last, output
    assert "app.release ran in a container" not in last  # not the reason here
    assert _leftovers(engine, session) == []


def test_the_compose_file_runs_by_hand_with_its_own_services(notes: Path, engine: docker.DockerClient) -> None:
    folder = notes / "build/stack"
    image = "postgres:15" if has_image(engine, "postgres:15") else "flaskship-standin/postgres:15"
    with requests.Session() as http:
        port = free_port()
        env = {**os.environ, "FLASKSHIP_DB_IMAGE": image, "FLASKSHIP_PUBLISH": str(port)}
        project = ["docker-compose", "--project-name", f"byhand-{uuid.uuid4().hex[:8]}", "--file",
                   str(folder / "docker-compose.yml")]
        refused = subprocess.run([*project, "config", "-q"], capture_output=True, text=True, env=env)
        assert refused.returncode != 0 and "export FLASKSHIP_DB_PASSWORD first" in refused.stderr
        env["FLASKSHIP_DB_PASSWORD"] = secrets.token_hex(16)
        try:
            up = subprocess.run([*project, "up", "-d"], capture_output=True, text=True, env=env, timeout=300)
            assert up.returncode == 0, up.stderr
            base = f"http://127.0.0.1:{port}"
            form = _get_when_up(http, base + "/form")
            token = re.search(r'value="([0-9a-f]{32})"', form.text).group(1)  # type: ignore[union-attr]
            made = http.post(base + "/notes", data={"text": "by hand"}, headers={"X-CSRFToken": token}, timeout=10)
            assert made.status_code == 201, made.text
            assert http.get(base + "/notes", timeout=10).json() == {"notes": [{"id": 1, "text": "by hand"}]}
        finally:
            subprocess.run([*project, "down", "-v", "--remove-orphans"], capture_output=True, env=env, timeout=120)




def _get_when_up(http: requests.Session, url: str, within: float = 90) -> requests.Response:
    deadline = time.monotonic() + within
    while True:
        try:
            response = http.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer within {within:g} s"
        time.sleep(0.5)


COUNTER = """\
app: {source: ., entry: "counter:app", static: null}
services:
  cache: {kind: redis, version: "7"}
defaults: {services: [cache]}
smoke:
  health: /healthz
  checks:
    - {name: fresh, path: /visits, json_includes: {visits: 0}}
    - {name: first, path: /visits, method: POST, json_includes: {visits: 1}}
    - {name: second, path: /visits, method: POST, json_includes: {visits: 2}}
    - {name: counted, path: /visits, json_includes: {visits: 2}}
targets:
  dyno: {kind: heroku, app: counter}  # REDIS_URL as the add-on sets it
"""


def test_a_redis_visit_counter_starts_from_zero(tmp_path: Path, engine: docker.DockerClient) -> None:
    root = _project(tmp_path, "redis_counter", COUNTER)
    smoke = built_and_smoked(root / "targets.yaml")
    assert "services: cache" in smoke.stdout and _leftovers(engine) == []
    # Every way it runs sends at least its 4 checks' GET, INCR, INCR, GET; no FLUSHALL or PING of ours counts.
    used = json.loads((root / "build/smoke.json").read_text())["targets"]["dyno"]["services_used"]
    assert used["cache"] >= 4, used


BLOB = bytes(range(256)) * 3 + b"\x00\xff end"
UPLOADS = f"""\
app: {{source: ., entry: "storage:app", static: null}}
services:
  files: {{kind: s3, bucket: uploads}}
  spare: {{kind: redis}}  # wired, and never read: the app has no REDIS_URL in it
defaults: {{services: [files, spare]}}
smoke:
  health: /healthz
  checks:
    - {{name: empty, path: /files, json_includes: {{files: []}}}}
    - {{name: upload, path: /files/blob.bin, method: PUT, json: {{base64: "{__import__('base64').b64encode(BLOB).decode()}"}}, status: 201}}
    - {{name: download, path: /files/blob.bin, content_type: application/octet-stream, deterministic: true}}
targets:
  run: {{kind: cloudrun, service_id: files, region: us-central1}}  # S3_ENDPOINT_URL, AWS_*, as the manifest names them
"""


def test_an_s3_upload_comes_back_byte_identical(tmp_path: Path, engine: docker.DockerClient) -> None:
    import hashlib

    root = _project(tmp_path, "s3_files", UPLOADS)
    smoke = built_and_smoked(root / "targets.yaml")
    report = json.loads((root / "build/smoke.json").read_text())["targets"]
    digests = {r["observed"]["digest"] for t in report.values() for r in t["results"] if r["check"] == "download"}
    assert digests == {hashlib.sha256(BLOB).hexdigest()}
    # The bucket was reached by the app (not only by the reset that made it); the spare never.
    assert report["run"]["services_used"]["files"] >= 3 and report["run"]["services_used"]["spare"] == 0
    warnings = [line for line in smoke.stdout.splitlines() if "was never used" in line]
    assert len(warnings) == 1 and "service spare (redis)" in warnings[0] and "REDIS_URL" in warnings[0], warnings
    assert "services.spare.env" in warnings[0] and "environments.development.env in targets.yaml" in warnings[0]
    # When the target fails, a service it never reached is the clue (zou read DB_HOST, was given
    # DATABASE_URL, and waited on localhost): said beside the failure, not only counted.
    failing = UPLOADS.replace("    - {name: empty,", "    - {name: gone, path: /files, status: 418}\n    - {name: empty,")
    (root / "targets.yaml").write_text(failing)
    failed = invoke("smoke", "--manifest", str(root / "targets.yaml"))
    assert failed.code != 0
    lines = failed.stderr.strip().splitlines()
    assert lines[0].startswith("error: smoke failed: 1 check(s) failed (3 counting each way a platform runs them), "
                                "first run [") and " gone: expected 418" in lines[0]
    assert lines[0].endswith("; note: it never reached spare (redis): an app that reads other variables (a URL by "
                             "another name, its own host and port ones) looks for its server at its default instead; "
                             "name them under services.spare.env in targets.yaml"), lines
    assert "warning: run failed, and service spare (redis) was never reached (given REDIS_URL)" in failed.stdout
    assert _leftovers(engine) == []


MARIA_NOTES = NOTES.replace('db: {kind: postgres, version: "15"}', "db: {kind: mariadb, scheme: mysql+pymysql, "
                            "settings: {character_set_server: utf8mb4, collation_server: utf8mb4_unicode_ci}}").replace(
    """  run: {kind: cloudrun, service_id: notes, region: us-central1}
  dyno: {kind: heroku, app: notes}
  stack: {kind: compose, publish: 8031}
  fn: {kind: functions}
""", """  dyno: {kind: heroku, app: notes}
  stack: {kind: compose, publish: 8032}
""")


def test_the_notes_app_on_mariadb_through_pymysql(tmp_path: Path, engine: docker.DockerClient) -> None:
    """The same notes app with PyMySQL: migrated by its release step, a row written and read
    back on heroku and compose, each from the release's snapshot (the read expects id 1)."""
    root = _project(tmp_path, "pg_notes", MARIA_NOTES)
    with (root / "requirements.txt").open("a") as requirements:
        requirements.write("PyMySQL==1.1.1\n")
    with _environments(engine) as seen:
        smoke = built_and_smoked(root / "targets.yaml")
    output = smoke.stdout + smoke.stderr
    assert re.search(r"services: db \(\S+mariadb:10\.11\) ready in \d+\.\d\d s", output), output
    report = json.loads((root / "build/smoke.json").read_text())["targets"]
    for target in ("dyno", "stack"):
        assert all(r["status"] == "pass" for r in report[target]["results"]), (target, report[target]["results"])
        assert report[target]["services_used"]["db"] >= 2, (target, report[target]["services_used"])
        assert [r["check"] for r in report[target]["results"] if r["check"] == "read"], target
    dyno = next(env for env in seen.values() if env["TARGET"] == "dyno" and "JAWSDB_MARIA_URL" in env)
    assert dyno["JAWSDB_MARIA_URL"].startswith("mysql://app:") and dyno["DATABASE_URL"].startswith("mysql+pymysql://")
    password = next(env["MARIADB_PASSWORD"] for env in seen.values() if "MARIADB_PASSWORD" in env)
    assert password in dyno["DATABASE_URL"] and password not in output
    assert _leftovers(engine) == []

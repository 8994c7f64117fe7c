"""The functions kind's generated entry module runs the app's whole WSGI stack.

No Docker: the entry is rendered from its template, imported in a fresh
interpreter beside small throwaway apps, and called the way functions-framework
calls it (a flask.Request over the server's environ, inside the framework's own
request context). One test runs the real functions-framework CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from targets import manifest
from targets.commands.build import render_only
from targets.errors import BuildFailed
from targets.errors import ManifestError
from targets.kinds.functions.settings import FunctionsSettings
from targets.kinds.functions.entry import ENTRY_FALLBACK, ENTRY_MAIN, entry_file, render_entry
from targets.manifest import parse
from targets.kinds.functions.kind import KIND
from targets.publish.steps import Deploy, PublishContext
from targets.records import BuildRecord
from tests.helpers import REPO, copy_demo, free_port

# Adds one header and two cookies to every response, outside Flask, and answers
# /raw itself with no Content-Type: present only if the entry runs app.wsgi_app.
MIDDLEWARE = '''
class Stamp:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/raw":
            start_response("204 No Content", [("X-Raw", "yes")])
            return []

        def stamped(status, headers, exc_info=None):
            extra = [("X-Middleware", "on"), ("Set-Cookie", "first=1; Path=/"), ("Set-Cookie", "second=2; Path=/")]
            return start_response(status, [*headers, *extra], exc_info)

        return self.wsgi_app(environ, stamped)
'''

MIDDLEWARE_APP = MIDDLEWARE + '''
from flask import Flask, Response, request

app = Flask(__name__)
app.wsgi_app = Stamp(app.wsgi_app)
PRODUCED = []


@app.get("/")
def index():
    return Response(b"\\x00\\xffbinary\\x89PNG", status=201, mimetype="application/octet-stream")


@app.post("/echo")
def echo():
    return request.get_data()


@app.get("/stream")
def stream():
    def chunks():
        for n in range(3):
            PRODUCED.append(n)
            yield f"chunk{n};"
    return Response(chunks(), mimetype="text/plain")
'''

FACTORY_APP = '''
from flask import Flask

CALLS = []


def create_app(env="default", debug=True):
    CALLS.append(env)
    app = Flask(__name__)

    @app.get("/")
    def index():
        return {"env": env, "debug": debug, "calls": len(CALLS)}

    return app
'''

# Imports the entry by name from `folder` and calls `handler` once per request,
# inside a stand-in for functions-framework's own Flask app, passing
# flask.request._get_current_object() exactly as its view does. The response is
# then run as a WSGI app, which is what the server does with it.
CALLER = '''
import importlib, json, sys
import flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

folder, entry, app_module, calls = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
sys.path.append(folder)
handler = importlib.import_module(entry).handler
framework = flask.Flask("functions-framework-standin")
results = []
for call in calls:
    environ = EnvironBuilder(path=call["path"], method=call["method"], data=bytes.fromhex(call["data"])).get_environ()
    with framework.request_context(environ):
        response = handler(flask.request._get_current_object())
    produced = len(getattr(sys.modules[app_module], "PRODUCED", []))
    body, status, headers = run_wsgi_app(response, environ)
    results.append({"type": type(response).__name__, "streamed": response.is_streamed, "produced": produced,
                    "status": status, "headers": list(headers), "body": b"".join(body).hex()})
print(json.dumps(results))
'''


def _app(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def _entry(folder: Path, entry: str, app_files: set[str]) -> str:
    """Write the rendered entry where the build would; return its module name."""
    filename = entry_file("functions", app_files)
    (folder / filename).write_text(render_entry(entry, "handler"))
    return filename.removesuffix(".py")


def _call(folder: Path, entry_module: str, app_module: str, *calls: dict[str, str]) -> list[dict[str, Any]]:
    wanted = [{"method": "GET", "data": "", **call} for call in calls]
    proc = subprocess.run([sys.executable, "-c", CALLER, str(folder), entry_module, app_module, json.dumps(wanted)],
                          capture_output=True, text=True, timeout=60, cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _headers(result: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in result["headers"] if key.lower() == name.lower()]


def test_plain_entry_runs_the_wsgi_middleware(tmp_path: Path) -> None:
    folder = _app(tmp_path, {"wsgi.py": MIDDLEWARE_APP})
    entry = _entry(folder, "wsgi:app", {"wsgi.py"})
    assert entry == "main"
    assert 'module = importlib.import_module("wsgi")\n    return module.app\n' in (folder / "main.py").read_text()
    (result,) = _call(folder, entry, "wsgi", {"path": "/"})
    assert result["type"] == "Response"  # a flask.Response: functions-framework returns it unchanged
    assert result["status"] == "201 CREATED"
    assert _headers(result, "X-Middleware") == ["on"]
    assert _headers(result, "Set-Cookie") == ["first=1; Path=/", "second=2; Path=/"]
    assert _headers(result, "Content-Type") == ["application/octet-stream"]
    assert bytes.fromhex(result["body"]) == b"\x00\xffbinary\x89PNG"


def test_request_body_streaming_and_headerless_responses_pass_through(tmp_path: Path) -> None:
    folder = _app(tmp_path, {"wsgi.py": MIDDLEWARE_APP})
    entry = _entry(folder, "wsgi:app", {"wsgi.py"})
    payload = b"\x00\x01 binary payload \xfe"
    echo, stream, raw = _call(folder, entry, "wsgi", {"method": "POST", "path": "/echo", "data": payload.hex()},
                              {"path": "/stream"}, {"path": "/raw"})
    assert echo["status"] == "200 OK" and bytes.fromhex(echo["body"]) == payload
    # Still lazy when the entry returns: the chunks are produced as the server sends them.
    assert stream["streamed"] and stream["produced"] < 3
    assert bytes.fromhex(stream["body"]) == b"chunk0;chunk1;chunk2;"
    # The middleware answered /raw with no Content-Type, and none is made up.
    assert raw["status"] == "204 No Content" and _headers(raw, "X-Raw") == ["yes"]
    assert _headers(raw, "Content-Type") == []


@pytest.mark.parametrize(("entry", "env", "debug"), [
    ("flaskr:create_app()", "default", True),
    ("flaskr:create_app('prod', debug=False)", "prod", False),
])
def test_factory_entry_is_called_once_with_its_literal_arguments(tmp_path: Path, entry: str, env: str,
                                                                  debug: bool) -> None:
    folder = _app(tmp_path, {"flaskr/__init__.py": FACTORY_APP})
    module = _entry(folder, entry, {"flaskr/__init__.py"})
    text = (folder / "main.py").read_text()
    assert 'module = importlib.import_module("flaskr")' in text
    assert f"    return module.{entry.partition(':')[2]}\n" in text
    first, second = _call(folder, module, "flaskr", {"path": "/"}, {"path": "/"})
    for result in (first, second):
        assert result["status"] == "200 OK"
        assert json.loads(bytes.fromhex(result["body"])) == {"env": env, "debug": debug, "calls": 1}


def test_an_app_named_main_keeps_its_main_py(tmp_path: Path) -> None:
    folder = _app(tmp_path, {"main.py": MIDDLEWARE_APP})
    original = (folder / "main.py").read_bytes()
    entry = _entry(folder, "main:app", {"main.py"})
    assert entry == "flaskship_main"
    assert (folder / "main.py").read_bytes() == original
    (result,) = _call(folder, entry, "main", {"path": "/"})
    assert result["status"] == "201 CREATED" and _headers(result, "X-Middleware") == ["on"]
    assert bytes.fromhex(result["body"]) == b"\x00\xffbinary\x89PNG"




def _framework_cli() -> list[str]:
    """The functions-framework console script of this interpreter (its `-m` form if it has none)."""
    script = Path(sys.executable).with_name("functions-framework")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "functions_framework"]


def test_real_functions_framework_serves_the_main_py_app_through_source(tmp_path: Path) -> None:
    folder = _app(tmp_path, {"main.py": MIDDLEWARE_APP})
    entry = _entry(folder, "main:app", {"main.py"})
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNCTION_", "PYTHONPATH"))}
    proc = subprocess.Popen([*_framework_cli(), "--target", "handler", "--source", f"{entry}.py",
                             "--signature-type", "http", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()[0].decode(errors="replace")
            try:
                response = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "functions-framework did not answer within 30 s"
                time.sleep(0.2)
        assert response.status_code == 201
        assert response.headers["X-Middleware"] == "on"
        assert response.raw.headers.getlist("Set-Cookie") == ["first=1; Path=/", "second=2; Path=/"]
        assert response.content == b"\x00\xffbinary\x89PNG"
        echo = requests.post(f"http://127.0.0.1:{port}/echo", data=b"\x00posted", timeout=5)
        assert echo.status_code == 200 and echo.content == b"\x00posted"
    finally:
        # Gunicorn's master stops its workers on SIGTERM; the group kill covers a stuck one.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()


def test_entry_file_is_main_py_unless_the_app_has_its_own_main() -> None:
    assert entry_file("fn", {"wsgi.py", "demo/__init__.py"}) == ENTRY_MAIN
    assert entry_file("fn", {"wsgi.py", "flaskship_main.py"}) == ENTRY_MAIN  # no clash without a main
    assert entry_file("fn", {"main.py", "templates/index.html"}) == ENTRY_FALLBACK
    assert entry_file("fn", {"main/__init__.py", "wsgi.py"}) == ENTRY_FALLBACK
    with pytest.raises(BuildFailed) as failure:
        entry_file("fn", {"main.py", "flaskship_main.py"})
    message = str(failure.value)
    assert "\n" not in message and message.startswith("fn: ") and "rename flaskship_main.py" in message


@pytest.mark.parametrize("entry", ["m:f(__import__('os').system('id'))", "m:a.b", "m:f(**{'a': 1})", "m:f(*[1])",
                                   "m:f()()", "os;x:app", "m:app; import os"])
def test_only_a_name_or_a_call_with_literal_arguments_is_written_into_the_entry(entry: str) -> None:
    # The manifest is the gate: nothing else reaches render_entry.
    with pytest.raises(ManifestError, match="app.entry"):
        parse({"app": {"entry": entry}, "targets": {"fn": {"kind": "functions"}}})


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> manifest.Project:
    # Any Docker call would fail: rendering must not need the engine.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    return manifest.load(copy_demo(tmp_path / "p") / "targets.yaml")


def test_render_writes_flaskship_main_beside_the_apps_main_py(demo: manifest.Project, tmp_path: Path) -> None:
    own_main = b"# the app's own main module\nVALUE = 1\n"
    (demo.app_dir / "main.py").write_bytes(own_main)
    job = render_only(demo, "functions", tmp_path / "a")
    zip_bytes = (tmp_path / "a/functions.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a/functions.zip") as zf:
        assert zf.read("main.py") == own_main
        assert 'module = importlib.import_module("wsgi")\n    return module.app\n' in zf.read(ENTRY_FALLBACK).decode()
    assert job.record.archives["zip"]["source"] == ENTRY_FALLBACK
    assert '"--source", "flaskship_main.py"' in (tmp_path / "a/runner/Dockerfile").read_text()
    render_only(demo, "functions", tmp_path / "b")
    assert (tmp_path / "b/functions.zip").read_bytes() == zip_bytes  # still byte-reproducible


def test_render_keeps_main_py_for_other_apps(demo: manifest.Project, tmp_path: Path) -> None:
    job = render_only(demo, "functions", tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "out/functions.zip") as zf:
        assert ENTRY_FALLBACK not in zf.namelist()
        assert "def handler(request" in zf.read("main.py").decode()
    assert job.record.archives["zip"]["source"] == ENTRY_MAIN
    assert "--source" not in (tmp_path / "out/runner/Dockerfile").read_text()


def test_render_refuses_an_app_with_main_py_and_flaskship_main_py(demo: manifest.Project, tmp_path: Path) -> None:
    (demo.app_dir / "main.py").write_text("")
    (demo.app_dir / ENTRY_FALLBACK).write_text("")
    with pytest.raises(BuildFailed, match="rename flaskship_main.py"):
        render_only(demo, "functions", tmp_path / "out")


def _deploy(entry: dict[str, str]) -> str:
    project = manifest.load(REPO / "targets.yaml")
    (command,) = KIND.deploy_commands("functions", project.target("functions"), entry, Deploy({}, "3.12"))
    return command


def test_deploy_names_the_entry_file_only_when_it_is_not_main_py() -> None:
    assert "GOOGLE_FUNCTION_SOURCE" not in _deploy({"object": "gs://b/x.zip"})
    assert "GOOGLE_FUNCTION_SOURCE" not in _deploy({"object": "gs://b/x.zip", "source": "main.py"})
    command = _deploy({"object": "gs://b/x.zip", "source": ENTRY_FALLBACK})
    assert " --set-build-env-vars GOOGLE_FUNCTION_SOURCE=flaskship_main.py" in command


def test_publish_carries_the_entry_file_from_the_build_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "build/functions").mkdir(parents=True)
    (tmp_path / "build/functions.zip").write_bytes(b"zip")
    record = BuildRecord("functions", "functions", archives={"zip": {"path": "build/functions.zip", "sha256": "0" * 64,
                                                                     "size": 3, "source": ENTRY_FALLBACK}})
    record.save(tmp_path / "build/functions")
    monkeypatch.setenv("FLASKSHIP_TEST_TOKEN", "t")
    monkeypatch.setattr("targets.kinds.functions.gcs.upload", lambda *args: True)
    settings = FunctionsSettings(kind="functions", bucket="bkt", token_env="FLASKSHIP_TEST_TOKEN")
    [step] = KIND.publish_steps("functions", settings, record, "targets.yaml")  # the plan carries the entry file
    project = SimpleNamespace(root=tmp_path, build_dir=tmp_path / "build")
    entry = KIND.publish(step, PublishContext(project, "sha", False, lambda _line: None))  # type: ignore[arg-type]
    assert entry["source"] == ENTRY_FALLBACK



@pytest.mark.parametrize(("pin", "refused"), [("Flask==1.1.2", True), ("flask === 1.0.2", True),
                                               ("Flask==2.0.3", False), ("Flask>=1.0", False)])
def test_render_refuses_a_flask_functions_framework_cannot_import(demo: manifest.Project, tmp_path: Path,
                                                                  pin: str, refused: bool) -> None:
    # bluelog, albumy, realworld and flask-base pin Flask 1.x: the zip built, and died at import
    # under functions-framework (flask.typing) only when smoke booted it, on Google's runtime alike.
    (demo.app_dir / "requirements.txt").write_text(f"{pin}\n")
    if not refused:
        render_only(demo, "functions", tmp_path / "out")
        return
    with pytest.raises(BuildFailed, match=r"^functions: the lock has Flask 1\.[0-9.]+; functions-framework needs "
                                          r"Flask 2\.0 or later .* or drop the functions target$"):
        render_only(demo, "functions", tmp_path / "out")


def test_a_zip_that_locks_gunicorn_24_or_later_says_why_its_stop_is_slow(tmp_path: Path) -> None:
    # dribdat pins gunicorn==25.3.0: under functions-framework the runner outlived SIGTERM while
    # smoke's kept-alive connection stayed open (10.22 s, SIGKILL), and nothing said why.
    from targets.kinds.functions.kind import _slow_stop

    def zipped(version: str) -> Path:
        path = tmp_path / f"fn-{version}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("requirements.txt", f"flask==3.1.0 \\\n    --hash=sha256:{'a' * 64}\n"
                                            f"gunicorn=={version} \\\n    --hash=sha256:{'b' * 64}\n")
        return path

    assert _slow_stop(zipped("25.3.0")).startswith("the lock has gunicorn 25.3.0: under functions-framework")
    assert "pin gunicorn<24" in _slow_stop(zipped("24.1.1"))
    assert _slow_stop(zipped("23.0.0")) == "" and _slow_stop(tmp_path / "missing.zip") == ""

"""What init's probe learns beyond the routes: where the app wrote (runner.written_by), and what
it answers for a path it has no route for (probe.py, detect.not_found_of)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from targets.appscan import appenv, detect, runner
from targets.appscan.detect import Detected, Found, not_found_of
from targets.appscan.errors import InitError
from targets.smoke.paths import NOT_FOUND_PATH


def _app(root: Path) -> Path:
    app = root / "app"
    for name, text in {"app.py": "x = 1\n", "data/seed.db": "seed", "data/deep/keep.txt": "k",
                       "instance/config.py": "A = 1\n", "static/site.css": "a{}"}.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)
    return app


def test_folders_the_run_made_or_wrote_in_are_listed_once_each(tmp_path: Path) -> None:
    app = _app(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(app, copy)  # as the runner copies: sizes and mtimes kept
    unwritten = runner.written_by(app, copy)
    assert (unwritten.folders, unwritten.top) == ((), ())
    (copy / "log/nested").mkdir(parents=True)  # a folder it made: listed whole
    (copy / "log/nested/app.log").write_text("up\n")
    (copy / "data/seed.db").write_text("seed plus a row")  # a file it changed in a folder of the code
    (copy / "data/deep/new.txt").write_text("n")  # inside data/ already: not listed again
    (copy / "instance/app.sqlite").write_text("db")  # Flask's instance folder is always writable
    (copy / "app.pid").write_text("1")  # at the top: no folder can open it
    written = runner.written_by(app, copy)
    assert (written.folders, written.top, written.databases) == (("data", "log"), ("app.pid",), ())


def test_sqlite_files_the_run_made_are_told_apart(tmp_path: Path) -> None:
    # CTFd, probed without its database, made CTFd/ctfd.db: its whole package became writable.
    app = _app(tmp_path)
    (app / "pkg").mkdir()
    (app / "pkg/views.py").write_text("x = 1\n")
    copy = tmp_path / "copy"
    shutil.copytree(app, copy)
    (copy / "pkg/shop.db").write_bytes(b"SQLite format 3\x00" + bytes(100))
    (copy / "log").mkdir()
    (copy / "log/app.log").write_text("up\n")
    written = runner.written_by(app, copy)
    assert (written.folders, written.databases) == (("log", "pkg"), ("pkg/shop.db",))
    assert written.without(written.databases).folders == ("log",)
    (copy / "pkg/cache.txt").write_text("c")  # another write there: the folder stays
    again = runner.written_by(app, copy)
    assert again.without(again.databases).folders == ("log", "pkg")
    # dribdat: an empty dribdat.db at the top, as sqlite3.connect() leaves one before the first table.
    (copy / "dribdat.db").write_bytes(b"")
    (copy / "empty.txt").write_bytes(b"")
    assert runner.written_by(app, copy).databases == ("dribdat.db", "pkg/shop.db")


def test_a_rewrite_with_the_same_size_counts_by_its_time(tmp_path: Path) -> None:
    app = _app(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(app, copy)
    stat = (copy / "static/site.css").stat()
    (copy / "static/site.css").write_text("b{}")
    os.utime(copy / "static/site.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert runner.written_by(app, copy).folders == ("static",)


def test_a_5xx_for_an_unknown_path_is_a_warning_naming_smokes_check() -> None:
    assert not_found_of({"status": 404}) is None and not_found_of(None) is None
    warning = not_found_of({"status": 500, "error": "TypeError: unsupported operand"})
    assert warning is not None and warning.startswith(f"GET {NOT_FOUND_PATH}, a path the app has no route for, "
                                                      "answered 500 (TypeError: unsupported operand) in the probe")
    assert "404 handler" in warning
    # bluelog's 404 handler queries a table that does not exist yet: SQLAlchemy's error goes on
    # with the statement over several lines, which a line in targets.yaml must not take.
    sql = ("OperationalError: (sqlite3.OperationalError) no such table: admin\n"
           "[SQL: SELECT admin.id AS admin_id\nFROM admin\n LIMIT ? OFFSET ?]")
    warning = not_found_of({"status": 500, "error": sql})
    assert warning is not None and "(OperationalError: (sqlite3.OperationalError) no such table: admin) in" in warning
    assert "\n" not in warning
    # flask-shop: the probe ran without the MariaDB smoke wires; its 404 passed in smoke.
    warning = not_found_of({"status": 500, "error": "OperationalError: (2003, \"Can't connect\")"}, "db: mariadb")
    assert warning is not None and warning.endswith(", which ran without the database smoke gives it (db: mariadb); "
                                                    "if smoke's not-found check fails too, the app's 404 handler "
                                                    "fails with its database")


def test_the_probe_asks_the_unknown_path_of_the_real_app(tmp_path: Path) -> None:
    # flaskBlog's 404 handler logged the exception with a logger that takes only strings.
    (tmp_path / "webapp.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n"
        "@app.get('/')\ndef home():\n    return 'home'\n"
        "@app.errorhandler(404)\ndef missing(e):\n    return 'not found: ' + e, 404\n")
    probe = Path(runner.__file__).with_name("probe.py")
    out = subprocess.run([sys.executable, "-I", "-B", str(probe), "webapp:app", NOT_FOUND_PATH], cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["routes"] == [{"path": "/", "status": 200, "content_type": "text/html"}]
    # Flask answered a 500 page; what raised comes from its got_request_exception signal.
    assert seen["not_found"] == {"status": 500, "error": 'TypeError: can only concatenate str (not "NotFound") to str'}
    (tmp_path / "webapp.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    out = subprocess.run([sys.executable, "-I", "-B", str(probe), "webapp:app", NOT_FOUND_PATH], cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1])["not_found"] == {"status": 404}


def test_routes_that_raised_say_what_with_the_apps_own_paths_one_line_per_error(tmp_path: Path) -> None:
    # PowerDNS-Admin: 15 routes answered 500, each for want of one asset file its Node step makes;
    # init listed fifteen bare "answered 500" lines and blamed a database.
    app = tmp_path / "pda"
    app.mkdir()
    pages = "".join(f"@app.get('/p{n}')\ndef p{n}():\n    return open(os.path.join(HERE, 'static/node_modules/all.css')).read()\n"
                    for n in range(6))
    (app / "webapp.py").write_text(
        "import os\nfrom flask import Flask\napp = Flask(__name__)\nHERE = os.path.dirname(os.path.abspath(__file__))\n"
        + pages +
        "@app.get('/db')\ndef db():\n    raise RuntimeError('no such table: post')\n"
        "@app.get('/quiet')\ndef quiet():\n    return 'down', 503\n")
    seen = runner.run(_fake_venv(tmp_path), app, "webapp:app")
    by_path = {route["path"]: route for route in seen["routes"]}
    # Relative to the app's folder, not the probe's throwaway copy of it.
    missing = "FileNotFoundError: [Errno 2] No such file or directory: 'static/node_modules/all.css'"
    assert by_path["/p0"] == {"path": "/p0", "status": 500, "content_type": "text/html", "error": missing}
    assert by_path["/quiet"] == {"path": "/quiet", "status": 503, "content_type": "text/html"}  # answered, raised nothing
    _, skipped = detect.checks_of(seen["routes"])
    assert skipped == ["GET /quiet answered 503",
                       "GET /db answered 500 (RuntimeError: no such table: post)",
                       f"GET /p0, /p1, /p2, /p3 and 2 more answered 500 ({missing})"]


def test_the_top_writes_note_offers_the_way_out_that_fits_the_file() -> None:
    from targets.appscan.detect import Detected, Found, sqlite_note, top_writes_note

    def detected(*top: str, sqlite: tuple[str, ...] = ()) -> Detected:
        return Detected("CTFd", "ctfd", Found("CTFd:create_app()", "why"), Found("requirements.txt", "found"),
                        Found(None, "none"), Found("/", "url"), Found("3.11", "pins"), Found("/", "route"), (), (),
                        writes_top=top, sqlite=sqlite)
    # CTFd's .ctfd_secret_key: "log to stdout" made no sense for a key.
    key = top_writes_note(detected(".ctfd_secret_key"))
    assert key.endswith("(or give it the key in its environment, listed under environments.<name>.secrets)"), key
    assert "stdout" not in key
    assert top_writes_note(detected("app.log")).endswith("under app.writable (or log to stdout)")
    assert top_writes_note(detected("app.pid")).endswith("under app.writable")
    assert sqlite_note(detected()) is None
    assert (sqlite_note(detected(sqlite=("CTFd/ctfd.db",))) or "").startswith("the probe's run made CTFd/ctfd.db (SQLite")


def test_an_app_that_made_its_own_key_file_gets_secret_key_listed() -> None:
    # CTFd, given no SECRET_KEY (read through its config.ini, never os.environ), wrote
    # .ctfd_secret_key at its top: in an image each worker made its own key, and sessions broke.
    from targets.appscan import appenv
    from targets.appscan.detect import Detected, Found
    from targets.appscan.render import render, secret_why

    texts = {"CTFd/config.py": 'SECRET_KEY = config_ini["server"]["SECRET_KEY"] or _key_file()\n',
             "CTFd/utils.py": "x = 1\n"}
    assert appenv.keeps_its_own_key(texts, (".ctfd_secret_key", "app.pid")) == ("CTFd/config.py", ".ctfd_secret_key")
    assert appenv.keeps_its_own_key(texts, ("app.pid",)) is None
    assert appenv.keeps_its_own_key({"a.py": "x = 1\n"}, (".secret_key",)) is None  # SECRET_KEY named nowhere
    detected = Detected("CTFd", "ctfd", Found("CTFd:create_app()", "why"), Found("requirements.txt", "found"),
                        Found(None, "none"), Found("/", "url"), Found("3.11", "pins"), Found("/", "route"), (), (),
                        secret_key="CTFd/config.py", key_file=".ctfd_secret_key")
    text = render(detected, ".")
    assert "secrets: [SECRET_KEY]" in text and "made its own .ctfd_secret_key" in secret_why(detected)


def _fake_venv(root: Path) -> Path:
    """A 'venv' whose python is this one (Flask is installed here): runner.run as init runs it."""
    (root / "venv/bin").mkdir(parents=True)
    (root / "venv/bin/python").symlink_to(sys.executable)
    return root / "venv"


def test_the_probe_refuses_writes_outside_its_copy_and_init_names_them(tmp_path: Path) -> None:
    # anitya's default database is /var/tmp/anitya-dev.sqlite: its GET / made it on the host,
    # where a developer's own database of that name would have been opened and written.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    app = tmp_path / "shop"
    app.mkdir()
    (app / "webapp.py").write_text(
        "import sqlite3\nfrom flask import Flask\napp = Flask(__name__)\n"
        f"try:\n    open({str(outside / 'import.log')!r}, 'a').close()\nexcept PermissionError:\n    pass\n"
        "@app.get('/')\ndef home():\n"
        f"    sqlite3.connect({str(outside / 'dev.sqlite')!r}).execute('create table t (x)')\n    return 'home'\n"
        "@app.get('/local')\ndef local():\n    sqlite3.connect('local.db').execute('create table t (x)')\n"
        "    return 'ok'\n")
    seen = runner.run(_fake_venv(tmp_path), app, "webapp:app")
    assert not list(outside.iterdir())  # nothing was made there
    assert seen["refused"] == [str((outside / "import.log").resolve()), str((outside / "dev.sqlite").resolve())]
    statuses = {route["path"]: route["status"] for route in seen["routes"]}
    assert statuses == {"/": 500, "/local": 200}  # inside its copy, as before
    assert seen["written"].databases == ("local.db",) and not (app / "local.db").exists()
    # An import that fails on it says so.
    (app / "webapp.py").write_text(f"open({str(outside / 'boot.log')!r}, 'w')\nfrom flask import Flask\n"
                                   "app = Flask(__name__)\n")
    with pytest.raises(InitError) as failed:
        runner.run(_fake_venv(tmp_path / "again"), app, "webapp:app")
    assert "PermissionError" in failed.value.message and "tried to write outside its folder" in failed.value.message
    assert str((outside / "boot.log").resolve()) in failed.value.message and not list(outside.iterdir())


def test_a_secret_key_written_in_the_source_is_found_by_its_hash_and_named(tmp_path: Path) -> None:
    # anitya's DEFAULTS hold SECRET_KEY="changeme please", used wherever no config file names a key:
    # every deploy would sign its sessions with a key anyone with the source has.
    app = tmp_path / "tracker"
    (app / "tracker").mkdir(parents=True)
    (app / "tracker/__init__.py").write_text("")
    (app / "tracker/config.py").write_text('import os\n\nDEFAULTS = dict(\n    DEBUG=False,\n'
                                           '    SECRET_KEY="changeme please",\n)\n')
    (app / "webapp.py").write_text("from flask import Flask\nfrom tracker.config import DEFAULTS\n"
                                   "app = Flask(__name__)\napp.config.update(DEFAULTS)\n"
                                   "@app.get('/')\ndef home():\n    return 'home'\n")
    # As init runs it: SECRET_KEY is set, and the app never reads it.
    seen = runner.run(_fake_venv(tmp_path), app, "webapp:app", extra=appenv.probe_env(None))
    assert "changeme" not in json.dumps({k: v for k, v in seen.items() if k != "written"})  # only its hash leaves
    texts = {"tracker/config.py": (app / "tracker/config.py").read_text(), "webapp.py": (app / "webapp.py").read_text()}
    where = appenv.written_in(texts, seen["secret_key"])
    assert where == "tracker/config.py, line 5"
    note = appenv.written_note(where, "SECRET_KEY")
    assert note is not None and "tracker/config.py, line 5" in note and "changeme" not in note
    # Read from the environment in a way the scan cannot see (the demo's loop over the names it
    # takes), with the probe's throwaway value: no string in the source is it.
    (app / "webapp.py").write_text("import os\nfrom flask import Flask\nfrom tracker.config import DEFAULTS\n"
                                   "app = Flask(__name__)\napp.config.update(DEFAULTS)\n"
                                   "for name in ('SECRET_KEY', 'DEBUG'):\n    if name in os.environ:\n"
                                   "        app.config[name] = os.environ[name]\n")
    texts["webapp.py"] = (app / "webapp.py").read_text()
    assert appenv.reads_secret_key(texts) is None
    again = runner.run(_fake_venv(tmp_path / "again"), app, "webapp:app", extra=appenv.probe_env(None))
    assert again["secret_key"] and appenv.written_in(texts, again["secret_key"]) is None
    # No key at all: nothing to find, and nothing said.
    (app / "webapp.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    bare = runner.run(_fake_venv(tmp_path / "bare"), app, "webapp:app", extra=appenv.probe_env(None))
    assert bare["secret_key"] is None and appenv.written_note(appenv.written_in(texts, None), "SECRET_KEY") is None


def test_a_probe_that_runs_out_of_time_says_where_it_was_stuck(tmp_path: Path) -> None:
    # zou's create_app() waited 63 s on Redis retries; init said only "hangs?".
    app = tmp_path / "tracker"
    app.mkdir()
    (app / "webapp.py").write_text(
        "import logging, threading\nfrom flask import Flask\n\n"
        "def sync_config():\n    logging.error('Redis unavailable while syncing config')\n"
        "    threading.Event().wait(30)\n\n"
        "app = Flask(__name__)\nsync_config()\n")
    with pytest.raises(InitError) as failed:
        runner.run(_fake_venv(tmp_path), app, "webapp:app", timeout=4)
    message = failed.value.message
    assert message.startswith("webapp:app: the probe did not finish within 4 s (importing the app, in webapp.py "
                              "line 6 (sync_config), waiting in "), message
    assert ", waiting in threading.py line " in message and "(wait))" in message
    assert "the app logged: ERROR:root:Redis unavailable while syncing config" in message
    assert "--env NAME=value" in message and "sync_config" in failed.value.detail
    # A GET route that hangs is told apart from the import.
    (app / "webapp.py").write_text("import threading\nfrom flask import Flask\napp = Flask(__name__)\n\n"
                                   "@app.get('/report')\ndef report():\n    threading.Event().wait(30)\n")
    with pytest.raises(InitError) as failed:
        runner.run(_fake_venv(tmp_path / "again"), app, "webapp:app", timeout=4)
    assert "(requesting its GET routes, in webapp.py line 7 (report), waiting in " in failed.value.message


def test_a_new_file_in_tmp_is_the_probes_to_make_and_init_removes_it(tmp_path: Path) -> None:
    # ihatemoney's create_app() migrates its default /tmp/ihatemoney.db at import: refused, init could
    # not get past it. A new path directly in /tmp or /var/tmp is let be, and removed afterwards;
    # one that exists already may be somebody's, and is refused as before.
    name = f"flaskship-test-{uuid.uuid4().hex[:8]}"
    database, folder, theirs = Path(f"/var/tmp/{name}.db"), Path(f"/tmp/{name}-cache"), Path(f"/tmp/{name}.log")
    theirs.write_text("somebody's\n")
    app = tmp_path / "shop"
    app.mkdir()
    (app / "webapp.py").write_text(
        "import os, sqlite3\nfrom flask import Flask\napp = Flask(__name__)\n"
        f"db = sqlite3.connect({str(database)!r})\ndb.execute('create table t (x)')\ndb.commit()\n"
        f"os.mkdir({str(folder)!r})\nopen(os.path.join({str(folder)!r}, 'entry'), 'w').write('x')\n"
        f"try:\n    open({str(theirs)!r}, 'a').write('mine')\nexcept PermissionError:\n    pass\n"
        "@app.get('/')\ndef home():\n"
        f"    return str(sqlite3.connect({str(database)!r}).execute('select count(*) from t').fetchone()[0])\n")
    try:
        seen = runner.run(_fake_venv(tmp_path), app, "webapp:app")
        assert seen["made"] == [str(database), str(folder)]
        assert seen["refused"] == [str(theirs)] and theirs.read_text() == "somebody's\n"
        assert {route["path"]: route["status"] for route in seen["routes"]} == {"/": 200}
        assert not database.exists() and not folder.exists()  # removed, with what was in it
        found = Detected("shop", "shop", Found("webapp:app", "why"), Found("requirements.txt", "found"),
                         Found(None, "none"), Found("/", "url"), Found("3.12", "default"), Found("/", "route"), (),
                         (), refused=tuple(seen["refused"]), made=tuple(seen["made"]))
        note = detect.refused_note(found)
        assert note is not None and f"the app made {database}, {folder} outside its folder" in note
        # A probe stopped for its time removes them too.
        (app / "webapp.py").write_text(f"import time\nopen({str(database)!r}, 'w').write('x')\ntime.sleep(30)\n")
        with pytest.raises(InitError):
            runner.run(_fake_venv(tmp_path / "again"), app, "webapp:app", timeout=3)
        assert not database.exists()
    finally:
        theirs.unlink()
        database.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)

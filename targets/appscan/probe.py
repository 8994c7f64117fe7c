"""Run by path inside the throwaway venv, with cwd = the app's folder; flaskship never imports it.

    <venv>/bin/python -I -B probe.py 'module:attr' | 'module:factory(<literal args>)' <unknown path> [<dump after>]

With <dump after> (seconds), the stacks of its threads go to stderr then (faulthandler), so
that a probe init stops for taking too long says where it was (stuck.py).
Imports the entry as gunicorn would (the working folder first on sys.path),
checks that it is a flask.Flask, and prints one JSON object on stdout:
{"static_folder", "static_url_path", "import_root", "routes": [{"path",
"status", "content_type"}], "not_found": {"status", "error"?} for a path the
app has no route for (smoke's not-found check), "commands": the app's own `flask` commands, "flask_version",
"refused": the paths outside its folder the app tried to write (fence()), "made": the new
ones it made in /tmp or /var/tmp (fence(), removed by init),
"releases": what the venv has installed, as name==version, "whitenoise": [root, prefix]
of each folder the app gives WhiteNoise, "secret_key": the sha256 of its SECRET_KEY or null,
"release": null, or how the release run before the routes ended (release())}, or
{"error": "..."}. The app's own output (even
from C code) goes to stderr, so stdout carries only the JSON. Only the
standard library and flask: nothing of flaskship exists in the venv.
"""

import ast
import faulthandler
import hashlib
import importlib
import json
import os
import sys
from urllib.parse import quote, unquote, urlsplit

# Characters a smoke check's path may hold as they are; the rest are percent-encoded.
SAFE = "/._~!$'()*+,;=:@-"
# The `flask` arguments of the app's release, to run before the routes are asked (release()), and its time.
RELEASE = "FLASKSHIP_PROBE_RELEASE"
RELEASE_WITHIN = "FLASKSHIP_PROBE_RELEASE_WITHIN"


def load(entry):
    module_name, _, call = entry.partition(":")
    expression = ast.parse(call, mode="eval").body
    module = importlib.import_module(module_name)
    if isinstance(expression, ast.Call):
        args = [ast.literal_eval(a) for a in expression.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in expression.keywords}
        return getattr(module, expression.func.id)(*args, **kwargs)
    return getattr(module, expression.id)


def whitenoise_files():
    """Each (root, prefix) the app gives WhiteNoise, recorded as it calls add_files (the
    constructor's root= too): searxng turns Flask's static folder off and wraps app.wsgi_app
    in WhiteNoise(root=<its settings' path>, prefix="static"), a path no source scan can read.
    Empty when the venv has no WhiteNoise."""
    found = []
    try:
        from whitenoise.base import WhiteNoise
    except Exception:  # noqa: BLE001 - not installed, or broken: nothing to record
        return found
    original = WhiteNoise.add_files

    def add_files(self, root, prefix=None, *args, **kwargs):
        found.append([os.path.abspath(str(root)), str(prefix or "")])
        return original(self, root, prefix, *args, **kwargs)

    WhiteNoise.add_files = add_files
    return found


def import_root(module_name):
    """The sys.path entry the module was imported from (the app folder, or site-packages)."""
    top = sys.modules[module_name.split(".")[0]]
    paths = list(getattr(top, "__path__", None) or [])
    where = paths[0] if paths else os.path.dirname(top.__file__)
    return os.path.dirname(where) if paths else where


class Raised:
    """The exceptions Flask handled as a 500 while a request ran (its got_request_exception
    signal): what a 500 was, which the page the app answered with does not say (flaskr's
    `OperationalError: no such table: post`). Without blinker an old Flask has no signals:
    then nothing is recorded."""

    def __init__(self, app):
        self.app, self.seen, self.signal = app, [], None
        try:
            from flask import got_request_exception
            got_request_exception.connect(self.record, app)
            self.signal = got_request_exception
        except Exception:  # noqa: BLE001 - Flask before 2.3 without blinker: signals are inert
            pass

    def record(self, sender, exception=None, **extra):
        self.seen.append(exception)

    def said(self):
        """The last recorded exception as `Type: message`, emptied for the next request; "" if none."""
        last, self.seen[:] = (self.seen[-1] if self.seen else None), []
        return "" if last is None else f"{type(last).__name__}: {last}"

    def close(self):
        if self.signal is not None:
            self.signal.disconnect(self.record, self.app)


def _get(client, raised, path):
    """One GET: (the response's fields, closed), with "error" where it was a 5xx that raised."""
    raised.said()  # nothing of an earlier request
    try:
        response = client.get(path)
    except Exception as exc:  # an app in testing mode may propagate; the platform would answer 500
        return {"status": 500, "content_type": "", "error": f"{type(exc).__name__}: {exc}"}
    answer = {"status": response.status_code, "content_type": response.mimetype or ""}
    if 300 <= response.status_code < 400 and response.location:
        answer["location"] = urlsplit(response.location).path  # CTFd's every route: /setup
    error = raised.said()
    if response.status_code >= 500 and error:
        answer["error"] = error
    response.close()
    return answer


def routes(app):
    """Each GET route without parameters, requested once through the test client."""
    client, raised = app.test_client(), Raised(app)
    found = []
    try:
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint == "static" or rule.arguments or "GET" not in (rule.methods or ()) or rule.host:
                continue
            path = quote(rule.rule, safe=SAFE)
            if not any(r["path"] == path for r in found):
                found.append({"path": path, **_get(client, raised, path)})
    finally:
        raised.close()
    return found


def not_found(app, path):
    """What the app answers for a path it has no route for: smoke requires no 5xx there."""
    raised = Raised(app)
    try:
        answer = _get(app.test_client(), raised, path)
    finally:
        raised.close()
    return {key: answer[key] for key in ("status", "error") if key in answer}


def releases():
    """What the venv has installed, as name==version: the app's dependencies as resolved (their
    names say which services it talks to), the releases a build will compile or not."""
    from importlib import metadata

    return sorted({dist.metadata["Name"] + "==" + dist.version for dist in metadata.distributions()
                   if dist.metadata["Name"]})


def flask_version():
    """Flask's own version: `flask --app` exists from 2.2 on (init's commands use FLASK_APP before)."""
    from importlib import metadata

    try:
        return metadata.version("flask")
    except metadata.PackageNotFoundError:
        return ""


def commands(app):
    """The app's `flask` commands: its own, and those its extensions add through the flask.commands
    entry points (Flask-Assets' `assets`), but not Flask's routes, run and shell."""
    from importlib.metadata import entry_points

    try:
        found = entry_points()  # on 3.8 and 3.9 a dict by group; select() from 3.10
        points = found.select(group="flask.commands") if hasattr(found, "select") else found.get("flask.commands", ())
        plugins = {point.name for point in points}
    except Exception:  # noqa: BLE001 - a broken distribution's metadata: the app's own commands still count
        plugins = set()
    return sorted(set(app.cli.commands) | (plugins - {"routes", "run", "shell"}))


def key_fingerprint(app):
    """The sha256 of the app's SECRET_KEY, or None: init looks for the string in the app's source
    without the key itself ever leaving this process (it may be one given with --env)."""
    key = app.config.get("SECRET_KEY")
    if isinstance(key, str):
        key = key.encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest() if isinstance(key, bytes) and key else None


def release(app, args, within):
    """The app's release (`flask db upgrade`, init's own, in FLASKSHIP_PROBE_RELEASE), run on the
    loaded app as `flask` would, before its routes are asked: the platform runs it before the app
    serves, so the routes then find the tables the probe's throwaway database would otherwise lack.
    {"ok": true}, or {"error": "..."}; one that runs past `within` seconds is left behind (the
    probe's exit ends it) and the routes are asked anyway."""
    import shlex
    import threading

    from flask.cli import FlaskGroup

    outcome = {}

    def run():
        try:
            # The `flask` command's plugins too (Flask-Migrate's `db` is an entry point). No .env
            # read and no FLASK_DEBUG applied to the app, whose routes are asked next as they were.
            try:
                group = FlaskGroup(create_app=lambda *_: app, load_dotenv=False, set_debug_flag=False)
            except TypeError:  # Flask 1.0: no set_debug_flag
                group = FlaskGroup(create_app=lambda *_: app, load_dotenv=False)
            group.main(args=shlex.split(args), prog_name="flask", standalone_mode=False)
            outcome["ok"] = True
        except SystemExit as exc:  # click's ctx.exit(): 0 is success
            if exc.code in (0, None):
                outcome["ok"] = True
            else:
                outcome["error"] = f"exited with {exc.code}"
        except BaseException as exc:  # noqa: BLE001 - what the release would have failed with
            text = " ".join(str(exc).split())[:300]
            outcome["error"] = f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    thread = threading.Thread(target=run, name="release", daemon=True)
    thread.start()
    thread.join(within)
    if thread.is_alive():
        return {"error": f"did not finish within {within:g} s"}
    return outcome


def inspect(entry, unknown):
    stage = "importing flask (is Flask among the app's dependencies?)"
    try:
        import flask

        stage = f"loading {entry}"
        whitenoise = whitenoise_files()
        app = load(entry)
        if not isinstance(app, flask.Flask):
            return {"error": f"{entry} is a {type(app).__module__}.{type(app).__name__}, not a flask.Flask"}
        released = None
        if os.environ.get(RELEASE):
            stage = f"running the release ({os.environ[RELEASE]}) of {entry}"
            released = release(app, os.environ[RELEASE], float(os.environ.get(RELEASE_WITHIN, "60")))
        stage = f"requesting the GET routes of {entry}"
        return {"static_folder": app.static_folder, "static_url_path": app.static_url_path, "release": released,
                "import_root": import_root(entry.partition(":")[0]), "routes": routes(app),
                "not_found": not_found(app, unknown),
                "commands": commands(app), "releases": releases(), "whitenoise": whitenoise,
                "flask_version": flask_version(), "secret_key": key_fingerprint(app)}
    except BaseException as exc:  # SystemExit too: an app may exit on import
        if isinstance(exc, KeyboardInterrupt):
            raise
        text = " ".join(str(exc).split())[:300]
        said = f"{stage}: {type(exc).__name__}: {text}" if text else f"{stage}: {type(exc).__name__}"
        return {"error": said, "dependency": raised_in(exc), "at": raised_at(exc),
                "python": "%d.%d" % sys.version_info[:2]}


def raised_in(exc):
    """The installed package whose code raised `exc` ("werkzeug/datastructures.py"), when the
    innermost frame is in the venv's site-packages, not the app's; else None. realworld's
    Werkzeug 0.14.1 fails at import on 3.10, and the line read as if Flask were missing."""
    import sysconfig

    site = os.path.realpath(sysconfig.get_paths()["purelib"]) + os.sep
    frames = _frames(exc)
    path = frames[-1][0] if frames else ""
    return path[len(site):] if path.startswith(site) else None


def raised_at(exc):
    """The app's own line nearest to where `exc` was raised ("forum/plugins/manager.py line 37"),
    relative to the app's folder (the probe's working directory), or None: flaskbb's NameError
    named no file, and the user had nothing to open."""
    top = os.path.realpath(os.getcwd()) + os.sep
    inside = [(path, line) for path, line in _frames(exc) if path.startswith(top)]
    return "%s line %d" % (inside[-1][0][len(top):], inside[-1][1]) if inside else None


def _frames(exc):
    """(real path, line) of each frame of `exc`'s traceback, outermost first."""
    frames, frame = [], exc.__traceback__
    while frame is not None:
        frames.append((os.path.realpath(frame.tb_frame.f_code.co_filename), frame.tb_lineno))
        frame = frame.tb_next
    return frames


# Audit events (PEP 578) that write at a path: the indexes of their path arguments. sqlite3.connect
# opens (and makes) a database file. A C extension's own writes go by no such event.
_WRITES = {"os.mkdir": (0,), "os.remove": (0,), "os.rmdir": (0,), "os.rename": (0, 1), "os.replace": (0, 1),
           "os.symlink": (1,), "os.link": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,),
           "os.utime": (0,), "shutil.rmtree": (0,), "sqlite3.connect": (0,)}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


# Shared scratch folders: a new file directly in one (ihatemoney's /tmp/ihatemoney.db, anitya's
# /var/tmp/anitya-dev.sqlite) is the probe's to make, and init removes it afterwards.
SCRATCH = ("/tmp", "/var/tmp")
# Where the probe lists what it made there, in its throwaway HOME: written as it goes, so that
# init removes them even after a probe it had to stop.
MADE_LIST = ".flaskship-made"


def fence(inside, refused, made=None):
    """An audit hook that refuses, with PermissionError, any write outside the folders `inside`
    (the throwaway folder holding the app's copy; /dev), and records the path in `refused`.

    The probe runs on the host: anitya's default database is /var/tmp/anitya-dev.sqlite, which
    its GET / made on the host itself, where a developer's own database of that name would have
    been opened (and written by the routes). The images have their own /var/tmp.

    With `made` (a list), a path that does not exist yet directly in a SCRATCH folder, and what
    is under one made so, may be written: ihatemoney's create_app() migrates its default
    /tmp/ihatemoney.db, and refused it, init could not get past the import. Such a path is
    recorded in `made` and in MADE_LIST in inside[0], for init to remove and name; one that exists
    already may be somebody's, and is refused as before."""
    roots = tuple(os.path.realpath(folder) + os.sep for folder in inside)
    scratch = tuple(os.path.realpath(folder) for folder in SCRATCH)
    listing = os.path.join(inside[0], MADE_LIST)

    def outside(path):
        if isinstance(path, int) or path is None:
            return None  # a file descriptor: opened, and fenced, before
        text = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
        if text.startswith("file:"):  # sqlite's URI form (uri=True): its path, unless in memory
            parts = urlsplit(text)
            text = "" if "mode=memory" in parts.query else unquote(parts.path)
        if not text or text == ":memory:":
            return None
        real = os.path.realpath(text)
        return None if (real + os.sep).startswith(roots) or _ours(real) else real

    def _ours(real):
        """Made by this probe in a scratch folder, now or before (and so the probe's to write)."""
        if made is None:
            return False
        if any(real == path or real.startswith(path + os.sep) for path in made):
            return True
        if os.path.dirname(real) not in scratch or os.path.lexists(real):
            return False
        made.append(real)
        with open(listing, "a", encoding="utf-8") as out:  # inside the fence: no recursion past here
            out.write(real + "\n")
        return True

    def hook(event, args):
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None))[:3]
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                     (isinstance(flags, int) and flags & _WRITE_FLAGS)
            where = outside(path) if writes else None
        elif event in _WRITES:
            where = next((found for index in _WRITES[event] if index < len(args)
                          for found in [outside(args[index])] if found), None)
        else:
            return
        if where is not None:
            if where not in refused:
                refused.append(where)
            raise PermissionError(13, "flaskship init's probe writes only in its throwaway copy of the app", where)

    return hook


def main():
    if len(sys.argv) > 3:
        faulthandler.dump_traceback_later(float(sys.argv[3]), exit=False)
    sys.path.insert(0, os.getcwd())  # as gunicorn does; -I left the script's own folder off
    refused, made = [], []
    sys.addaudithook(fence([os.environ.get("HOME", os.getcwd()), "/dev"], refused, made))
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        result = inspect(sys.argv[1], sys.argv[2])
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
    result["refused"] = refused
    result["made"] = made
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

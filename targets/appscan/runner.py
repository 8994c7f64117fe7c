"""Run probe.py in the throwaway venv: in a copy of the app folder, a bounded time, a minimal environment.

The environment holds PATH, a throwaway HOME and TMPDIR, and a UTF-8 locale;
no host variable the app could read a secret or a FLASK_* setting from.
`-I` keeps the probe's own folder off sys.path (no module of flaskship can
shadow one of the app's) and `-B` writes no __pycache__.

The probe imports the app and puts GET requests to it, and apps write where
they run: microblog's factory makes logs/ and a log file in its working
directory, flaskr makes its instance folder. Run in the app's own folder, that
left files in the user's project. The copy (minus what an import never reads:
.git, node_modules, virtualenvs, bytecode) takes them, and the paths the probe
reports are mapped back to the app folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..smoke.paths import NOT_FOUND_PATH
from . import stuck
from .errors import InitError
from .sandbox import python_of, special

PROBE = Path(__file__).with_name("probe.py")
TIMEOUT = 60
# How long the app's release may take in the probe (probe.release()), on top of TIMEOUT:
# a long migration history on a fresh database (zou's) is not the app hanging.
RELEASE_WITHIN = 120
# The variables that hand the probe its release and that time: probe.RELEASE and probe.RELEASE_WITHIN,
# named again here because the probe runs in the app's venv and imports nothing of flaskship.
RELEASE_VARIABLES = ("FLASKSHIP_PROBE_RELEASE", "FLASKSHIP_PROBE_RELEASE_WITHIN")


def run(venv: Path, app_dir: Path, entry: str, timeout: float = TIMEOUT,
        extra: Mapping[str, str] | None = None, release: str | None = None) -> dict[str, Any]:
    """What the probe saw of `entry`; one-line InitError if it is no Flask app or the probe fails.
    `extra`: variables of init's own making (appenv.py's throwaway SECRET_KEY), never the host's.
    `release`: `flask` arguments to run on the app before its routes are asked (probe.release())."""
    with tempfile.TemporaryDirectory(prefix="flaskship-probe-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": home, "TMPDIR": home,
               "LANG": "C.UTF-8", **(extra or {})}
        if release:
            env.update(zip(RELEASE_VARIABLES, (release, str(RELEASE_WITHIN)), strict=True))
            timeout += RELEASE_WITHIN
        copy = Path(home).resolve() / "app" / app_dir.name  # resolved: the probe reports os.getcwd()'s paths
        try:
            shutil.copytree(app_dir, copy, ignore=_never_read(app_dir), symlinks=True)
        except shutil.Error as exc:  # every file it could not copy: (source, target, why)
            source, _, why = exc.args[0][0]
            raise InitError(f"{source}: could not copy it for the probe ({why}); make it readable, or move it out "
                            "of the app folder") from None
        except OSError as exc:
            raise InitError(f"{exc.filename or app_dir}: could not copy it for the probe ({exc.strerror}); make it "
                            "readable, or move it out of the app folder") from None
        started = time.time()
        try:
            proc = subprocess.run([str(python_of(venv)), "-I", "-B", str(PROBE), entry, NOT_FOUND_PATH,
                                   str(stuck.dump_after(timeout))], cwd=copy,
                                  env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise _ran_out(entry, timeout, exc, str(copy)) from None
        finally:
            remove_made(Path(home), started)
        written = written_by(app_dir, copy)
    tail = "\n".join(proc.stderr.splitlines()[-20:])
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        result = None
    if proc.returncode != 0 or not isinstance(result, dict):
        raise InitError(f"{entry}: the probe failed (exit status {proc.returncode}); its output is above", detail=tail)
    if "error" in result:
        dependency = result.get("dependency")
        if dependency:  # not the app's code: a package it installed does not run here
            package = str(dependency).split("/", 1)[0]
            python = result.get("python")
            raise InitError(f"{app_dir.name}: {result['error']} (raised in {dependency}, an installed package, not "
                            f"the app's code): the release of {package} the app pins does not run on Python "
                            f"{python}; pin a newer {package}, or name an older Python in .python-version")
        at = f" (at {result['at']}, on Python {result.get('python')})" if result.get("at") else ""
        said = logged_error(proc.stderr, exited="SystemExit" in str(result["error"]))
        logged = f"; the app logged: {said}" if said else ""
        refused = f"; {refused_note(result['refused'])}" if result.get("refused") else ""
        raise InitError(f"{app_dir.name}: {result['error']}{at}{logged}{refused}; fix it, give the probe a variable "
                        "it needs with --env NAME=value, or name the app with --entry module:attr")
    result["written"] = written

    def moved(path: Any) -> Any:  # as if it had run in the app's folder
        return str(app_dir / Path(path).relative_to(copy)) if isinstance(path, str) and Path(path).is_relative_to(copy) \
            else path

    for key in ("static_folder", "import_root"):
        result[key] = moved(result.get(key))
    # The app's errors name files in the probe's copy; said relative to the app's folder instead.
    for answer in (*result.get("routes", ()), result.get("not_found") or {}):
        if isinstance(answer, dict) and isinstance(answer.get("error"), str):
            answer["error"] = answer["error"].replace(f"{copy}/", "")
    result["whitenoise"] = [[moved(root), prefix] for root, prefix in result.get("whitenoise", ())]
    return result


# Named again here (the probe imports nothing of flaskship): probe.MADE_LIST and probe.SCRATCH.
MADE_LIST = ".flaskship-made"
SCRATCH = ("/tmp", "/var/tmp")
SQLITE_BESIDE = ("-journal", "-wal", "-shm")  # what SQLite makes beside a database, in C (no audit event)


def remove_made(home: Path, started: float) -> None:
    """Remove what the probe made in /tmp or /var/tmp (probe.fence lists each new path as it lets the
    app make it), with SQLite's files beside a database. Only a path directly in such a folder, made
    since `started`, goes: the list is in a folder the app may write, and names nothing else to remove."""
    try:
        listed = (home / MADE_LIST).read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    scratch = {os.path.realpath(folder) for folder in SCRATCH}
    for line in dict.fromkeys(listed):
        path = Path(line)
        if not path.is_absolute() or str(path.parent) not in scratch:
            continue
        for made in (path, *(Path(f"{path}{beside}") for beside in SQLITE_BESIDE)):
            try:
                if made.lstat().st_ctime < started - 1:  # older than the probe: not its own
                    continue
                if made.is_dir() and not made.is_symlink():
                    shutil.rmtree(made)
                else:
                    made.unlink()
            except OSError:
                continue  # never made, or gone already


def _ran_out(entry: str, timeout: float, exc: subprocess.TimeoutExpired, copy: str) -> InitError:
    """Where the probe was when it was stopped (its stacks, stuck.py), the app's last logged error,
    and the way on: a server the app waits on that the probe did not start for it (probeservices.py
    starts only those init finds) is the usual cause."""
    stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    at = stuck.where(stderr, copy) or "importing the app or one of its GET routes hangs?"
    said = logged_error(stuck.before_stacks(stderr))
    logged = f"; the app logged: {said}" if said else ""
    return InitError(f"{entry}: the probe did not finish within {timeout:.0f} s ({at}){logged}; where the app "
                     "waits on a server the probe did not start for it (a database, a cache, an API), run one and "
                     "give the probe its address with --env NAME=value, or name the entry with --entry",
                     detail="\n".join(stderr.replace(copy + "/", "").splitlines()[-40:]))


def few(items: Sequence[str], limit: int = 3) -> str:
    """The first `limit` of `items`, comma-separated, and how many more there are."""
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def refused_note(paths: list[str]) -> str:
    """What the probe refused the app (probe.fence): writes outside its throwaway copy."""
    return (f"the app tried to write outside its folder ({few(paths)}), which init's probe refuses: it runs on "
            "this machine, where a file of that name may be yours")


# A log line of the app's that says why it stops: searxng's `ERROR:searx.webapp: server.secret_key is
# not changed...` before its sys.exit(1), which the probe saw only as `SystemExit: 1`.
_LOGGED_ERROR = re.compile(r"\b(?:ERROR|CRITICAL|FATAL)\b")  # a log level, as logging and Flask write it


def logged_error(stderr: str, exited: bool = False) -> str:
    """The app's last error line in the probe's stderr (one line, at most 300 characters), or "".
    exited: the app called sys.exit, so its last line says why even with no level on it (logging's
    last-resort handler, a print to stderr)."""
    found = [line.strip() for line in stderr.splitlines() if _LOGGED_ERROR.search(line)]
    if not found and exited:
        found = [line.strip() for line in stderr.splitlines() if line.strip()]
    return " ".join(found[-1].split())[:300] if found else ""


@dataclass(frozen=True)
class Written:
    """Where the probe's run (the import and the GET routes) wrote in the copy of the app."""

    changed: tuple[str, ...]  # every file it made or changed in a folder that was there before (relative paths)
    made: tuple[str, ...]  # folders it made, listed whole
    # SQLite files among `changed`: the app's fallback when no database is given, as in the
    # probe; with a database service wired, no folder is opened for them.
    databases: tuple[str, ...] = ()

    @property
    def folders(self) -> tuple[str, ...]:
        """The folders to open: one it made, or one it made or changed files in; a folder inside
        another listed one is writable by it already."""
        folders = {*self.made, *(path.rpartition("/")[0] for path in self.changed if "/" in path)}
        return tuple(sorted(f for f in folders if not any(f.startswith(other + "/") for other in folders)))

    @property
    def top(self) -> tuple[str, ...]:
        """Files it made or changed at the app folder's top, which no writable folder can hold."""
        return tuple(path for path in self.changed if "/" not in path)

    def without(self, paths: tuple[str, ...]) -> Written:
        """As if it had not written `paths`: its SQLite files (CTFd's CTFd/ctfd.db opened its whole
        package), or a key file it writes only when given none."""
        return replace(self, changed=tuple(path for path in self.changed if path not in paths))


def written_by(app_dir: Path, copy: Path) -> Written:
    """Compare the probe's copy with the app folder it was copied from (copytree keeps each
    file's size and mtime). Flask's instance folder is left out: every image makes it writable."""
    made: list[str] = []
    changed: list[str] = []
    for folder, dirs, files in os.walk(copy):
        here = Path(folder)
        relative = here.relative_to(copy)
        before = app_dir / relative
        if relative.parts[:1] == ("instance",):
            dirs[:] = []
            continue
        if not before.is_dir():  # a folder the app made: listed whole, nothing under it on its own
            made.append(relative.as_posix())
            dirs[:] = []
            continue
        changed += [(relative / name).as_posix() for name in files if _changed(before / name, here / name)]
    databases = tuple(sorted(path for path in changed if _is_sqlite(copy / path)))
    return Written(tuple(sorted(changed)), tuple(sorted(made)), databases)


def _is_sqlite(path: Path) -> bool:
    """By its header; or an empty file named like a database, as sqlite3.connect() leaves one before
    the first table (dribdat's dribdat.db, beside a Postgres it was given)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return head == b"SQLite format 3\x00" or (not head and path.suffix in (".db", ".sqlite", ".sqlite3"))


def _changed(before: Path, after: Path) -> bool:
    try:
        old = before.lstat()
    except OSError:
        return True
    new = after.lstat()
    return (old.st_size, old.st_mtime_ns) != (new.st_size, new.st_mtime_ns)


def _never_read(app_dir: Path) -> Callable[[str, list[str]], set[str]]:
    """What an import never reads: .git, node_modules, bytecode, virtualenvs, the top's
    build/ and dist/ (init's own cache among them), and what is no file, folder or link
    (a socket, a fifo)."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        return {name for name in names if name in (".git", "node_modules", "__pycache__")
                or (here == app_dir and name in ("build", "dist")) or (here / name / "pyvenv.cfg").is_file()
                or special(here / name)}
    return ignore

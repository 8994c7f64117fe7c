"""smoke's note for a target that died at boot writing under its read-only code: the
path as Python prints it, and the folder it names for app.writable
(tests/integration/test_boot_hints.py does it on a real image)."""

from __future__ import annotations

import pytest

from targets.smoke import hints

DENIED = "PermissionError: [Errno 13] Permission denied: "


@pytest.mark.parametrize(("error", "wrote", "fix"), [
    (DENIED + "'/srv/app/logs/microblog.log'", "/srv/app/logs/microblog.log", "list 'logs' under app.writable"),
    (DENIED + "'logs'", "/srv/app/logs", "list 'logs' under app.writable"),  # os.mkdir("logs"), from its cwd
    (DENIED + "'data/LOCK'", "/srv/app/data/LOCK", "list 'data' under app.writable"),
    (DENIED + "'./var/../uploads/a.png'", "/srv/app/uploads/a.png", "list 'uploads' under app.writable"),
    ("OSError: [Errno 30] Read-only file system: 'app.db'", "/srv/app/app.db",
     "have the app write into a folder listed under app.writable"),
    (DENIED + "\"it's/x.log\"", "/srv/app/it's/x.log", "list \"it's\" under app.writable"),
])
def test_a_write_under_the_code_names_the_folder_to_make_writable(error: str, wrote: str, fix: str) -> None:
    log = f'Traceback (most recent call last):\n  File "/srv/app/app/__init__.py", line 85\n{error}\n'
    note = hints.boot(log, release=True)
    assert note.startswith(f"; note: the app could not write {wrote}: its code is read-only in the image; {fix}")
    assert "\n" not in note


@pytest.mark.parametrize("error", [DENIED + "'/etc/passwd'", DENIED + "'../tmp/x.log'", DENIED + "'/srv/app'",
                                   "ValueError: something else"])
def test_anything_else_gets_its_own_error_line(error: str) -> None:
    # Not the release note: it says nothing of an error like these (bluelog's runner died on an
    # AttributeError and was told where the release's files went).
    assert hints.boot(error, release=True) == hints.boot(error, release=False) == f"; note: the app's last error: {error}"


def test_the_release_note_is_for_missing_state_or_a_silent_death() -> None:
    log = ('  File "/opt/venv/lib/python3.12/site-packages/sqlalchemy/engine/default.py", line 941\n'
           'sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedTable) relation "admin" does not exist\n')
    assert hints.boot(log, release=True) == hints.RELEASE
    assert hints.boot(log, release=False).startswith("; note: the app's last error: sqlalchemy.exc.ProgrammingError:")
    assert hints.boot("[INFO] Booting worker with pid: 7\n", release=True) == hints.RELEASE
    assert hints.boot("[INFO] Booting worker with pid: 7\n", release=False) == ""


def test_a_sqlite_file_that_cannot_be_opened_is_named_at_boot_and_in_a_release() -> None:
    # CTFd's default database is sqlite:///CTFd/ctfd.db, migrated by its release step.
    log = '  File "/opt/venv/lib/python3.11/site-packages/sqlalchemy/engine/default.py", line 598, in connect\n' \
          "sqlite3.OperationalError: unable to open database file\n"
    assert hints.release(log) == hints.boot(log, release=True) == hints.SQLITE
    assert "give it a database service" in hints.SQLITE
    assert hints.release(DENIED + "'/srv/app/data/app.db'\n").startswith("; note: the app could not write /srv/app/data")
    assert hints.release("ValueError: something else\n") == "; note: the app's last error: ValueError: something else"


def test_a_flask_too_old_for_functions_framework_is_named() -> None:
    # albumy pins flask==1.1.2, which functions-framework's metadata allows and its code does not.
    log = ('  File "/opt/platform/functions_framework/__init__.py", line 57, in <module>\n'
           "    HTTPFunction = Callable[[flask.Request], flask.typing.ResponseReturnValue]\n"
           "AttributeError: module 'flask' has no attribute 'typing'\n")
    assert hints.boot(log, release=True) == hints.boot(log, release=False) == hints.OLD_FLASK
    assert "pin Flask>=2.0" in hints.OLD_FLASK


def test_a_flask_command_that_fails_is_quoted_in_the_releases_line() -> None:
    # bluelog's `flask db upgrade` on Flask 1.1.2 without pkg_resources: click's usage and its Error line.
    log = "Usage: flask [OPTIONS] COMMAND [ARGS]...\nTry 'flask --help' for help.\n\nError: No such command 'db'.\n"
    assert hints.release(log) == "; note: the app's last error: Error: No such command 'db'."


def test_the_error_that_ended_a_chain_is_quoted_not_the_one_it_was_handling() -> None:
    from targets.engine.tracebacks import with_cause

    # searxng in compose: a worker's chain (the frozen version module missing, then `git` missing
    # while handling it), then gunicorn's HaltServer traceback, which alone fills the tail.
    chain = ["Traceback (most recent call last):", '  File "/srv/app/searx/version.py", line 109, in <module>',
             "    vf = importlib.import_module('searx.version_frozen')",
             "ModuleNotFoundError: No module named 'searx.version_frozen'", "",
             "During handling of the above exception, another exception occurred:", "",
             "Traceback (most recent call last):", '  File "/srv/app/searx/version.py", line 69, in get_git_version',
             "    subprocess_run('git show -s')",
             "FileNotFoundError: [Errno 2] No such file or directory: 'git'"]
    halt = ["[2026-12-07 00:40:01 +0000] [1] [ERROR] Worker (pid:7) exited with code 3",
            "Traceback (most recent call last):",
            *[f'  File "/opt/venv/lib/python3.13/site-packages/gunicorn/arbiter.py", line {n}, in run' for n in range(30)],
            "gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>"]
    log = with_cause("\n".join(["booting worker", *chain, *halt]))
    assert "FileNotFoundError: [Errno 2] No such file or directory: 'git'" in log
    assert hints.boot(log, release=False) == (
        "; note: the app's last error: FileNotFoundError: [Errno 2] No such file or directory: 'git'")
    # compose restarts web (restart: unless-stopped): the window of the log may open on the master's
    # HaltServer; the next worker's chain is the cause, not gunicorn's halt.
    restarted = with_cause("\n".join([*halt[1:], "[INFO] Booting worker with pid: 8", *chain, *halt]))
    assert hints.boot(restarted, release=False).endswith("FileNotFoundError: [Errno 2] No such file or directory: 'git'")
    # A lone traceback still ends at its own exception line.
    lone = with_cause("\n".join(chain[:4] + ["", "after"] + halt))
    assert "ModuleNotFoundError" in lone and "FileNotFoundError" not in lone


def test_a_file_under_node_modules_is_named_as_never_shipped_not_as_missing_state() -> None:
    # PowerDNS-Admin's Flask-Assets bundles read node_modules/, which its yarn step makes and no
    # artifact holds: its 404 page failed on every target, and smoke's line sent its reader to the
    # release, which had nothing to do with it.
    log = ("Traceback (most recent call last):\n"
           "FileNotFoundError: [Errno 2] No such file or directory: "
           "'/srv/app/powerdnsadmin/static/node_modules/@fortawesome/fontawesome-free/css/all.css'\n")
    assert not hints.state_missing(log)
    assert hints.state_missing(log + "FileNotFoundError: [Errno 2] No such file or directory: 'data/seed.json'\n")
    note = hints.boot(log, release=True)
    assert note == hints.unshipped(log) and note.startswith(
        "; note: the app reads /srv/app/powerdnsadmin/static/node_modules/@fortawesome/fontawesome-free/css/all.css, "
        "under node_modules/, which flaskship leaves out of every artifact")
    assert hints.unshipped("FileNotFoundError: [Errno 2] No such file or directory: 'data/seed.json'") == ""

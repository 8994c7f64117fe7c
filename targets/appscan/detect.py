"""Everything init writes, each value with why it was chosen.

The static parts (entry candidates, dependency file, Python version) are read
on the host; the rest comes from the probe, which imports the app in its
throwaway venv. The mapping functions below are pure, so they are tested
without a venv.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import trim
from ..manifest import Check
from ..smoke.missing import state_missing
from ..smoke.paths import NOT_FOUND_PATH
from . import (appenv, buildsteps, candidates, deployrelease, interpreter, natives, nodelinks, probeservices, runner,
               sandbox)
from . import services as backing
from .deps import dependencies, pins, server_pin_problem
from .versions import python_version

DATABASES = ("postgres", "mariadb")  # the service kinds a release migrates
HEALTH = ("/healthz", "/health", "/healthcheck", "/status", "/ping")  # CTFd answers /healthcheck
HINT = ("an app that needs its database initialised (or other setup) answers 5xx until it is: run that setup "
        "(app.prestart / app.release), then add the check to smoke.checks")

SETUP_COMMAND = re.compile(r"(?:^|[-_])(?:db|database|init|initdb|create|setup|seed|migrate|deploy)(?:$|[-_])", re.I)
# A command that makes the database, named either way (createdb, init-db, create_tables), goes before
# any other setup-like one: flask-shop's hint offered `db`, Flask-Migrate's group, which runs
# nothing, over its own `createdb`, and before it `seed` would fill tables that are not there yet.
MAKES_DATABASE = re.compile(r"^(?:re)?(?:create|init|initiali[sz]e|setup|make)[-_]?(?:db|database|tables?|all)$", re.I)


@dataclass(frozen=True)
class Found:
    value: Any
    why: str


@dataclass(frozen=True)
class Detected:
    folder: str  # the app folder's name
    name: str  # a DNS label: the Cloud Run service id and the Heroku app name
    entry: Found
    requirements: Found
    static: Found  # a path relative to the app folder, or None
    static_url: Found
    python: Found
    health: Found
    checks: tuple[dict[str, Any], ...]  # {path, status, content_type}
    skipped: tuple[str, ...]  # "GET / answered 500", one per route left out
    commands: tuple[str, ...] = ()  # the app's own `flask` commands (init-db), for the hint
    flask_version: str = ""  # the probe's Flask: how a `flask` command names the app (backing.flask_command)
    services: tuple[backing.Service, ...] = ()  # postgres, redis, s3 it talks to
    release: Found | None = None  # `flask db upgrade` for a Flask-Migrate app
    release_key: str = "release"  # where it goes: app.release, or app.prestart for a database in each instance
    secret_key: str | None = None  # the file that reads the app's SECRET_KEY from the environment (appenv.py)
    server_pin: str | None = None  # what a build will refuse in the app's own gunicorn pin (deps.server_pin_problem)
    shadowed: tuple[str, ...] = ()  # app routes under the static URL, left out of the checks (shadowed_by_static)
    writable: tuple[str, ...] = ()  # folders the probe's run wrote in: app.writable (runner.written_by)
    writes_top: tuple[str, ...] = ()  # files it wrote at the app folder's top, which app.writable cannot open
    not_found: str | None = None  # what is wrong with the answer to a path the app has no route for (not_found_of)
    build_steps: tuple[buildsteps.Step, ...] = ()  # what the app's own Dockerfile makes at build time
    native: natives.Natives | None = None  # Debian packages to compile what has no wheel (natives.py)
    functions_out: str | None = None  # why the functions runtime cannot be locked with the app (init's lock check)
    sqlite: tuple[str, ...] = ()  # SQLite files the probe's run made, not opened: a database service is wired
    key_file: str | None = None  # the key file the app made for itself, given none (appenv.keeps_its_own_key)
    secret_variable: str = "SECRET_KEY"  # the variable the app's SECRET_KEY comes from (appenv.reads_secret_key)
    static_writes: tuple[str, ...] = ()  # folders under the static folder the probe's run wrote in (buildsteps)
    release_note: str = ""  # the deploy files' release command init did not take, with no release of its own
    given: tuple[tuple[str, str], ...] = ()  # init's --env NAME=value pairs: the probe ran with them
    refused: tuple[str, ...] = ()  # paths outside its folder the app tried to write in the probe (probe.fence)
    made: tuple[str, ...] = ()  # new paths it made in /tmp or /var/tmp in the probe, removed since (probe.fence)
    node_links: tuple[str, ...] = ()  # templates that link files in node_modules/, which never ships (nodelinks.py)
    key_written: str | None = None  # "file, line N": the string in the source the app's SECRET_KEY is (appenv)
    released: str = ""  # what the probe ran on its own database before asking the routes (`flask db upgrade`)
    release_failed: str = ""  # why that failed, when it did
    # Whether setup may be what the skipped 5xx routes lack (setup_may_help): the hint is for that.
    setup_hint: bool = True

    def after_release(self) -> str:
        """What the probe ran before it asked the routes the checks come from, if anything."""
        return f", after `{self.released}` on the probe's own throwaway database" if self.released else ""

    def hint(self) -> str:
        """What to do about the skipped routes, naming the app's own commands when it has any."""
        if not self.commands:
            return HINT
        listed = f"{HINT}; the app's own flask commands: {', '.join(self.commands)}"
        # An example only of a command named for setting up data: realworld's first was `clean`
        # (it deletes .pyc files), which the hint offered as the database's setup.
        setup = next((c for c in self.commands if MAKES_DATABASE.match(c)), None) or next(
            (c for c in self.commands if c != "db" and SETUP_COMMAND.search(c)), None)
        if setup is None:
            return listed
        return f"{listed} (e.g. app.prestart: {backing.flask_command(self.entry.value, setup, self.flask_version)})"


ONCE_PER_DEPLOY = ": migrate once per deploy"  # the why of init's own migration as app.release


def release_place(command: str | None, own: str | None, services: Sequence[backing.Service],
                  why: str) -> tuple[str, str]:
    """(the app key, its why) for init's release: app.release, unless it is init's own migration and no
    database service is wired. Then the database is a file in each instance (SQLite), which a release,
    in a container of its own whose files are discarded, would migrate for nothing: app.prestart
    migrates each instance's own before its server starts. ihatemoney's create_app() migrates too,
    and its workers, each upgrading the same empty /tmp database at once, crashed ("table
    bill_version already exists") on every target but functions."""
    if command is None or command != own or any(service.kind in DATABASES for service in services):
        return "release", why
    return "prestart", (f"{why.removesuffix(ONCE_PER_DEPLOY)}, and no database service is wired: the database is "
                        "a file in each instance, so every boot migrates its own before the server starts (a "
                        "release's container and its files are discarded)")


def released_in_probe(args: str | None, outcome: Mapping[str, Any] | None,
                      database: backing.Service | None) -> tuple[str, str]:
    """(what the probe ran before the routes, or ""; a warning if that failed, or "")."""
    if not args or database is None or outcome is None:
        return "", ""
    if outcome.get("ok"):
        return f"flask {args}", ""
    return "", (f"`flask {args}` failed in init's probe, on a throwaway {database.kind} ({outcome.get('error')}): "
                f"routes that read its tables are left out, and smoke runs the release the same way before "
                f"its checks; fix the migrations, or set app.release to what migrates the database")


def dns_label(name: str) -> str:
    """The folder's name as a lower-case DNS label; 30 characters at most (Heroku's limit for app names)."""
    label = re.sub(r"[^a-z0-9]+", "-", name.lower())
    label = re.sub(r"^[^a-z]+", "", label)[:30].strip("-")
    return label or "flask-app"


def static_of(app_dir: Path, folder: str | None, url_path: str | None, import_root: str) -> tuple[Found, Found]:
    """app.static and app.static_url from the Flask object's static_folder and static_url_path."""
    url = "/" + url_path.strip("/") if url_path else "/"  # "" and "/" both mean the site root
    url_why = "the site root (static_url_path is empty)" if url == "/" else f"app.static_url_path is {url_path!r}"
    if folder is None:
        return Found(None, "the Flask object has no static folder"), Found("/static", "unused: no static folder")
    real, app = Path(os.path.realpath(folder)), Path(os.path.realpath(app_dir))
    root = Path(os.path.realpath(import_root))
    if real.is_relative_to(app):
        rel, how = real.relative_to(app), "app.static_folder of the Flask object"
    elif real.is_relative_to(root):
        # An installed package's static folder lives in the venv's site-packages:
        # the same package-relative path in the app folder is what ships.
        rel = real.relative_to(root)
        rel = next((r for r in (rel, "src" / rel) if (app / r).is_dir()), rel)
        how = f"app.static_folder of the installed package, mapped back to the app folder ({rel.as_posix()})"
    else:
        return Found(None, f"app.static_folder {folder} is outside the app folder, so it cannot ship"), Found(url, url_why)
    if not (app / rel).is_dir():
        return Found(None, f"app.static_folder {rel.as_posix()}/ does not exist"), Found(url, url_why)
    return Found(rel.as_posix(), how), Found(url, url_why)


def whitenoise_static(app_dir: Path, served: Sequence[Sequence[str]]) -> tuple[Found, Found] | None:
    """app.static and app.static_url from the first folder of the app's that WhiteNoise serves
    (the probe recorded its root and prefix), for an app with Flask's static folder off."""
    app = Path(os.path.realpath(app_dir))
    for root, prefix in served:
        real = Path(os.path.realpath(root))
        if real.is_relative_to(app) and real != app and real.is_dir():
            rel, url = real.relative_to(app).as_posix(), "/" + prefix.strip("/")
            return (Found(rel, f"the app serves it through WhiteNoise (root {rel}/), its Flask static folder off"),
                    Found(url, f"WhiteNoise's prefix {prefix!r}"))
    return None


# Of the routes that all redirect to one page, as many as smoke needs to see it: CTFd's
# 85 of 89 answered 302 to /setup, and each target ran every one of them.
SAME_REDIRECT = 3
SAME_RAISED = 4  # routes named on the line of one error; the rest counted


def first_line(error: object) -> str:
    """What the probe saw raised, as one line to quote: an SQLAlchemy error goes on with the
    whole statement over several. "" for none."""
    lines = str(error or "").strip().splitlines()
    return lines[0][:200] if lines else ""


def setup_may_help(routes: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a route answered 5xx with nothing the probe saw raised, or with missing state
    (a table, a file: smoke/missing.py): what the hint's setup could cure. Not
    PowerDNS-Admin's, which all failed on an asset under node_modules/ that never ships."""
    return any(int(route["status"]) >= 500 and (not route.get("error") or state_missing(str(route["error"])))
               for route in routes)


def checks_of(routes: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(smoke checks, skipped) from the routes as the probe requested them."""
    checks: list[dict[str, Any]] = []
    skipped: list[str] = []
    redirected: dict[tuple[int, str], list[str]] = {}
    for route in routes:
        if route.get("location"):
            redirected.setdefault((int(route["status"]), str(route["location"])), []).append(str(route["path"]))
    for (status, location), paths in sorted(redirected.items()):
        if len(paths) > SAME_REDIRECT:
            skipped.append(f"{len(paths) - SAME_REDIRECT} more GET routes answered {status} to {location} "
                           f"({len(paths)} in all: the app sends everything there)")
    dropped = {path for paths in redirected.values() if len(paths) > SAME_REDIRECT for path in paths[SAME_REDIRECT:]}
    # 5xx answers that raised: one line per error, which says why (PowerDNS-Admin's 15 routes
    # failed on one asset file its Node step makes), the routes it failed listed after.
    raised: dict[tuple[int, str], list[str]] = {}
    for route in routes:
        if str(route["path"]) in dropped:
            continue
        path, status = str(route["path"]), int(route["status"])
        if status >= 500:
            error = first_line(route.get("error"))
            if error:
                raised.setdefault((status, error), []).append(path)
            else:
                skipped.append(f"GET {path} answered {status}")
            continue
        check: dict[str, Any] = {"path": path, "status": status}
        if route.get("content_type"):
            check["content_type"] = str(route["content_type"])
        try:
            Check.model_validate(check)
        except ValidationError:
            skipped.append(f"GET {path} cannot be written as a smoke check path")
            continue
        checks.append(check)
    for (status, error), paths in raised.items():
        skipped.append(f"GET {runner.few(paths, SAME_RAISED)} answered {status} ({error})")
    return checks, skipped


def shadowed_by_static(checks: list[dict[str, Any]], static: str | None, static_url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(checks, paths left out): an app route under the static URL (flaskmvc's /static/users)
    answers in Flask, but compose's nginx serves that prefix from the static folder only (a
    404) and cloudrun's Hosting edge gives it the static files' Cache-Control. Checking it
    would fail two targets for where the route is, which init says instead."""
    prefix = static_url.rstrip("/")
    if static is None or not prefix:
        return checks, []
    under = [c for c in checks if str(c["path"]).startswith(prefix + "/")]
    return [c for c in checks if c not in under], [str(c["path"]) for c in under]


def shadowed_note(d: Detected) -> str:
    routes = ", ".join(f"GET {path}" for path in d.shadowed)
    return (f"{routes}: app route(s) under the static URL {d.static_url.value}, where compose's nginx serves only "
            f"the files of {d.static.value}/ (a 404) and cloudrun's Hosting edge adds the static files' "
            f"Cache-Control; not checked; move them out of {d.static_url.value}/")


WRITABLE_WHY = ("the probe's import and GET routes wrote here, and the code is read-only in every image; "
                "each is made writable by any uid, the rest of the code stays read-only")


def top_writes_note(d: Detected) -> str:
    files = ", ".join(d.writes_top)
    # The way out that fits what was written: a log goes to stdout; a key the app made itself
    # (CTFd's .ctfd_secret_key) comes from the environment, as a secret.
    instead = []
    if any("log" in name.lower() for name in d.writes_top):
        instead.append("log to stdout")
    if any(appenv.is_key_file(name) for name in d.writes_top):
        instead.append("give it the key in its environment, listed under environments.<name>.secrets")
    otherwise = f" (or {'; or '.join(instead)})" if instead else ""
    return (f"the probe's run wrote {files} at the top of {d.folder}/, beside the code, which is read-only in every "
            "image and cannot be made writable there; have the app write it into a folder and list that folder "
            f"under app.writable{otherwise}")


def sqlite_note(d: Detected) -> str | None:
    if not d.sqlite:
        return None
    return (f"the probe's run made {', '.join(d.sqlite)} (SQLite: the app's own database when none is given, as in "
            "the probe); the database service is wired instead, so no folder is made writable for it")


def refused_note(d: Detected) -> str | None:
    """Where the app writes outside its folder: refused in the probe, or (a new file in /tmp or
    /var/tmp) let be and removed after it; in a container the path is the container's own, and what
    is written there goes with it (anitya's default database, /var/tmp/anitya-dev.sqlite)."""
    said = [runner.refused_note(list(d.refused))] if d.refused else []
    if d.made:
        said.append(f"the app made {runner.few(d.made)} outside its folder (new, so init's probe let it, and "
                    "removed it after)")
    if not said:
        return None
    return "; ".join(said) + ("; in the images such a path is the container's own, lost when it stops: give the app a "
                              "database service, or its instance folder")


def server_pin_note(d: Detected) -> str | None:
    """The app's own gunicorn pin a build refuses: a warning here, an error at every build."""
    return f"the build stops on this until it is fixed: {d.server_pin}" if d.server_pin else None


def not_found_of(answer: Mapping[str, Any] | None, database: str | None = None) -> str | None:
    """A warning when the app answers a path it has no route for with a 5xx, which smoke's
    not-found check fails on every target; None when it does not. `database`: the database
    service wired for smoke, unless the probe migrated one of its own (then not the cause)."""
    if not answer or int(answer.get("status", 0)) < 500:
        return None
    said = first_line(answer.get("error"))
    error = f" ({said})" if said else ""
    asked = f"GET {NOT_FOUND_PATH}, a path the app has no route for, answered {answer['status']}{error} in the probe"
    if database:
        # flask-shop's 404 page reads its settings from the database: the check passed once it was there.
        return (f"{asked}, which ran without the database smoke gives it ({database}); if smoke's not-found check "
                "fails too, the app's 404 handler fails with its database")
    return (f"{asked}; smoke's not-found check, which every target must pass, will fail until the app's 404 handler "
            "answers without an error")


def health_of(checks: Sequence[Mapping[str, Any]]) -> Found:
    """A route the probe saw answer: one named like a health check, else the home page, else the
    shortest route that answered 200 (anitya's / failed without its database; /api/version did
    not). Smoke's boot waits for the health path to answer below 500, so one that failed in the
    probe would fail every target's first smoke."""
    paths = {str(c["path"]) for c in checks}
    for path in HEALTH:
        if path in paths:
            return Found(path, f"a GET route named like a health check (looked for {', '.join(HEALTH)})")
    looked = f"no {', '.join(HEALTH)} route answered below 500"
    if "/" in paths:
        return Found("/", f"{looked}: the home page")
    answered = sorted((str(c["path"]) for c in checks if int(c["status"]) == 200), key=lambda path: (len(path), path))
    if answered:
        return Found(answered[0], f"{looked}, nor the home page: the shortest GET route that answered 200")
    return Found("/", f"{looked}, and no GET route answered 200: the home page, which smoke's boot waits for; "
                      "add a health route, or set it to one that answers without the app's services")


def detect(app_dir: Path, cache_dir: Path, entry: str | None, progress: Callable[[str], None],
           given: Mapping[str, str] | None = None) -> Detected:
    """What init writes. given: init's --env variables, which the probe runs with (searxng exits at
    import unless SEARXNG_SECRET is set) and the manifest lists."""
    deps = dependencies(app_dir)
    version, version_why = python_version(app_dir, lambda: pins(app_dir, deps), cache_dir)
    if entry:
        chosen = Found(entry, "given with --entry")
    else:
        found, folded = candidates.scan(app_dir)
        found, taken = candidates.settle(found, app_dir)
        candidate = candidates.choose(found, app_dir.name)
        chosen = Found(candidate.entry, candidates.why(candidate, folded, taken))
    texts = backing.source_text(app_dir)
    reader = appenv.reads_secret_key(texts)
    secret_key, secret_variable = reader if reader else (None, appenv.SECRET_KEY)
    with trim.holding(cache_dir):  # a build's trim must not take the probe venv while it runs
        venv = sandbox.ensure(cache_dir, app_dir, deps, progress, *interpreter.choose(app_dir, version))
        # With the services the manifest will list, on loopback: an app that reads its config from
        # Redis at import (zou) would otherwise wait out the probe's limit on retries.
        early_installed = probeservices.installed(venv)
        early = backing.detect(early_installed, texts)
        with probeservices.running(early, f"python:{version}-slim", cache_dir, progress) as reach:
            # With a database of its own, the probe runs the app's release first, as a platform
            # does before the app serves: routes that read its tables (zou's /config, pg_notes'
            # /notes) then answer as they will in smoke, not 500 on an empty database.
            migrated = next((s for s in early if s.kind in DATABASES and set(s.env) <= set(reach)), None)
            migrate = backing.release_args(early_installed, app_dir) if migrated else None
            if migrate and migrated:
                progress(f"init: the probe runs `flask {migrate}` on {migrated.name} ({migrated.kind}) first")
            probe = runner.run(venv, app_dir, chosen.value,
                               extra={**reach, **appenv.probe_env(reader), **(given or {})}, release=migrate)
    released, release_failed = released_in_probe(migrate, probe.get("release"), migrated)
    chosen = Found(chosen.value, chosen.why + "; the probe imported it and got a flask.Flask")
    static, static_url = static_of(app_dir, probe["static_folder"], probe["static_url_path"], probe["import_root"])
    if static.value is None and (served := whitenoise_static(app_dir, probe.get("whitenoise", ()))):
        static, static_url = served
    checks, skipped = checks_of(probe["routes"])
    checks, shadowed = shadowed_by_static(checks, static.value, static_url.value)
    releases = [str(r) for r in probe.get("releases", ())]
    installed = [r.partition("==")[0] for r in releases]
    flask_version = str(probe.get("flask_version") or "")
    own = backing.release(installed, app_dir, chosen.value, flask_version)
    # Beside the release command the app's Procfile or heroku.yml runs: taken, or named and why not.
    command, why, release_note = deployrelease.settle(
        deployrelease.found(app_dir), own,
        f"Flask-Migrate is a dependency and {backing.migrations_folder(app_dir)}/ exists{ONCE_PER_DEPLOY}",
        lambda args: backing.flask_command(chosen.value, args, flask_version))
    services = tuple(backing.detect(installed, texts))
    release_key, why = release_place(command, own, services, why)
    written = probe["written"]
    sqlite: tuple[str, ...] = ()
    if written.databases and any(service.kind in DATABASES for service in services):
        # The probe ran without the database, so the app made its SQLite fallback (CTFd's
        # CTFd/ctfd.db); wired to the service it writes none, and its package stays read-only.
        written, sqlite = written.without(written.databases), written.databases
    key_file = None
    if secret_key is None and (own := appenv.keeps_its_own_key(texts, written.top)):
        # Given a key, it writes no file: the file is no longer one to warn about.
        secret_key, key_file = own
        written = written.without((key_file,))
    database = next((f"{service.name}: {service.kind}" for service in services
                     if service.kind in DATABASES), None)
    served = buildsteps.static_writes(written.folders, static.value)
    commands = tuple(str(c) for c in probe.get("commands", ()))
    assets = buildsteps.assets_step(served, commands,
                                    backing.flask_command(chosen.value, "assets build", flask_version))
    return Detected(app_dir.name, dns_label(app_dir.name), chosen, Found(deps.file, deps.why), static, static_url,
                    Found(version, version_why), health_of(checks), tuple(checks), tuple(skipped),
                    commands, flask_version,
                    services, Found(command, why) if command else None, release_key,
                    secret_key, server_pin_problem(app_dir, deps.file), tuple(shadowed),
                    written.folders, written.top, not_found_of(probe.get("not_found"), None if released else database),
                    (*buildsteps.build_steps(app_dir), *([assets] if assets else [])),
                    natives.needed(releases, version, cache_dir), sqlite=sqlite, key_file=key_file,
                    secret_variable=secret_variable, static_writes=served,
                    release_note=release_note, given=tuple(sorted((given or {}).items())),
                    refused=tuple(str(path) for path in probe.get("refused", ())),
                    made=tuple(str(path) for path in probe.get("made", ())),
                    node_links=tuple(nodelinks.links(app_dir)),
                    key_written=appenv.written_in(texts, probe.get("secret_key")),
                    released=released, release_failed=release_failed, setup_hint=setup_may_help(probe["routes"]))

"""Which services an app talks to, from its dependencies and its configuration.

Pure functions of (installed distributions, the app's source text), so they
are tested without a venv:
  postgres  psycopg or psycopg2 installed, and the code names SQLALCHEMY_DATABASE_URI or DATABASE_URL;
  mariadb   PyMySQL, mysqlclient or mysql-connector installed, and the same; with a Postgres
            driver too, the one whose scheme (mysql, postgres) the code names, else postgres;
  redis     redis, rq or celery installed;
  s3        boto3 installed, and the code sets an endpoint (endpoint_url, or reads a *ENDPOINT* variable).
Where it reads no URL but the parts of one (DB_HOST, DB_PORT, ...), those are wired instead.
Each variable the app reads (os.environ[...], .get(...), os.getenv(...), or through an
alias of os.environ) into a setting that holds the connection (SQLALCHEMY_DATABASE_URI =
os.getenv("DB_URI")), that is known to hold one, or is named like one (DEV_DATABASE_URL,
REDISTOGO_URL), is wired to it; not one read only in a class or function named for tests
(TestingConfig). A variable named to turn the service on (USE_REDIS) is set to "true".
S3's names may also be settings the code names (AWS_S3_BUCKET), which a config file
takes from the environment. Otherwise the platform's usual name.
Flask-Migrate with a migrations/ folder means the release step runs `flask db upgrade`.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .candidates import modules, skipped

READS = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|getenv\()\s*["']([A-Z_][A-Z0-9_]*)["']""")
POSTGRES_DRIVERS = ("psycopg", "psycopg-binary", "psycopg2", "psycopg2-binary")
# A MySQL driver and the URL scheme SQLAlchemy loads it by (mysql:// alone means mysqlclient).
MYSQL_DRIVERS = {"pymysql": "mysql+pymysql", "mysqlclient": "mysql", "mysql-connector-python": "mysql+mysqlconnector"}
REDIS_CLIENTS = ("redis", "rq", "celery")
DATABASE_VARIABLES = ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "POSTGRES_URL", "POSTGRESQL_URL", "DB_URL")
REDIS_VARIABLES = ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "RQ_REDIS_URL", "CACHE_REDIS_URL")
# The settings a service's URL lives in, as Flask and its extensions name them: a variable read
# into one of them is that service's, whatever its name (flask-shop: DB_URI, REDIS_URI).
DATABASE_SETTINGS = frozenset({"SQLALCHEMY_DATABASE_URI", "DATABASE_URL", "DATABASE_URI"})
REDIS_SETTINGS = frozenset({*REDIS_VARIABLES, "REDIS_URI", "RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URL",
                            "SESSION_REDIS", "broker_url", "result_backend"})
AWS_VARIABLES = {"AWS_ACCESS_KEY_ID": "access_key", "AWS_SECRET_ACCESS_KEY": "secret_key", "AWS_DEFAULT_REGION": "region"}


@dataclass(frozen=True)
class Service:
    name: str  # its name in targets.yaml
    kind: str
    env: dict[str, str]  # variable -> connection field
    why: str
    settings: dict[str, str] = field(default_factory=dict)  # kind-specific keys, e.g. mariadb's scheme
    switches: tuple[str, ...] = ()  # variables the app must have set to use it at all (USE_REDIS)


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def source_text(app_dir: Path) -> dict[str, str]:
    """The app's importable .py files (as init's entry scan sees them): path -> text."""
    found = {}
    for _, path in modules(app_dir):
        try:
            found[path.relative_to(app_dir).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return found


def _where(texts: Mapping[str, str], needle: str) -> str | None:
    return next((path for path, text in sorted(texts.items()) if needle in text), None)


# A class or function named for tests: CTFd's TestingConfig reads TESTING_DATABASE_URL, which
# init wired as the database, and every target ran on SQLite beside a MariaDB it never used.
_TESTS = re.compile(r"test", re.IGNORECASE)
# An upper-case name the code mentions as a setting: CTFd reads AWS_S3_ENDPOINT_URL through its
# config.ini (EnvInterpolation: the environment first), never with os.getenv.
_SETTING = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def env_reads(texts: Mapping[str, str]) -> list[str]:
    """The variables the app reads from its environment, outside classes and functions named
    for tests (a file Python cannot parse: every read the text shows)."""
    found: set[str] = set()
    for text in texts.values():
        parsed = parsed_source(text)
        if parsed is None:
            found.update(READS.findall(text))
            continue
        tree, environ = parsed
        found.update(_reads(tree, False, environ))
    return sorted(found)


@lru_cache(maxsize=4096)
def parsed_source(text: str) -> tuple[ast.Module, frozenset[str]] | None:
    """(the file's tree, the names os.environ goes by in it), made once: init asks the same files
    for reads five times (the secret's, every read, the database's and Redis's settings), and
    parsing and walking each time took 2.3 s for CTFd's 197 files. None: Python cannot parse it."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    return tree, _environ_names(tree)


def _reads(node: ast.AST, in_tests: bool, environ: frozenset[str]) -> Iterator[str]:
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        in_tests = in_tests or bool(_TESTS.search(node.name))
    if not in_tests:
        name = _read_name(node, environ)
        if name is not None:
            yield name
    for child in ast.iter_child_nodes(node):
        yield from _reads(child, in_tests, environ)


def _environ_names(tree: ast.AST) -> frozenset[str]:
    """The names os.environ goes by in this module: `environ`, and an alias of it (dribdat's
    `os_env = os.environ`, through which every setting is read; `from os import environ as env`)."""
    names = {"environ"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_environ(node.value, frozenset(names)):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            names.update(alias.asname for alias in node.names if alias.name == "environ" and alias.asname)
    return frozenset(names)


def _read_name(node: ast.AST, environ: frozenset[str] = frozenset({"environ"})) -> str | None:
    """X of os.getenv("X"), os.environ.get("X"), os.environ["X"] (any module's environ, or an alias of it)."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute | ast.Name):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id
        on_environ = called == "get" and isinstance(func, ast.Attribute) and _is_environ(func.value, environ)
        argument = node.args[0]
        named = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
        if (called == "getenv" or on_environ) and named:
            return str(argument.value)
    if isinstance(node, ast.Subscript) and _is_environ(node.value, environ):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return None


def assigned_reads(texts: Mapping[str, str], settings: frozenset[str]) -> list[str]:
    """The variables whose value the app puts in one of `settings`, outside tests:
    `SQLALCHEMY_DATABASE_URI = os.getenv("DB_URI", default)`, `app.config["REDIS_URL"] =
    os.environ["X"]`, `app.config.update(REDIS_URL=...)`, `{"REDIS_URL": ...}`."""
    found: list[str] = []
    for text in texts.values():
        parsed = parsed_source(text)
        if parsed is None:
            continue
        tree, environ = parsed
        found.extend(name for value in _setting_values(tree, settings, False) for name in _url_reads(value, environ))
    return _unique(found)


def _setting_values(node: ast.AST, settings: frozenset[str], in_tests: bool) -> Iterator[ast.AST]:
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        in_tests = in_tests or bool(_TESTS.search(node.name))
    if not in_tests:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_setting_name(target) in settings for target in targets):
                yield node.value
        elif isinstance(node, ast.Call):
            yield from (k.value for k in node.keywords if k.arg in settings)
        elif isinstance(node, ast.Dict):
            yield from (v for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant) and k.value in settings)
    for child in ast.iter_child_nodes(node):
        yield from _setting_values(child, settings, in_tests)


def _setting_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return str(target.slice.value)
    return None


def _url_reads(value: ast.AST, environ: frozenset[str]) -> Iterator[str]:
    """Reads that are the value itself, not parts of it: the read, its default (another read),
    a method on it (`.replace("postgres://", ...)`), either side of `or`, either branch of an
    if-expression. An f-string's parts (DB_USER, DB_HOST) and a condition (USE_DB) are not URLs."""
    name = _read_name(value, environ)
    if name is not None:
        yield name
        if isinstance(value, ast.Call) and len(value.args) > 1:
            yield from _url_reads(value.args[1], environ)
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        yield from _url_reads(value.func.value, environ)
        if value.func.attr == "from_url" and value.args:  # redis.from_url(os.getenv("X"))
            yield from _url_reads(value.args[0], environ)
    elif isinstance(value, ast.BoolOp):
        for operand in value.values:
            yield from _url_reads(operand, environ)
    elif isinstance(value, ast.IfExp):
        yield from _url_reads(value.body, environ)
        yield from _url_reads(value.orelse, environ)


def _unique(*groups: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(name for group in groups for name in group))


def _is_environ(node: ast.AST, names: frozenset[str] = frozenset({"environ"})) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (isinstance(node, ast.Name)
                                                                             and node.id in names)


def _s3_credentials(reads: Iterable[str]) -> dict[str, str]:
    """S3 keys the app reads under names of its own (dribdat's S3_KEY and S3_SECRET), beside the
    AWS_* names boto3 reads by itself: the app passes these to boto3, and without them it has none."""
    found: dict[str, str] = {}
    for name in reads:
        if "S3" not in name or name in AWS_VARIABLES or _NOT_A_CREDENTIAL.search(name):
            continue
        if "SECRET" in name:
            found[name] = "secret_key"
        elif name.endswith(("_KEY", "_KEY_ID", "_ACCESS_KEY")):
            found[name] = "access_key"
    return found


# A key that encrypts what is stored, not one that signs requests: zou's FS_S3_AES256_KEY was
# given the access key.
_NOT_A_CREDENTIAL = re.compile(r"AES|ENCRYPT|KMS|SSE|CUSTOMER")


def _is_bucket(name: str) -> bool:
    """A variable that holds a bucket's name, not a part of names (zou's FS_BUCKET_PREFIX, to
    which it adds its own: given the bucket, it would have asked for `<bucket>thumbnails`) nor a
    switch (FS_S3_CREATE_BUCKET)."""
    return "BUCKET" in name and not re.search(r"PREFIX|SUFFIX|CREATE", name)


def _s3_settings(texts: Mapping[str, str], part: str) -> list[str]:
    """Upper-case S3 setting names the code mentions that contain `part` (AWS_S3_BUCKET). Only
    S3's or AWS's own: an OAUTH_TOKEN_ENDPOINT given the S3 endpoint would break the app."""
    return sorted({name for text in texts.values() for name in _SETTING.findall(text)
                   if part in name and ("S3" in name or name.startswith("AWS_"))})


def detect(distributions: Iterable[str], texts: Mapping[str, str]) -> list[Service]:
    installed = {normalise(d) for d in distributions}
    reads = env_reads(texts)
    found: list[Service] = []
    setting = next((s for s in ("SQLALCHEMY_DATABASE_URI", "DATABASE_URL") if _where(texts, s)), None)
    database = _database(installed, texts)
    if database and setting:
        kind, driver = database
        names = _unique(assigned_reads(texts, DATABASE_SETTINGS), [v for v in reads if _database_variable(v)])
        parts = {} if names else _parts(reads, _DATABASE_PART)
        extra = {"scheme": MYSQL_DRIVERS[driver]} if kind == "mariadb" else {}
        found.append(Service("db", kind, parts or {v: "url" for v in names or ["DATABASE_URL"]},
                             f"{driver} is a dependency and {_where(texts, setting)} names {setting}"
                             + _built_from(parts), extra))
    client = next((c for c in REDIS_CLIENTS if c in installed), None)
    if client:
        names = _unique(assigned_reads(texts, REDIS_SETTINGS), [v for v in reads if _redis_variable(v)])
        parts = {} if names else _parts(reads, _REDIS_PART)
        switches = tuple(v for v in reads if _SWITCH.match(v) and "REDIS" in v)
        found.append(Service("cache", "redis", parts or {v: "url" for v in names or ["REDIS_URL"]},
                             f"{client} is a dependency" + _built_from(parts) + _on(switches), switches=switches))
    endpoint = next((v for v in reads if "ENDPOINT" in v), None)
    if "boto3" in installed and (endpoint or _where(texts, "endpoint_url")):
        # Read from the environment, else named as settings (which a config file may take from
        # it), else the usual names.
        endpoints = [endpoint] if endpoint else _s3_settings(texts, "ENDPOINT") or ["S3_ENDPOINT_URL"]
        env = {**{name: "endpoint" for name in endpoints}, **AWS_VARIABLES, **_s3_credentials(reads)}
        env.update({v: "region" for v in _s3_settings(texts, "REGION")})
        env.update({v: "bucket" for v in reads if _is_bucket(v)}
                   or {v: "bucket" for v in _s3_settings(texts, "BUCKET") if _is_bucket(v)} or {"S3_BUCKET": "bucket"})
        how = f"reads {endpoint}" if endpoint else f"{_where(texts, 'endpoint_url')} sets endpoint_url"
        switches = tuple(v for v in reads if _SWITCH.match(v) and "S3" in v)
        found.append(Service("files", "s3", env, f"boto3 is a dependency and the app {how}" + _on(switches),
                             switches=switches))
    return found


# A variable named for a config's own database (flask-base's DevelopmentConfig reads
# DEV_DATABASE_URL, the config its factory runs by default) or a Heroku add-on's Redis
# (REDISTOGO_URL, REDISCLOUD_URL): wired too, or the app runs on its default (SQLite,
# localhost:6379) while smoke starts the services it never uses.
_DATABASE_NAMED = re.compile(r"^(?:[A-Z0-9]+_)?(?:DATABASE|DB)_(?:URL|URI)$")
_REDIS_NAMED = re.compile(r"^REDIS[A-Z0-9]*_UR[LI]$")


# The parts an app builds its connection URL from, where it reads no URL (zou: DB_HOST, DB_PORT,
# DB_USERNAME, DB_PASSWORD, DB_DATABASE and KV_HOST, KV_PORT, KV_PASSWORD): wired part by part,
# or the app never reads the DATABASE_URL it is given and smoke finds no server at its default.
# libpq's own PGHOST ... too. The last group is the part; a host among them is required.
_DATABASE_PART = re.compile(r"^(?:(?:[A-Z0-9]+_)?(?:DB|DATABASE|POSTGRES|POSTGRESQL|PG|MYSQL|MARIADB)_|PG)"
                            r"(HOST|HOSTNAME|SERVER|PORT|USER|USERNAME|PASSWORD|PASS|NAME|DATABASE|DB)$")
_REDIS_PART = re.compile(r"^(?:[A-Z0-9]+_)?(?:REDIS|KV|CACHE_REDIS)_(HOST|HOSTNAME|PORT|PASSWORD|PASS)$")
_PART_FIELDS = {"HOST": "host", "HOSTNAME": "host", "SERVER": "host", "PORT": "port", "USER": "user",
                "USERNAME": "user", "PASSWORD": "password", "PASS": "password", "NAME": "database",
                "DATABASE": "database", "DB": "database"}


def _parts(reads: Iterable[str], pattern: re.Pattern[str]) -> dict[str, str]:
    """Variable -> connection field, for the parts the app reads (the first of each field), or {}
    when none of them is a host: a lone DB_NAME or REDIS_PORT is no connection."""
    found: dict[str, str] = {}
    for name in reads:
        if (match := pattern.match(name)) and _PART_FIELDS[match[1]] not in found.values():
            found[name] = _PART_FIELDS[match[1]]
    return found if "host" in found.values() else {}


def _built_from(parts: Mapping[str, str]) -> str:
    return f"; the app reads no URL but its parts: {', '.join(parts)}" if parts else ""


# A variable that turns a service on (flask-shop's USE_REDIS: without it, the app never used the
# Redis it was given, and smoke said so): set to "true" where the service is wired.
_SWITCH = re.compile(r"^(?:USE|ENABLE)_[A-Z0-9_]+$|^[A-Z0-9_]+_ENABLED$")


def _on(switches: tuple[str, ...]) -> str:
    return f"; it turns it on with {', '.join(switches)}, set under environments" if switches else ""


def _database_variable(name: str) -> bool:
    return name in DATABASE_VARIABLES or bool(_DATABASE_NAMED.match(name))


def _redis_variable(name: str) -> bool:
    return name in REDIS_VARIABLES or bool(_REDIS_NAMED.match(name))


def _database(installed: set[str], texts: Mapping[str, str]) -> tuple[str, str] | None:
    """(kind, driver) of the app's database server, by its driver; with drivers of both, by the
    scheme its code names (CTFd installs PyMySQL, and psycopg2 as an extra, and says mysql+pymysql)."""
    postgres = next((d for d in POSTGRES_DRIVERS if d in installed), None)
    mysql = next((d for d in MYSQL_DRIVERS if d in installed), None)
    if postgres and mysql:
        says_mysql = _where(texts, "mysql") and not _where(texts, "postgres")
        return ("mariadb", mysql) if says_mysql else ("postgres", postgres)
    return ("postgres", postgres) if postgres else ("mariadb", mysql) if mysql else None


def flask_command(entry: str, args: str, version: str) -> str:
    """`flask <args>` for the app `entry`, as a shell line: `flask --app` from Flask 2.2 on,
    FLASK_APP before it (CTFd pins Flask 2.1.3, whose flask said "No such option: --app")."""
    try:
        has_app_option = not version or Version(version) >= Version("2.2")
    except InvalidVersion:
        has_app_option = True
    app = shlex.quote(entry)
    return f"flask --app {app} {args}" if has_app_option else f"FLASK_APP={app} flask {args}"


def release(distributions: Iterable[str], app_dir: Path, entry: str, flask_version: str = "") -> str | None:
    """`flask db upgrade` when Flask-Migrate is installed and the app has its migrations folder."""
    args = release_args(distributions, app_dir)
    return flask_command(entry, args, flask_version) if args else None


def release_args(distributions: Iterable[str], app_dir: Path) -> str | None:
    """release()'s `flask` arguments: `--directory` names a folder inside a package (zou's
    zou/migrations), which `flask db` would not find."""
    folder = migrations_folder(app_dir)
    if "flask-migrate" not in {normalise(d) for d in distributions} or folder is None:
        return None
    return "db upgrade" if folder == "migrations" else f"db upgrade --directory {shlex.quote(folder)}"


def migrations_folder(app_dir: Path) -> str | None:
    """The app's Alembic folder for Flask-Migrate: migrations/ at its top, else the one
    `<package>/migrations` (or one level deeper) that holds an env.py; none where there are several."""
    if (app_dir / "migrations" / "env.py").is_file():
        return "migrations"
    found = sorted({path.parent.relative_to(app_dir).as_posix() for pattern in ("*/migrations/env.py",
                                                                              "*/*/migrations/env.py")
                    for path in app_dir.glob(pattern) if not _under_skipped(app_dir, path.parent.parent)})
    return found[0] if len(found) == 1 else None


def _under_skipped(app_dir: Path, folder: Path) -> bool:
    """Whether `folder` is in one the entry scan passes over (a test suite's, a virtualenv's)."""
    parts = folder.relative_to(app_dir).parts
    return any(skipped(app_dir.joinpath(*parts[:i]), part, i == 0) for i, part in enumerate(parts))

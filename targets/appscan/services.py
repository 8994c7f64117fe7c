"""Which services an app talks to, from its dependencies and its configuration.

Pure functions of (installed distributions, the app's source text), so they
are tested without a venv:
  postgres  psycopg or psycopg2 installed, and the code names SQLALCHEMY_DATABASE_URI or DATABASE_URL;
  mariadb   PyMySQL, mysqlclient or mysql-connector installed, and the same; with a Postgres
            driver too, the one whose scheme (mysql, postgres) the code names, else postgres;
  redis     redis, rq or celery installed;
  s3        boto3 installed, and the code sets an endpoint (endpoint_url, or reads a *ENDPOINT* variable).
Each variable the app reads (os.environ[...], .get(...), os.getenv(...)) that is
known to hold a connection, or is named like one (DEV_DATABASE_URL, REDISTOGO_URL), is
wired to it; otherwise the platform's usual name.
Flask-Migrate with a migrations/ folder means the release step runs `flask db upgrade`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .candidates import modules

READS = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|getenv\()\s*["']([A-Z_][A-Z0-9_]*)["']""")
POSTGRES_DRIVERS = ("psycopg", "psycopg-binary", "psycopg2", "psycopg2-binary")
# A MySQL driver and the URL scheme SQLAlchemy loads it by (mysql:// alone means mysqlclient).
MYSQL_DRIVERS = {"pymysql": "mysql+pymysql", "mysqlclient": "mysql", "mysql-connector-python": "mysql+mysqlconnector"}
REDIS_CLIENTS = ("redis", "rq", "celery")
DATABASE_VARIABLES = ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "POSTGRES_URL", "POSTGRESQL_URL", "DB_URL")
REDIS_VARIABLES = ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "RQ_REDIS_URL", "CACHE_REDIS_URL")
AWS_VARIABLES = {"AWS_ACCESS_KEY_ID": "access_key", "AWS_SECRET_ACCESS_KEY": "secret_key", "AWS_DEFAULT_REGION": "region"}


@dataclass(frozen=True)
class Service:
    name: str  # its name in targets.yaml
    kind: str
    env: dict[str, str]  # variable -> connection field
    why: str
    settings: dict[str, str] = field(default_factory=dict)  # kind-specific keys, e.g. mariadb's scheme


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


def detect(distributions: Iterable[str], texts: Mapping[str, str]) -> list[Service]:
    installed = {normalise(d) for d in distributions}
    reads = sorted({name for text in texts.values() for name in READS.findall(text)})
    found: list[Service] = []
    setting = next((s for s in ("SQLALCHEMY_DATABASE_URI", "DATABASE_URL") if _where(texts, s)), None)
    database = _database(installed, texts)
    if database and setting:
        kind, driver = database
        names = [v for v in reads if _database_variable(v)] or ["DATABASE_URL"]
        extra = {"scheme": MYSQL_DRIVERS[driver]} if kind == "mariadb" else {}
        found.append(Service("db", kind, {v: "url" for v in names},
                             f"{driver} is a dependency and {_where(texts, setting)} names {setting}", extra))
    client = next((c for c in REDIS_CLIENTS if c in installed), None)
    if client:
        names = [v for v in reads if _redis_variable(v)] or ["REDIS_URL"]
        found.append(Service("cache", "redis", {v: "url" for v in names}, f"{client} is a dependency"))
    endpoint = next((v for v in reads if "ENDPOINT" in v), None)
    if "boto3" in installed and (endpoint or _where(texts, "endpoint_url")):
        env = {endpoint or "S3_ENDPOINT_URL": "endpoint", **AWS_VARIABLES}
        env.update({v: "bucket" for v in reads if "BUCKET" in v} or {"S3_BUCKET": "bucket"})
        how = f"reads {endpoint}" if endpoint else f"{_where(texts, 'endpoint_url')} sets endpoint_url"
        found.append(Service("files", "s3", env, f"boto3 is a dependency and the app {how}"))
    return found


# A variable named for a config's own database (flask-base's DevelopmentConfig reads
# DEV_DATABASE_URL, the config its factory runs by default) or a Heroku add-on's Redis
# (REDISTOGO_URL, REDISCLOUD_URL): wired too, or the app runs on its default (SQLite,
# localhost:6379) while smoke starts the services it never uses.
_DATABASE_NAMED = re.compile(r"^(?:[A-Z0-9]+_)?DATABASE_(?:URL|URI)$")
_REDIS_NAMED = re.compile(r"^REDIS[A-Z0-9]*_URL$")


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
    if "flask-migrate" in {normalise(d) for d in distributions} and (app_dir / "migrations" / "env.py").is_file():
        return flask_command(entry, "db upgrade", flask_version)
    return None

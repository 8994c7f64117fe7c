"""Services without Docker: the manifest keys, the wiring per platform, the compose
file a person runs, the check list's order and saved values, and init's detection."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests
import yaml

from targets import manifest
from targets.appscan import services as scan
from targets.commands.build import render_only
from targets.errors import ManifestError
from targets.manifest import Check
from targets.services import SERVICES, wiring
from targets.services.kinds import behaviour, generate
from targets.smoke import conformance
from tests.helpers import REPO, copy_demo

BASE = {"targets": {"dyno": {"kind": "heroku", "app": "x"}, "run": {"kind": "cloudrun", "service_id": "x",
                                                                     "region": "us-central1"}}}


def _parse(**extra: object) -> manifest.Manifest:
    return manifest.parse({**BASE, **extra})


@pytest.mark.parametrize(("extra", "message"), [
    ({"services": {"db": {"kind": "mysql"}}},
     "services.db.kind: unknown kind 'mysql' (did you mean 'mariadb'? choose from: mariadb, postgres, redis, s3)"),
    ({"services": {"db": {"kind": "PostgreSQL"}}}, "services.db.kind: unknown kind 'PostgreSQL' (did you mean 'postgres'? "),
    ({"services": {"db": {"kind": "cassandra"}}},
     "services.db.kind: unknown kind 'cassandra' (choose from: mariadb, postgres, redis, s3)"),
    ({"services": {"db": {"kind": "mariadb", "scheme": "mysql+bad"}}}, "services.db.scheme: expected one of 'mysql', "),
    ({"services": {"db": {"kind": "postgres", "version": 15}}}, "services.db.version: expected a string, got 15"),
    ({"services": {"db": {"kind": "postgres", "env": {"DB": "uri"}}}}, "services.db.env.DB: expected one of 'url', 'host', 'port', 'user', 'password' or 'database', got 'uri'"),
    ({"defaults": {"services": ["db"]}}, "defaults.services: no service named 'db' in `services` (none declared)"),
    ({"services": {"a": {"kind": "redis"}, "b": {"kind": "redis"}}, "defaults": {"services": ["a", "b"]}},
     "services.b.env.REDIS_URL: services a and b both set REDIS_URL for target dyno; rename one"),
    ({"services": {"db": {"kind": "postgres", "settings": {"shared_buffers": "1; DROP"}}}}, "services.db.settings.shared_buffers"),
])
def test_bad_services_are_one_line_naming_the_key(extra: dict, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        _parse(**extra)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_target_list_overrides_the_defaults() -> None:
    m = _parse(services={"db": {"kind": "postgres"}, "cache": {"kind": "redis"}}, defaults={"services": ["db", "cache"]})
    m = manifest.parse({**BASE, "services": {"db": {"kind": "postgres"}, "cache": {"kind": "redis"}},
                        "defaults": {"services": ["db", "cache"]},
                        "targets": {**BASE["targets"], "run": {**BASE["targets"]["run"], "services": []}}})
    assert list(m.services_of("dyno")) == ["db", "cache"] and m.services_of("run") == {}


def _wired(m: manifest.Manifest, name: str, host: str = "") -> wiring.Wired:
    settings = m.services[name]
    kind = behaviour(settings.kind)
    fields = kind.fields(host or name, kind.port, settings, {"password": "pw", "access_key": "ak", "secret_key": "sk"})
    return wiring.Wired(name, settings, fields, kind.heroku(fields))


def test_heroku_gets_what_its_add_ons_set_and_the_others_get_the_manifest_names() -> None:
    m = _parse(services={"db": {"kind": "postgres", "env": {"DATABASE_URL": "url", "PGHOST": "host"}},
                         "old": {"kind": "postgres", "database": "legacy", "env": {"LEGACY_DB": "url"}},
                         "cache": {"kind": "redis"}, "files": {"kind": "s3", "bucket": "up-loads"}})
    services = [_wired(m, n) for n in ("db", "old", "cache", "files")]
    elsewhere = wiring.declared(services)
    assert elsewhere["DATABASE_URL"] == "postgresql://app:pw@db:5432/app" and elsewhere["PGHOST"] == "db"
    assert elsewhere["REDIS_URL"] == "redis://:pw@cache:6379/0"
    assert elsewhere["S3_ENDPOINT_URL"] == "http://files:5000" and elsewhere["S3_BUCKET"] == "up-loads"
    assert elsewhere["AWS_ACCESS_KEY_ID"] == "ak" and elsewhere["AWS_SECRET_ACCESS_KEY"] == "sk"
    heroku = wiring.heroku(services)
    assert heroku["DATABASE_URL"] == "postgres://app:pw@db:5432/app"  # the add-on's, not the manifest's form
    assert heroku["HEROKU_POSTGRESQL_OLD_URL"] == "postgres://app:pw@old:5432/legacy"  # a second one: attached
    assert heroku["LEGACY_DB"] == "postgresql://app:pw@old:5432/legacy"  # a config var as named
    assert heroku["REDIS_URL"] == "redis://:pw@cache:6379" and heroku["S3_ENDPOINT_URL"] == "http://files:5000"


def test_mariadb_is_reached_by_the_scheme_the_app_needs_and_heroku_sets_jawsdbs() -> None:
    m = _parse(services={"db": {"kind": "mariadb", "scheme": "mysql+pymysql", "env": {"DATABASE_URL": "url",
                                                                                    "DB_USER": "user"}}})
    services = [_wired(m, "db")]
    assert wiring.declared(services) == {"DATABASE_URL": "mysql+pymysql://app:pw@db:3306/app", "DB_USER": "app"}
    heroku = wiring.heroku(services)
    assert heroku["JAWSDB_MARIA_URL"] == "mysql://app:pw@db:3306/app"  # the add-on's: mysql:// always
    assert heroku["DATABASE_URL"] == "mysql+pymysql://app:pw@db:3306/app"  # a config var as named
    # Server options reach mariadbd as --name=value: in smoke (after its throwaway ones) and in compose.
    db = _parse(services={"db": {"kind": "mariadb", "settings": {"character_set_server": "utf8mb4"}}}).services["db"]
    creds = {"password": "pw", "root_password": "rpw"}
    start = behaviour("mariadb").start(db, creds)
    assert start.command is not None and start.command[0] == "mariadbd"
    assert start.command[-1] == "--character_set_server=utf8mb4"
    assert behaviour("mariadb").compose("db", db, creds)["command"] == ["mariadbd", "--character_set_server=utf8mb4"]
    assert start.environment["MARIADB_ROOT_PASSWORD"] == "rpw" and start.environment["MARIADB_PASSWORD"] == "pw"
    with pytest.raises(ManifestError, match="services.db.settings.character_set_server"):
        _parse(services={"db": {"kind": "mariadb", "settings": {"character_set_server": "x; DROP"}}})


def test_credentials_are_fresh_hex_each_time() -> None:
    first, second = generate(behaviour("s3")), generate(behaviour("s3"))
    assert set(first) == {"access_key", "secret_key"} and first != second
    assert all(len(v) == 32 and int(v, 16) >= 0 for v in first.values())


def test_every_service_kind_has_its_module_stand_in_and_readme_row() -> None:
    readme = (REPO / "README.md").read_text()
    for name in SERVICES:
        kind = behaviour(name)
        settings = SERVICES[name].settings(kind=name)
        recipe = kind.standin(settings)
        assert (REPO / "targets/services/templates" / recipe["template"].removeprefix("services/")).is_file()
        assert f"| `{name}` |" in readme, f"README has no row for service kind {name}"


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # rendering needs no engine
    root = copy_demo(tmp_path / "p")
    raw = yaml.safe_load((root / "targets.yaml").read_text())
    raw["services"] = {"db": {"kind": "postgres", "settings": {"max_connections": "20"}}, "cache": {"kind": "redis"},
                       "files": {"kind": "s3", "bucket": "uploads"}}
    raw["defaults"]["services"] = ["db", "cache", "files"]
    raw["app"]["release"] = "flask db upgrade"
    (root / "targets.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    render_only(manifest.load(root / "targets.yaml"), "compose", tmp_path / "out")
    return tmp_path / "out"


def test_the_compose_file_declares_healthy_services_web_waits_for(stack: Path) -> None:
    compose = yaml.safe_load((stack / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("db", "cache", "files"):
        assert services["web"]["depends_on"][name] == {"condition": "service_healthy"}
        assert services["release"]["depends_on"][name] == {"condition": "service_healthy"}
        assert "test" in services[name]["healthcheck"]
    assert services["web"]["depends_on"]["files-init"] == {"condition": "service_completed_successfully"}
    assert services["db"]["image"] == "${FLASKSHIP_DB_IMAGE:-postgres:15}"
    assert services["db"]["command"] == ["postgres", "-c", "max_connections=20"]
    assert any(e.startswith("DATABASE_URL=postgresql://app:${FLASKSHIP_DB_PASSWORD:?") for e in services["web"]["environment"])
    result = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(stack / "docker-compose.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_itself_reads_the_file_and_refuses_it_without_the_credentials(stack: Path) -> None:
    command = ["docker-compose", "--project-directory", str(stack), "-f", str(stack / "docker-compose.yml"), "config"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLASKSHIP_")}
    refused = subprocess.run(command, capture_output=True, text=True, env=clean)
    assert refused.returncode != 0 and "export FLASKSHIP_" in refused.stderr
    secrets = {f"FLASKSHIP_{v}": "0123abcd" for v in ("DB_PASSWORD", "CACHE_PASSWORD", "FILES_ACCESS_KEY", "FILES_SECRET_KEY")}
    config = subprocess.run(command, capture_output=True, text=True, env={**clean, **secrets})
    assert config.returncode == 0, config.stderr
    resolved = yaml.safe_load(config.stdout)["services"]
    assert resolved["web"]["environment"]["DATABASE_URL"] == "postgresql://app:0123abcd@db:5432/app"
    assert resolved["cache"]["command"] == ["redis-server", "--requirepass", "0123abcd"]


class _Response(requests.Response):
    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        super().__init__()
        self.status_code, self._content = 200, body
        self.headers.update(headers)


def test_checks_save_values_for_the_checks_after_them() -> None:
    check = Check.model_validate({"path": "/notes", "save": {"ID": "json:notes.1.id", "TOKEN": "header:X-Token",
                                                            "CSRF": 'body:name="csrf" value="(\\w+)"', "NONE": "json:x"}})
    response = _Response(b'{"notes": [{"id": 1}, {"id": 7}]} name="csrf" value="abc123"', {"X-Token": "t0"})
    saved, missing = conformance.extract(check, _Response(response.content.split(b" name")[0], {"X-Token": "t0"}))
    assert saved == {"ID": "7", "TOKEN": "t0"} and missing == ["nothing to save as CSRF from body:name=\"csrf\" value=\"(\\w+)\"",
                                                                "nothing to save as NONE from json:x"]
    more, _ = conformance.extract(check, response)  # the body is no longer JSON: ID is not in it
    assert more == {"TOKEN": "t0", "CSRF": "abc123"}
    saved.update(more)
    nxt = Check.model_validate({"path": "/notes/${ID}", "json": {"n": "${ID}"}, "send_headers": {"X-CSRFToken": "${CSRF}"}})
    assert conformance.expand(nxt.path, saved) == "/notes/7"
    assert conformance.expand_all(nxt.json_body, saved) == {"n": "7"}


def test_an_app_that_builds_its_urls_from_parts_gets_the_parts_wired() -> None:
    # zou reads DB_HOST ... DB_DATABASE and KV_HOST, KV_PORT, KV_PASSWORD, never a URL: wired with
    # DATABASE_URL and REDIS_URL, it ran on its localhost defaults and smoke found no server.
    zou = {"zou/app/config.py":
           'DATABASE = {"host": os.getenv("DB_HOST", "localhost"), "port": os.getenv("DB_PORT", "5432"),\n'
           '    "username": os.getenv("DB_USERNAME", "postgres"), "password": os.getenv("DB_PASSWORD", "x"),\n'
           '    "database": os.getenv("DB_DATABASE", "zoudb"), "pool": os.getenv("DB_POOL_SIZE", "30")}\n'
           'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://%(username)s@%(host)s" % DATABASE\n'
           'KEY_VALUE_STORE = {"host": os.getenv("KV_HOST", "localhost"), "port": os.getenv("KV_PORT", "6379"),\n'
           '    "password": os.getenv("KV_PASSWORD", None)}\nDEBUG_HOST = os.getenv("DEBUG_HOST")\n'}
    found = {s.kind: s for s in scan.detect(["psycopg", "redis"], zou)}
    assert found["postgres"].env == {"DB_HOST": "host", "DB_PORT": "port", "DB_USERNAME": "user",
                                     "DB_PASSWORD": "password", "DB_DATABASE": "database"}
    assert found["postgres"].why.endswith("; the app reads no URL but its parts: DB_DATABASE, DB_HOST, DB_PASSWORD, "
                                          "DB_PORT, DB_USERNAME")
    assert found["redis"].env == {"KV_HOST": "host", "KV_PORT": "port", "KV_PASSWORD": "password"}
    # libpq's own names are parts too; a URL read wins over parts; parts without a host are no connection.
    libpq = {"db.py": 'SQLALCHEMY_DATABASE_URI = "x"\nH = os.environ["PGHOST"]\nD = os.environ["PGDATABASE"]\n'}
    assert scan.detect(["psycopg2"], libpq)[0].env == {"PGHOST": "host", "PGDATABASE": "database"}
    both = {"db.py": 'SQLALCHEMY_DATABASE_URI = os.getenv("DATABASE_URL")\nH = os.getenv("DB_HOST")\n'}
    assert scan.detect(["psycopg2"], both)[0].env == {"DATABASE_URL": "url"}
    # Its S3 settings: an encryption key is no credential, a bucket prefix no bucket.
    s3 = {"config.py": 'E = os.getenv("FS_S3_ENDPOINT")\nA = os.getenv("FS_S3_ACCESS_KEY")\n'
                       'S = os.getenv("FS_S3_SECRET_KEY")\nK = os.getenv("FS_S3_AES256_KEY")\n'
                       'P = os.getenv("FS_BUCKET_PREFIX", "")\nC = os.getenv("FS_S3_CREATE_BUCKET")\n'}
    (files,) = scan.detect(["boto3"], s3)
    assert {n: f for n, f in files.env.items() if n.startswith(("FS_", "S3_"))} == {
        "FS_S3_ENDPOINT": "endpoint", "FS_S3_ACCESS_KEY": "access_key", "FS_S3_SECRET_KEY": "secret_key",
        "S3_BUCKET": "bucket"}
    hostless = {"db.py": 'SQLALCHEMY_DATABASE_URI = "x"\nN = os.getenv("DB_NAME")\nR = os.getenv("REDIS_PORT")\n'}
    assert [s.env for s in scan.detect(["psycopg2", "redis"], hostless)] == [{"DATABASE_URL": "url"}, {"REDIS_URL": "url"}]


def test_init_detects_services_only_with_driver_and_setting(tmp_path: Path) -> None:
    texts = {"app.py": 'app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["SQLALCHEMY_DATABASE_URI"]\n'
                       'celery = Celery(broker=os.getenv("CELERY_BROKER_URL"))\n'
                       's3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))\n'
                       'BUCKET = os.environ["MEDIA_BUCKET"]\n'}
    found = {s.kind: s for s in scan.detect(["psycopg2-binary", "Celery", "boto3"], texts)}
    assert found["postgres"].env == {"SQLALCHEMY_DATABASE_URI": "url"}
    assert "psycopg2-binary is a dependency and app.py names SQLALCHEMY_DATABASE_URI" == found["postgres"].why
    assert found["redis"].env == {"CELERY_BROKER_URL": "url"} and "celery" in found["redis"].why
    assert found["s3"].env["AWS_ENDPOINT_URL"] == "endpoint" and found["s3"].env["MEDIA_BUCKET"] == "bucket"
    assert scan.detect(["psycopg2"], {"app.py": "print(1)"}) == []  # a driver alone names no database
    # A MySQL driver: MariaDB, with the scheme SQLAlchemy loads that driver by.
    config = {"config.py": 'SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "mysql+pymysql://x@db/x")\n'}
    (db,) = scan.detect(["PyMySQL"], config)
    assert (db.kind, db.settings, db.env) == ("mariadb", {"scheme": "mysql+pymysql"}, {"DATABASE_URL": "url"})
    assert scan.detect(["mysqlclient"], config)[0].settings == {"scheme": "mysql"}
    # Drivers of both (CTFd's psycopg2 extra): the scheme the code names decides; else postgres.
    assert scan.detect(["pymysql", "psycopg2-binary"], config)[0].kind == "mariadb"
    assert scan.detect(["pymysql", "psycopg2-binary"], {"app.py": "DATABASE_URL = 1"})[0].kind == "postgres"
    assert scan.detect(["boto3"], {"app.py": "boto3.client('s3')"}) == []  # AWS itself, no endpoint: not ours to run
    # flask-base: each config reads its own database variable, and Redis by its Heroku add-on's
    # name; every one is wired, or the default config runs on SQLite and localhost:6379.
    flask_base = {"config.py": 'SQLALCHEMY_DATABASE_URI = os.environ.get("DEV_DATABASE_URL")\n'
                               'PROD = os.environ.get("DATABASE_URL")\nTEST = os.getenv("TEST_DATABASE_URL")\n'
                               'REDIS_URL = os.getenv("REDISTOGO_URL", "http://localhost:6379")\n'
                               'MAIL = os.getenv("MAIL_SERVER_URL")\n'}
    found = {s.kind: s for s in scan.detect(["psycopg2", "rq"], flask_base)}
    assert found["postgres"].env == {"DATABASE_URL": "url", "DEV_DATABASE_URL": "url", "TEST_DATABASE_URL": "url"}
    assert found["redis"].env == {"REDISTOGO_URL": "url"}
    # CTFd: TestingConfig's TESTING_DATABASE_URL is no deploy's database (every target ran on SQLite
    # beside the MariaDB it was given); its S3 settings come through config.ini, named as settings.
    ctfd = {"CTFd/config.py": 'class ServerConfig:\n    DATABASE_URL = process(config_ini["server"]["DATABASE_URL"])\n'
                              '    AWS_S3_BUCKET = config_ini["uploads"]["AWS_S3_BUCKET"]\n'
                              '    AWS_S3_ENDPOINT_URL = config_ini["uploads"]["AWS_S3_ENDPOINT_URL"]\n'
                              '    AWS_S3_REGION = config_ini["uploads"]["AWS_S3_REGION"]\n'
                              '    OAUTH_TOKEN_ENDPOINT = "https://auth.example/token"\n'
                              'class TestingConfig(ServerConfig):\n'
                              '    SQLALCHEMY_DATABASE_URI = os.getenv("TESTING_DATABASE_URL") or "sqlite://"\n',
            "CTFd/utils/uploads/uploaders.py": 'boto3.client("s3", endpoint_url=endpoint)\n'}
    found = {s.kind: s for s in scan.detect(["pymysql", "boto3"], ctfd)}
    assert found["mariadb"].env == {"DATABASE_URL": "url"}
    s3 = {name: field for name, field in found["s3"].env.items() if field not in ("access_key", "secret_key")}
    assert s3 == {"AWS_S3_ENDPOINT_URL": "endpoint", "AWS_DEFAULT_REGION": "region", "AWS_S3_REGION": "region",
                  "AWS_S3_BUCKET": "bucket"}
    # flask-shop: the variables are named for neither kind (DB_URI, REDIS_URI); what the app reads
    # them into says whose they are. Parts of a URL (DB_USER in an f-string) and switches are not URLs.
    shop = {"flaskshop/settings.py": 'class DBConfig:\n    user = os.getenv("DB_USER", "root")\n'
                                     '    db_uri = f"mysql+pymysql://{user}@{os.getenv(\'DB_HOST\')}/shop"\n'
                                     'class Config:\n    USE_REDIS = os.getenv("USE_REDIS", False)\n'
                                     '    REDIS_URL = os.getenv("REDIS_URI", "redis://localhost:6379")\n'
                                     '    SQLALCHEMY_DATABASE_URI = os.getenv("DB_URI", DBConfig.db_uri)\n'
                                     'class TestConfig(Config):\n    SQLALCHEMY_DATABASE_URI = os.getenv("TEST_DB")\n'}
    found = {s.kind: s for s in scan.detect(["pymysql", "redis"], shop)}
    assert found["mariadb"].env == {"DB_URI": "url"} and found["redis"].env == {"REDIS_URI": "url"}
    # Its Redis is used only with USE_REDIS set: smoke warned that the wired Redis was never used.
    assert found["redis"].switches == ("USE_REDIS",) and found["mariadb"].switches == ()
    assert found["redis"].why.endswith("; it turns it on with USE_REDIS, set under environments")
    # The same through app.config, a Heroku-style rewrite, `or` and config.update().
    inline = {"app.py": 'app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("PG", "").replace("postgres:", "x:")\n'
                        'app.config.update(REDIS_URL=os.getenv("CACHE_AT") or "redis://localhost")\n'}
    found = {s.kind: s for s in scan.detect(["psycopg2", "redis"], inline)}
    assert found["postgres"].env == {"PG": "url"} and found["redis"].env == {"CACHE_AT": "url"}
    # dribdat: read through an alias of os.environ, and S3's keys under names of its own.
    dribdat = {"dribdat/settings.py": "import os\nos_env = os.environ\nclass ProdConfig:\n"
                                      '    CACHE_REDIS_URL = os_env.get("CACHE_REDIS_URL", "")\n'
                                      '    S3_KEY = os_env.get("S3_KEY", None)\n    S3_SECRET = os_env.get("S3_SECRET")\n'
                                      '    S3_ENDPOINT = os_env.get("S3_ENDPOINT", None)\n'
                                      '    S3_BUCKET = os_env.get("S3_BUCKET", None)\n'}
    found = {s.kind: s for s in scan.detect(["redis", "boto3"], dribdat)}
    assert found["redis"].env == {"CACHE_REDIS_URL": "url"}
    assert {k: v for k, v in found["s3"].env.items() if k.startswith("S3_")} == {
        "S3_ENDPOINT": "endpoint", "S3_KEY": "access_key", "S3_SECRET": "secret_key", "S3_BUCKET": "bucket"}
    assert scan.env_reads({"a.py": "from os import environ as env\nX = env['ONE']\n"}) == ["ONE"]
    (tmp_path / "migrations").mkdir()
    assert scan.release(["Flask-Migrate"], tmp_path, "app:app") is None  # no env.py: not an Alembic folder
    (tmp_path / "migrations/env.py").write_text("")
    assert scan.release(["flask_migrate"], tmp_path, "app:app") == "flask --app app:app db upgrade"
    # Flask before 2.2 has no --app (CTFd pins 2.1.3): FLASK_APP names the app; quoted for the shell.
    assert scan.release(["flask_migrate"], tmp_path, "CTFd:create_app()", "2.1.3") == (
        "FLASK_APP='CTFd:create_app()' flask db upgrade")
    assert scan.flask_command("pkg:create_app('prod')", "init-db", "3.1.0") == (
        "flask --app 'pkg:create_app('\"'\"'prod'\"'\"')' init-db")


def test_a_migrations_folder_inside_the_package_is_named_to_flask_db(tmp_path: Path) -> None:
    # zou keeps its Alembic folder in zou/migrations, and its Migrate() names no directory:
    # `flask db upgrade` alone would look for ./migrations and fail.
    assert scan.release(["Flask-Migrate"], tmp_path, "app:app") is None  # no folder: no release
    (tmp_path / "zou/migrations").mkdir(parents=True)
    (tmp_path / "zou/migrations/env.py").write_text("")
    (tmp_path / "tests/migrations").mkdir(parents=True)  # a test suite's own: not the app's
    (tmp_path / "tests/migrations/env.py").write_text("")
    assert scan.release(["flask-migrate"], tmp_path, "zou.app:app", "3.1.3") == (
        "flask --app zou.app:app db upgrade --directory zou/migrations")
    assert scan.release(["flask"], tmp_path, "zou.app:app") is None  # no Flask-Migrate: not its folder
    (tmp_path / "other/migrations").mkdir(parents=True)  # two packages' folders: no guess
    (tmp_path / "other/migrations/env.py").write_text("")
    assert scan.migrations_folder(tmp_path) is None
    (tmp_path / "migrations").mkdir()  # the top one always wins, as `flask db` finds it
    (tmp_path / "migrations/env.py").write_text("")
    assert scan.release(["Flask-Migrate"], tmp_path, "app:app", "3.1.3") == "flask --app app:app db upgrade"

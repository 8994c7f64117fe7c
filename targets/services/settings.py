"""The services' keys in targets.yaml (pure data: the manifest imports these).

A service is a named server the app talks to: `services.db: {kind: postgres}`.
`env` maps the variables the app reads to what each one holds (a field of the
service's connection); cloudrun, functions and compose set exactly those, the
way a deploy with secrets would. heroku sets what its add-ons set instead.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ..fields import EnvVarName, ImageRef, Strict

# Quoted, like defaults.python: YAML reads `version: 7.0` as a number.
Version = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}(\.[0-9]{1,4}){0,2}$")]
# Database and user names flaskship creates (postgres, mariadb): unquoted-safe, so no quoting games in SQL or URLs.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]
# A server option (postgres' `-c name=value`, mariadbd's `--name=value`): letters, digits, `_` and `.`.
ConfigName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_.]{0,62}$")]
ConfigValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:+-]{1,64}$")]
# S3 bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), simplified.
Bucket = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
AwsRegion = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")]


class ServiceSettings(Strict):
    kind: str
    version: Version
    # Another image with the official one's interface (a mirror, a pinned digest).
    image: ImageRef | None = None
    env: dict[EnvVarName, str] = Field(default_factory=dict)


class SQLSettings(ServiceSettings):
    """What postgres and mariadb share: the database and user flaskship creates, server options."""

    database: Identifier = "app"
    user: Identifier = "app"
    # Server options: postgres -c name=value, e.g. {max_connections: "50"}; mariadbd
    # --name=value, e.g. {character_set_server: utf8mb4} (CTFd's compose file sets it).
    settings: dict[ConfigName, ConfigValue] = Field(default_factory=dict)
    env: dict[EnvVarName, Literal["url", "host", "port", "user", "password", "database"]] = Field(
        default_factory=lambda: {"DATABASE_URL": "url"})


class PostgresSettings(SQLSettings):
    kind: Literal["postgres"]
    version: Version = "15"


class MariaDBSettings(SQLSettings):
    kind: Literal["mariadb"]
    version: Version = "10.11"
    # The url's scheme, as the app's SQLAlchemy needs it: plain mysql:// loads mysqlclient
    # (MySQLdb); an app on PyMySQL needs mysql+pymysql://. What a Heroku add-on sets is mysql:// always.
    scheme: Literal["mysql", "mysql+pymysql", "mysql+mysqldb", "mysql+mysqlconnector", "mariadb",
                    "mariadb+pymysql", "mariadb+mysqldb", "mariadb+mysqlconnector"] = "mysql"


class RedisSettings(ServiceSettings):
    kind: Literal["redis"]
    version: Version = "7"
    env: dict[EnvVarName, Literal["url", "host", "port", "password"]] = Field(
        default_factory=lambda: {"REDIS_URL": "url"})


class S3Settings(ServiceSettings):
    kind: Literal["s3"]
    # moto's version: the S3-compatible server (see targets/services/s3.py for why moto).
    version: Version = "5.2.5"
    bucket: Bucket = "app"
    region: AwsRegion = "us-east-1"
    env: dict[EnvVarName, Literal["endpoint", "access_key", "secret_key", "region", "bucket"]] = Field(
        default_factory=lambda: {"S3_ENDPOINT_URL": "endpoint", "AWS_ACCESS_KEY_ID": "access_key",
                                 "AWS_SECRET_ACCESS_KEY": "secret_key", "AWS_DEFAULT_REGION": "region",
                                 "S3_BUCKET": "bucket"})

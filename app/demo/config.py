"""Configuration per APP_ENV, overridable from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEV_SECRET = "dev-only-not-secret"


class Config:
    APP_ENV = "production"
    SECRET_KEY = DEV_SECRET
    CACHE_CONTROL = "no-store"
    # How many reverse-proxy hops to trust for X-Forwarded-*: 0 everywhere but
    # behind our own nginx (compose), so clients cannot spoof scheme or IP.
    TRUST_PROXY_HOPS = 0
    JSON_SORT_KEYS = False
    # Shown by /api/greeting exactly as the environment gave it: the parity check
    # that a value reaches the app byte for byte on every platform.
    GREETING = "Hello from flaskship"


class DevelopmentConfig(Config):
    APP_ENV = "development"
    DEBUG = False  # the debugger must never be reachable from a container port


class StagingConfig(Config):
    APP_ENV = "staging"


class ProductionConfig(Config):
    APP_ENV = "production"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "staging": StagingConfig,
    "production": ProductionConfig,
}
OVERRIDABLE = ("SECRET_KEY", "CACHE_CONTROL", "TRUST_PROXY_HOPS", "GREETING")


def load(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    name = environ.get("APP_ENV", "production")
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV={name!r} is not one of: {', '.join(CONFIGS)}")
    base = CONFIGS[name]
    config = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    for key in OVERRIDABLE:
        if key in environ:
            config[key] = int(environ[key]) if key == "TRUST_PROXY_HOPS" else environ[key]
    config.update(overrides or {})
    if config["APP_ENV"] != "development" and config["SECRET_KEY"] == DEV_SECRET:
        raise RuntimeError(f"APP_ENV={config['APP_ENV']} refuses the development SECRET_KEY; set SECRET_KEY")
    return config

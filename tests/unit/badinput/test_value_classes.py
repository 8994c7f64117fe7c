"""Every value class of the manifest, with every character that could forge a
line, steer a terminal or reorder what a reader sees: refused, naming the key
path, and echoed only escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from targets import manifest
from targets.errors import ManifestError
from tests.unit.badinput import runner
from tests.unit.badinput.corpus import BASE

# One of each kind (the corpus has the rest: CR, NUL, DEL, U+2029, isolates).
DANGEROUS = {"newline": "\n", "escape": "\x1b[31m", "nel": "\x85", "csi": "\x9b", "line-separator": "\u2028",
             "bidi-override": "\u202e"}
# (key path as the error names it, where to put the value); one per value class the manifest has
FIELDS = {
    "app.source": ("app", "source"), "app.entry": ("app", "entry"), "app.requirements": ("app", "requirements"),
    "app.static": ("app", "static"), "app.static_url": ("app", "static_url"), "app.prestart": ("app", "prestart"),
    "app.release": ("app", "release"), "app.writable[0]": ("app", "writable", 0),
    "app.build_packages[0]": ("app", "build_packages", 0), "app.system_packages[0]": ("app", "system_packages", 0),
    "smoke.health": ("smoke", "health"), "smoke.static_file": ("smoke", "static_file"),
    "smoke.url_echo": ("smoke", "url_echo"), "smoke.checks[0].path": ("smoke", "checks", 0, "path"),
    "smoke.checks[0].name": ("smoke", "checks", 0, "name"), "smoke.checks[0].contains": ("smoke", "checks", 0, "contains"),
    "smoke.checks[0].content_type": ("smoke", "checks", 0, "content_type"),
    "smoke.checks[0].headers.X-A": ("smoke", "checks", 0, "headers", "X-A"),
    "smoke.checks[0].form.f": ("smoke", "checks", 0, "form", "f"),
    "defaults.python": ("defaults", "python"), "defaults.base_image": ("defaults", "base_image"),
    "defaults.nginx_image": ("defaults", "nginx_image"), "defaults.cache_control": ("defaults", "cache_control"),
    "defaults.static_cache_control": ("defaults", "static_cache_control"),
    "defaults.environment": ("defaults", "environment"),
    "environments.development.env.APP_ENV": ("environments", "development", "env", "APP_ENV"),
    "environments.development.secrets[0]": ("environments", "development", "secrets", 0),
    "targets.run.service_id": ("targets", "run", "service_id"), "targets.run.region": ("targets", "run", "region"),
    "targets.run.registry": ("targets", "run", "registry"), "targets.run.tags[0]": ("targets", "run", "tags", 0),
    "targets.run.base_image": ("targets", "run", "base_image"),
    "targets.run.auth.username": ("targets", "run", "auth", "username"),
    "targets.run.auth.password_env": ("targets", "run", "auth", "password_env"),
    "targets.dyno.app": ("targets", "dyno", "app"), "targets.dyno.api": ("targets", "dyno", "api"),
    "targets.fn.entry_point": ("targets", "fn", "entry_point"), "targets.fn.bucket": ("targets", "fn", "bucket"),
    "targets.fn.token_env": ("targets", "fn", "token_env"), "targets.fn.region": ("targets", "fn", "region"),
    "targets.web.server_names[0]": ("targets", "web", "server_names", 0),
    "targets.web.client_max_body_size": ("targets", "web", "client_max_body_size"),
    "targets.web.publish_host": ("targets", "web", "publish_host"),
    "targets.web.health_interval": ("targets", "web", "health_interval"),
}
# A value each field accepts, to put the character into.
GOOD = {"app.entry": "wsgi:app", "app.static_url": "/static", "smoke.health": "/healthz", "smoke.url_echo": "/e",
        "smoke.checks[0].path": "/", "defaults.python": "3.12", "defaults.base_image": "python:3.12-slim",
        "defaults.nginx_image": "nginx:stable", "defaults.cache_control": "no-store",
        "defaults.static_cache_control": "no-store", "defaults.environment": "development",
        "environments.development.secrets[0]": "KEY", "targets.run.region": "us-central1",
        "targets.fn.region": "us-central1", "targets.run.registry": "ghcr.io/x/y", "targets.run.base_image": "python",
        "targets.run.auth.password_env": "KEY", "targets.fn.token_env": "KEY", "targets.dyno.api": "https://api.x",
        "targets.web.publish_host": "127.0.0.1", "targets.web.client_max_body_size": "10m", "app.source": "app",
        "targets.web.health_interval": "5s",
        "targets.fn.bucket": "bucket"}


def _put(data: dict, path: tuple, value: str) -> None:
    node = data
    for part, following in zip(path, path[1:]):
        if isinstance(node, list):
            node = node[part]
            continue
        node = node.setdefault(part, [] if isinstance(following, int) else {})
        if isinstance(node, list) and not node:
            node.append({} if not isinstance(following, int) and len(path) > 4 else "")
    if isinstance(node, list):
        if len(node) <= path[-1]:
            node.append(value)
        node[path[-1]] = value
    else:
        node[path[-1]] = value


@pytest.mark.parametrize("char", list(DANGEROUS.values()), ids=list(DANGEROUS))
@pytest.mark.parametrize("key", list(FIELDS))
def test_no_value_class_lets_a_dangerous_character_through(key: str, char: str, tmp_path: Path) -> None:
    data = yaml.safe_load(BASE)
    data["targets"]["run"]["auth"] = {"password_env": "KEY"}
    good = GOOD.get(key, "abc")
    _put(data, FIELDS[key], good[:2] + char + good[2:])
    path = tmp_path / "targets.yaml"
    # Every scalar double-quoted, so YAML keeps the character as written (a plain NEL would fold to a space).
    path.write_text(yaml.safe_dump(data, allow_unicode=True, default_style='"'), encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        manifest.load(path)
    message = caught.value.message
    assert f": {key}: " in message or f": {key} " in message, message
    assert char not in message and runner.raw_controls(message + caught.value.detail) == [], repr(message)
    assert char.encode("unicode_escape").decode()[:4] in message, message

"""Heroku Platform API: release a pushed image to the web process and report how it went.

PATCH /apps/{app}/formation with the image's config digest and the
docker-releases variant of the v3 Accept header (devcenter:
container-registry-and-runtime, "Releasing an image"). That creates a release;
its status (pending, succeeded, failed) is then read from the newest entry of
GET /apps/{app}/releases (Platform API reference: Release List, with a Range
header).
"""

from __future__ import annotations

import time
from typing import Any

import requests

from ...engine import outbound
from ...errors import PublishFailed

RELEASE_ACCEPT = "application/vnd.heroku+json; version=3.docker-releases"
V3_ACCEPT = "application/vnd.heroku+json; version=3"
NEWEST = "version ..; order=desc, max=1"
WAIT = 120.0  # seconds a release may stay pending (a release phase runs first)


def release(api: str, app: str, config_digest: str, api_key: str, variable: str, target: str,
            poll: float = 1.0) -> str:
    base = api.rstrip("/")
    body = {"updates": [{"type": "web", "docker_image": config_digest}]}
    _call(outbound.patch, f"{base}/apps/{app}/formation", RELEASE_ACCEPT, api_key, variable, target, json=body)
    deadline = time.monotonic() + WAIT
    while True:
        newest = _call(outbound.get, f"{base}/apps/{app}/releases", V3_ACCEPT, api_key, variable, target,
                       extra={"Range": NEWEST})
        entry = newest[0] if isinstance(newest, list) and newest else {}
        status, version = entry.get("status", "unknown"), entry.get("version", "?")
        if status == "failed":
            raise PublishFailed(f"{target}: Heroku release v{version} of {app} failed; "
                                f"see `heroku releases:output {version} --app {app}`")
        if status != "pending":
            return f"release v{version} {status}"
        if time.monotonic() > deadline:
            return f"release v{version} still pending after {WAIT:.0f} s; watch `heroku releases --app {app}`"
        time.sleep(poll)


def _call(method: Any, url: str, accept: str, api_key: str, variable: str, target: str,
          extra: dict[str, str] | None = None, **kwargs: Any) -> Any:
    headers = {"Accept": accept, "Authorization": f"Bearer {api_key}", **(extra or {})}
    try:
        response = method(url, headers=headers, timeout=30, **kwargs)
    except requests.RequestException as exc:
        raise PublishFailed(f"{target}: cannot reach the Heroku API at {url} ({type(exc).__name__})") from None
    if response.status_code in (401, 403):
        raise PublishFailed(f"{target}: the Heroku API refused ${variable} (HTTP {response.status_code}); "
                            f"set it to a valid API key")
    if response.status_code not in (200, 206):  # 206: a Range answer with more entries left
        raise PublishFailed(f"{target}: Heroku API {url} answered HTTP {response.status_code} {response.text[:200]}")
    return response.json()

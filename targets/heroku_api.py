"""Heroku Platform API: release a pushed image to the web process.

PATCH /apps/{app}/formation with the image's config digest, and the
docker-releases variant of the v3 Accept header (devcenter:
container-registry-and-runtime, "Releasing an image").
"""

from __future__ import annotations

import requests

from .errors import PublishFailed

ACCEPT = "application/vnd.heroku+json; version=3.docker-releases"


def release(api: str, app: str, config_digest: str, api_key: str, target: str) -> str:
    url = f"{api.rstrip('/')}/apps/{app}/formation"
    body = {"updates": [{"type": "web", "docker_image": config_digest}]}
    headers = {"Accept": ACCEPT, "Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}
    try:
        response = requests.patch(url, json=body, headers=headers, timeout=30)
    except requests.RequestException as exc:
        raise PublishFailed(f"{target}: cannot reach the Heroku API at {api} ({type(exc).__name__})") from None
    if response.status_code in (401, 403):
        raise PublishFailed(f"{target}: the Heroku API refused HEROKU_API_KEY (HTTP {response.status_code})")
    if response.status_code != 200:
        raise PublishFailed(f"{target}: release failed: HTTP {response.status_code} {response.text[:200]}")
    formation = response.json()
    web = next((f for f in formation if f.get("type") == "web"), {}) if isinstance(formation, list) else formation
    return f"web formation updated (quantity {web.get('quantity', '?')}, size {web.get('size', '?')})"

"""The registry's HTTP API (distribution spec), spoken with requests.

Used to verify that a tag names the digest docker reported, and to skip a push
when a tag already names this very image. Real registries (Artifact Registry,
Heroku's) answer 401 with a Bearer challenge; the token flow is followed then.
"""

from __future__ import annotations

import re

import requests

from ..errors import PublishFailed
from . import docker_client, outbound
from .registry_push import Login, base_url, refused, split

MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json",
                  "application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.oci.image.index.v1+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json")
DOCKER_V2 = MANIFEST_TYPES[0]


def already_there(image_id: str, repository: str, tag: str, login: Login, target: str) -> str:
    """The digest if repository:tag already names this very image, else "".

    RepoDigests records what this engine pushed; the registry says what the tag
    names now. Only when both agree is the push skipped.
    """
    refs = docker_client.client().images.get(image_id).attrs.get("RepoDigests") or []
    ours = {ref.partition("@")[2] for ref in refs if ref.partition("@")[0] == repository}
    if not ours:
        return ""
    try:
        found = manifest(repository, tag, login, target)
    except requests.RequestException:
        return ""  # the push that follows retries and reports this properly
    return found[0] if found and found[0] in ours else ""


def manifest(repository: str, reference: str, login: Login, target: str) -> tuple[str, str] | None:
    """GET the manifest over the registry API: (digest, media type), or None if absent.

    Raises requests.RequestException when the registry cannot be reached, and
    PublishFailed when it refuses the credentials.
    """
    host, path = split(repository)
    url = f"{base_url(host)}/v2/{path}/manifests/{reference}"
    headers = {"Accept": ", ".join(MANIFEST_TYPES)}
    basic = (login.username, login.password)
    response = outbound.get(url, headers=headers, auth=basic, timeout=15)
    if response.status_code == 401 and "bearer" in response.headers.get("WWW-Authenticate", "").lower():
        headers["Authorization"] = f"Bearer {_token(response.headers['WWW-Authenticate'], basic, login, target)}"
        response = outbound.get(url, headers=headers, timeout=15)
    if response.status_code in (401, 403):
        raise PublishFailed(f"{target}: {refused(repository, f'HTTP {response.status_code}', login)}")
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise PublishFailed(f"{target}: {host} answered HTTP {response.status_code} for manifest {path}:{reference}")
    return response.headers.get("Docker-Content-Digest", ""), response.headers.get("Content-Type", "").split(";")[0]


def _token(challenge: str, basic: tuple[str, str], login: Login, target: str) -> str:
    """The registry token flow (distribution spec): realm, service, scope from the challenge."""
    # A regex, not split(","): scopes such as "repository:x:pull,push" hold commas.
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = fields.pop("realm")
    response = outbound.get(realm, params=fields, auth=basic, timeout=15)
    if response.status_code in (401, 403):
        raise PublishFailed(f"{target}: {refused(realm, f'HTTP {response.status_code}', login)}")
    if response.status_code != 200:
        raise PublishFailed(f"{target}: token request to {realm} failed (HTTP {response.status_code})")
    body = response.json()
    return str(body.get("token") or body.get("access_token"))

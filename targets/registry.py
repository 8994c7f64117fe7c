"""Push images and verify them through the registry's HTTP API.

docker-py's push() reports failures inside its stream and raises nothing
(docker-py #1772, #3161), so every chunk is inspected. Auth failures are final
and name the variable to set; transient ones (connection, 5xx) are retried
with capped backoff. After a push, the manifest is fetched over HTTP and its
digest compared with what docker reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import docker.errors
import requests

from . import docker_ops
from .errors import PublishFailed

ATTEMPTS = 4
BACKOFF_CAP = 4.0
AUTH_WORDS = ("unauthorized", "authentication required", "denied", "no basic auth credentials", "401", "403")
TRANSIENT_WORDS = ("connection reset", "connection refused", "eof", "timeout", "500", "502", "503", "504",
                   "internal server error", "bad gateway", "service unavailable", "broken pipe")
MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json",
                  "application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.oci.image.index.v1+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json")
DOCKER_V2 = MANIFEST_TYPES[0]


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    password_env: str

    def redact(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text


def split(repository: str) -> tuple[str, str]:
    """'host[:port]/path' -> (host, path); Docker Hub names have no host part."""
    first, _, rest = repository.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "registry-1.docker.io", repository


def push(image_id: str, repository: str, tag: str, login: Login, target: str,
         progress: Callable[[str], None] = print) -> str:
    """Tag and push; return the manifest digest docker reports."""
    engine = docker_ops.client()
    engine.images.get(image_id).tag(repository, tag)
    auth = {"username": login.username, "password": login.password}
    delay = 0.5
    for attempt in range(1, ATTEMPTS + 1):
        error, digest = _push_once(engine, repository, tag, auth)
        if error is None and digest:
            return digest
        message = login.redact(error or "push ended without a digest")
        lowered = message.lower()
        if any(word in lowered for word in AUTH_WORDS):
            raise PublishFailed(f"{target}: {repository} refused the credentials ({message}); "
                                f"set {login.password_env} to a valid password or token")
        if attempt == ATTEMPTS or not any(word in lowered for word in TRANSIENT_WORDS):
            raise PublishFailed(f"{target}: push of {repository}:{tag} failed after {attempt} attempt(s): {message}")
        progress(f"  {target}: push failed ({message}); retrying in {delay:.1f} s ({attempt}/{ATTEMPTS})")
        time.sleep(delay)
        delay = min(delay * 2, BACKOFF_CAP)
    raise AssertionError("unreachable")


def _push_once(engine: docker.DockerClient, repository: str, tag: str, auth: dict[str, str]) -> tuple[str | None, str]:
    digest = ""
    try:
        for chunk in engine.api.push(repository, tag=tag, auth_config=auth, stream=True, decode=True):
            if "error" in chunk or "errorDetail" in chunk:
                return str(chunk.get("error") or chunk["errorDetail"].get("message")), ""
            aux = chunk.get("aux") or {}
            digest = aux.get("Digest", digest)
    except (docker.errors.APIError, requests.RequestException) as exc:
        return str(exc), ""
    return None, digest


def manifest(repository: str, reference: str, login: Login) -> tuple[str, str]:
    """GET the manifest over the registry API; return (digest, media type)."""
    host, path = split(repository)
    scheme = "http" if host.startswith(("127.", "localhost")) else "https"
    url = f"{scheme}://{host}/v2/{path}/manifests/{reference}"
    headers = {"Accept": ", ".join(MANIFEST_TYPES)}
    basic = (login.username, login.password)
    try:
        response = requests.get(url, headers=headers, auth=basic, timeout=15)
        if response.status_code == 401 and "bearer" in response.headers.get("WWW-Authenticate", "").lower():
            headers["Authorization"] = f"Bearer {_token(response.headers['WWW-Authenticate'], basic)}"
            response = requests.get(url, headers=headers, timeout=15)
    except requests.RequestException as exc:
        raise PublishFailed(f"cannot reach {host} to verify {path}:{reference}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise PublishFailed(f"{host}: manifest {path}:{reference} not found after push (HTTP {response.status_code})")
    return response.headers.get("Docker-Content-Digest", ""), response.headers.get("Content-Type", "").split(";")[0]


def _token(challenge: str, basic: tuple[str, str]) -> str:
    """The registry token flow (distribution spec): realm, service, scope from the challenge."""
    fields = dict(part.split("=", 1) for part in challenge.split(" ", 1)[1].split(","))
    fields = {key.strip(): value.strip('"') for key, value in fields.items()}
    realm = fields.pop("realm")
    response = requests.get(realm, params=fields, auth=basic, timeout=15)
    if response.status_code != 200:
        raise PublishFailed(f"token request to {realm} failed (HTTP {response.status_code})")
    body = response.json()
    return str(body.get("token") or body.get("access_token"))

"""Push images through the Docker engine.

docker-py's push() reports failures inside its stream and raises nothing
(docker-py #1772, #3161), so every chunk is inspected. Auth failures are final
and name the variable to set; transient ones (connection, 5xx) are retried
with capped backoff. What the registry then holds is checked over HTTP by
registry_http.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker.errors
import requests

from ..errors import PublishFailed
from . import docker_client, outbound

ATTEMPTS = 4
BACKOFF_CAP = 4.0
AUTH_WORDS = ("unauthorized", "authentication required", "denied", "no basic auth credentials", "401", "403")
TRANSIENT_WORDS = ("connection reset", "connection refused", "eof", "timeout", "500", "502", "503", "504",
                   "internal server error", "bad gateway", "service unavailable", "broken pipe")


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
    """Tag and push; return the manifest digest docker reports. A push that fails
    takes back the local tag it made, so a failed publish leaves no tags behind."""
    engine = docker_client.client()
    ref = f"{repository}:{tag}"
    try:
        engine.images.get(ref)
        existed = True
    except docker.errors.ImageNotFound:
        existed = False
    try:
        # Inside the try: a Ctrl-C that lands while the engine makes the tag (one target's
        # publish runs on the main thread) still takes it back. It came right after the
        # "pushing" line, and the tag stayed (test_secrets' Ctrl-C test, once in CI).
        engine.images.get(image_id).tag(repository, tag)
        return _push(engine, repository, tag, login, target, progress)
    except BaseException:
        if not existed:
            docker_client.remove_image(ref, noprune=True)
        raise


def _push(engine: docker.DockerClient, repository: str, tag: str, login: Login, target: str,
          progress: Callable[[str], None]) -> str:
    auth = {"username": login.username, "password": login.password}
    delay = 0.5
    for attempt in range(1, ATTEMPTS + 1):
        error, digest = _push_once(engine, repository, tag, auth, target, progress)
        if error is None and digest:
            return digest
        message = login.redact(error or "push ended without a digest")
        lowered = message.lower()
        if mentions(lowered, AUTH_WORDS):
            raise PublishFailed(f"{target}: {refused(repository, message, login)}")
        if attempt == ATTEMPTS or not mentions(lowered, TRANSIENT_WORDS):
            hint = f"; is the registry at {split(repository)[0]} up?" if "connection refused" in lowered else ""
            raise PublishFailed(f"{target}: push of {repository}:{tag} failed after {attempt} attempt(s): {message}{hint}")
        progress(f"  {target}: push failed ({message}); retrying in {delay:.1f} s ({attempt}/{ATTEMPTS})")
        time.sleep(delay)
        delay = min(delay * 2, BACKOFF_CAP)
    raise AssertionError("unreachable")


def _push_once(engine: docker.DockerClient, repository: str, tag: str, auth: dict[str, str], target: str,
               progress: Callable[[str], None]) -> tuple[str | None, str]:
    digest = ""
    host = split(repository)[0]
    stream = None
    retrying: set[str] = set()
    try:
        stream = engine.api.push(repository, tag=tag, auth_config=auth, stream=True, decode=True)
        for chunk in stream:
            if "error" in chunk or "errorDetail" in chunk:
                return str(chunk.get("error") or chunk["errorDetail"].get("message")), ""
            digest = (chunk.get("aux") or {}).get("Digest", digest)
            layer, status = str(chunk.get("id", "")), str(chunk.get("status", ""))
            if status in ("Pushed", "Layer already exists") or status.startswith("Mounted from"):
                progress(f"  {target}: {layer}: {status}")
            if not status.startswith("Retrying in"):
                retrying.discard(layer)
            elif layer not in retrying:
                # The daemon retries a failed layer upload itself for up to 50 s
                # (5+10+15+20), counting down once a second. Worth it for a flaky
                # upload, not for a registry that is gone: checked once per
                # failure, and then this attempt ends and our own backoff decides.
                retrying.add(layer)
                if not reachable(host):
                    return f"{host} stopped answering during the push (connection refused)", ""
                progress(f"  {target}: layer {layer} upload failed; docker {status.lower()}")
    except (docker.errors.APIError, requests.RequestException) as exc:
        return str(exc), ""
    finally:
        if stream is not None:
            # Closing the stream cancels the daemon's push (it logs "context canceled").
            stream.close()
    return None, digest


def mentions(message: str, words: tuple[str, ...]) -> bool:
    """`message` holds one of `words`; a status code only as a number of its own, since
    the message names the registry's host and port too (127.0.0.1:40397 is no 403)."""
    return any(re.search(rf"(?<!\d){word}(?!\d)", message) if word.isdigit() else word in message
               for word in words)


def base_url(host: str) -> str:
    # Docker treats loopback registries as insecure (plain HTTP); all others speak HTTPS.
    return f"{'http' if host.startswith(('127.', 'localhost')) else 'https'}://{host}"


def reachable(host: str) -> bool:
    """Any HTTP answer from /v2/ counts; through HTTPS_PROXY as the daemon's own push may go,
    except to a loopback registry, which neither sends through a proxy (outbound.py)."""
    try:
        outbound.get(f"{base_url(host)}/v2/", timeout=3)
    except requests.RequestException:
        return False
    return True


def refused(repository: str, message: str, login: Login) -> str:
    return f"{repository} refused the credentials ({message}); set {login.password_env} to a valid password or token"

"""HTTP the tool sends: straight to what runs on this machine, through the user's proxy
to anything else.

requests takes HTTP_PROXY and HTTPS_PROXY from the environment for every URL that
NO_PROXY does not name, loopback included. With a proxy set and NO_PROXY unset, as
many company machines have it, every smoke check went to the proxy instead of the
container (a ProxyError, 60 s later), and the proxy was asked to reach 127.0.0.1
on its own side. A session here reads nothing from the environment (trust_env: no
proxies, no .netrc) for a loopback URL; any other URL (a remote engine's published
port, a hosted registry, real Cloud Storage, the Heroku API) keeps the user's proxy
settings, as requests alone would. A loopback session also spares each request the
environment scan requests makes without one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from .endpoint import loopback_host


def is_loopback(url: str) -> bool:
    """A URL that reaches this machine: loopback, or the unspecified address a port
    published on all interfaces is reached at (`publish_host: 0.0.0.0`)."""
    host = urlsplit(url).hostname or ""
    return loopback_host(host) or host in ("0.0.0.0", "::")


def session(url: str) -> requests.Session:
    """A session for `url`'s host: without the environment's proxies when it is loopback."""
    made = requests.Session()
    if is_loopback(url):
        made.trust_env = False
    return made


def get(url: str, **kwargs: Any) -> requests.Response:
    with session(url) as http:
        return http.get(url, **kwargs)


def post(url: str, **kwargs: Any) -> requests.Response:
    with session(url) as http:
        return http.post(url, **kwargs)


def patch(url: str, **kwargs: Any) -> requests.Response:
    with session(url) as http:
        return http.patch(url, **kwargs)

"""A Site written down as nginx.conf (template edge/nginx.conf.j2). Pure: no Docker.

Every string that reaches the config is quoted here; file names, header values
and destinations were already refused by config.py if they hold a quote, a
backslash, a `$` or a control character, so nothing can add a directive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .... import templates
from . import globs
from .config import Site

PUBLIC = "/srv/public"
CONFIG = "/etc/flaskship/edge.conf"
PORT = 8080
# mime-types 2.1 (what superstatic sets), for the web's usual extensions;
# text types get "; charset=utf-8" as it adds.
TYPES = {
    "text/html": "html htm", "text/css": "css", "application/javascript": "js mjs", "application/json": "json map",
    "text/plain": "txt", "application/xml": "xml", "image/svg+xml": "svg", "image/png": "png",
    "image/jpeg": "jpg jpeg", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
    "image/vnd.microsoft.icon": "ico", "image/bmp": "bmp", "image/tiff": "tif tiff", "font/woff": "woff",
    "font/woff2": "woff2", "font/ttf": "ttf", "font/otf": "otf", "application/vnd.ms-fontobject": "eot",
    "application/pdf": "pdf", "application/zip": "zip", "application/gzip": "gz", "application/wasm": "wasm",
    "video/mp4": "mp4", "video/webm": "webm", "audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/wave": "wav",
    "text/csv": "csv", "text/markdown": "md", "text/yaml": "yaml yml", "application/manifest+json": "webmanifest",
    "text/cache-manifest": "appcache manifest", "application/rss+xml": "rss", "application/atom+xml": "atom",
    "application/ld+json": "jsonld", "application/node": "cjs",
}
# Not text/html: nginx always adds it, and names it again with "duplicate MIME type" at every start.
CHARSET_TYPES = ("text/css", "application/javascript", "application/json", "text/plain", "text/csv",
                 "text/markdown", "text/yaml", "application/manifest+json", "text/cache-manifest")


def q(text: str) -> str:
    """A double-quoted nginx string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Header:
    key: str
    var: str  # $edge_hN: the value the rules give this request's path ("" for none)
    rules: list[tuple[str, str]]  # (regex, value), last rule first: a later rule wins
    not_found: str  # the value for the 404 page when no rule names the request's path


def headers(site: Site) -> list[Header]:
    keys: dict[str, str] = {}
    for rule in site.headers:
        for key, _ in rule.headers:
            keys.setdefault(key.lower(), key)
    found = []
    for index, (lower, key) in enumerate(keys.items()):
        rules = [(rule.regex, value) for rule in reversed(site.headers) for k, value in reversed(rule.headers)
                 if k.lower() == lower]
        # superstatic applies the rules for /404.html to the 404 page too, under the request's own.
        page = next((value for regex, value in rules if re.search(regex, "/404.html")), "")
        found.append(Header(key, f"$edge_h{index}", rules, page))
    return found


def render(site: Site, upstream: str | None, project: str = "demo-flaskship") -> str:
    """nginx.conf for `site`; `upstream` is host:port of the container, None for none."""
    hdrs = headers(site)
    return templates.render(
        "edge/nginx.conf.j2", q=q, site=site, headers=hdrs, table=site.table(),
        upstream=upstream, public=PUBLIC, encode=globs.encode_uri, port=PORT, types=TYPES, charset_types=CHARSET_TYPES,
        statuses=sorted({r.status for r in site.redirects}), has_404="/404.html" in site.files,
        init_json='{"projectId":"%s"}' % project,
    )

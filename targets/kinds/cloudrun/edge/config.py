"""firebase.json's `hosting` -> a validated Site: rules as regexes, files as a table.

Everything the edge does is decided here, in Python, from the file and the
public folder: nginx.py only writes it down. A broken firebase.json is one
HostingError naming the key path; a feature the edge does not emulate is a
warning naming it, and its rule is left out (never half-applied).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ....errors import FlaskshipError
from . import captures, globs, statics

# Keys of `hosting` that change what a request gets, and those that do not
# (deploy-time only). Anything else gets a warning.
SERVED = {"public", "ignore", "cleanUrls", "trailingSlash", "redirects", "rewrites", "headers"}
DEPLOY_ONLY = {"site", "target", "predeploy", "postdeploy"}
REDIRECT_TYPES = (301, 302, 303, 307, 308)
HEADER_KEY = re.compile(r"^[A-Za-z0-9!#%&'*+.^_`|~-]{1,128}$")
# nginx cannot override these per response with add_header.
FIXED_HEADERS = {"content-type", "content-length", "location", "transfer-encoding", "connection", "date", "server"}
# A file name the generated config can name safely (no quotes, variables, escapes or controls).
SAFE_NAME = re.compile(r"^[^\x00-\x1f\x7f\"\\$?#%{};]+$")


class HostingError(FlaskshipError):
    """firebase.json cannot be read or has the wrong shape."""


@dataclass(frozen=True)
class Redirect:
    regex: str
    status: int
    location: str  # nginx text: literal parts and $edge_p_* captures, query appended at run time
    source: str


@dataclass(frozen=True)
class Rewrite:
    regex: str
    action: str  # "run", "file:/x.html", "missing", "unsupported"
    source: str
    service: str = ""


@dataclass(frozen=True)
class HeaderRule:
    regex: str
    headers: tuple[tuple[str, str], ...]
    source: str


@dataclass
class Site:
    public: Path
    clean_urls: bool = False
    trailing_slash: bool | None = None
    redirects: list[Redirect] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    headers: list[HeaderRule] = field(default_factory=list)
    files: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def table(self) -> dict[str, tuple[str, str]]:
        return statics.table(self.files, self.clean_urls, self.trailing_slash)


def read(path: Path) -> dict[str, Any]:
    """firebase.json's first `hosting` site (an object, or the first of a list)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HostingError(f"{path}: not found; build the cloudrun target first (`invoke build`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HostingError(f"{path}: not valid JSON ({exc}); fix the file") from None
    hosting = data.get("hosting") if isinstance(data, dict) else None
    if isinstance(hosting, list) and hosting:
        hosting = hosting[0]
    if not isinstance(hosting, dict):
        raise HostingError(f"{path}: hosting: expected an object with at least `public`")
    return hosting


def load(path: Path, hosting: dict[str, Any] | None = None, service_id: str | None = None) -> Site:
    """The Site a firebase.json describes; `service_id`: the container's Cloud Run service
    (run rewrites to another service answer 502), None for any."""
    hosting = read(path) if hosting is None else hosting
    where = f"{path.name}: hosting"
    public = hosting.get("public")
    if not isinstance(public, str) or not public:
        raise HostingError(f"{where}.public: expected the folder Hosting serves, e.g. \"public\"")
    site = Site(path.parent / public, raw=hosting)
    for key in sorted(set(hosting) - SERVED - DEPLOY_ONLY):
        site.warnings.append(f"{where}.{key}: not emulated by the local edge (requests behave as if it were absent)")
    site.clean_urls = _typed(hosting, "cleanUrls", bool, False, where)
    site.trailing_slash = _typed(hosting, "trailingSlash", bool, None, where)
    site.files = _files(site, hosting.get("ignore", []), where)
    for i, rule in enumerate(_list(hosting, "redirects", where)):
        _redirect(site, rule, f"{where}.redirects[{i}]")
    for i, rule in enumerate(_list(hosting, "rewrites", where)):
        _rewrite(site, rule, f"{where}.rewrites[{i}]", service_id)
    for i, rule in enumerate(_list(hosting, "headers", where)):
        _headers(site, rule, f"{where}.headers[{i}]")
    return site


def _typed(hosting: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    value = hosting.get(key, default)
    if value is not default and not isinstance(value, kind):
        raise HostingError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def _list(hosting: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = hosting.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise HostingError(f"{where}.{key}: expected a list of objects")
    return value


def _matcher(rule: dict[str, Any], where: str, *, encode: bool = False) -> tuple[str, str]:
    """(regex, what the rule says) of a rule's `source` (a glob) or `regex`."""
    source, regex = rule.get("source", rule.get("glob")), rule.get("regex")
    if (source is None) == (regex is None):
        raise HostingError(f"{where}: needs exactly one of `source` (a glob) or `regex`")
    if not isinstance(source or regex, str):
        raise HostingError(f"{where}: `source`/`regex` must be a string")
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise HostingError(f"{where}.regex: not a regular expression ({exc})") from None
        return regex, f"regex {regex!r}"
    return globs.glob_regex(source, literal_encode=encode), f"source {source!r}"


def _files(site: Site, ignore: Any, where: str) -> frozenset[str]:
    """The files `firebase deploy` would upload: public/ minus `ignore` (globs, dotfiles matched)."""
    if not site.public.is_dir():
        raise HostingError(f"{where}.public: folder {site.public} does not exist")
    if not isinstance(ignore, list) or not all(isinstance(g, str) for g in ignore):
        raise HostingError(f"{where}.ignore: expected a list of globs")
    ignored = [re.compile(globs.glob_regex(g, dot=True)) for g in ignore]
    files: set[str] = set()
    for file in sorted(site.public.rglob("*")):
        if not file.is_file():
            continue
        url = "/" + file.relative_to(site.public).as_posix()
        if any(rx.search(url) for rx in ignored):
            continue
        if url.startswith("/__/"):
            site.warnings.append(f"{where}.public: {url} is in Hosting's reserved /__/ namespace and is never served")
        elif not SAFE_NAME.match(url):
            site.warnings.append(f"{where}.public: {url!r} has a character the local edge cannot name; it is not served")
        else:
            files.add(url)
    return frozenset(files)


def _redirect(site: Site, rule: dict[str, Any], where: str) -> None:
    destination, status = rule.get("destination"), rule.get("type", 301)
    if not isinstance(destination, str) or not destination or not SAFE_NAME.match(destination.replace("?", "").replace("#", "").replace("%", "")):
        raise HostingError(f"{where}.destination: expected a path or URL without quotes, `$` or control characters")
    if status not in REDIRECT_TYPES:
        raise HostingError(f"{where}.type: expected one of {', '.join(map(str, REDIRECT_TYPES))}, got {status!r}")
    try:
        if captures.uses_captures(destination):
            regex, said, location = _captures(rule, destination, where)
        else:
            regex, said = _matcher(rule, where, encode=True)
            location = globs.encode_uri(destination)
    except globs.Unsupported as exc:
        site.warnings.append(f"{where}: {exc} is not emulated by the local edge; this redirect is left out")
        return
    site.redirects.append(Redirect(regex, status, location, said))


def _captures(rule: dict[str, Any], destination: str, where: str) -> tuple[str, str, str]:
    params = captures.destination_params(destination)
    location = globs.encode_uri(destination)
    if "regex" in rule:
        regex, said = _matcher(rule, where)
        regex, names = captures.name_groups(regex)
    else:
        source = rule.get("source", rule.get("glob"))
        if not isinstance(source, str):
            raise HostingError(f"{where}: a destination with :params needs a `source` or `regex`")
        capture = captures.capture_regex(globs.slash(source), frozenset(params))
        regex, said, names = capture.regex, f"source {source!r}", set(capture.names)
    for param in sorted(set(params), key=len, reverse=True):
        if param not in names:
            raise HostingError(f"{where}.destination: :{param} is captured by nothing in the source")
        # Every value of a repeated :param* is kept, joined by '/' (Hosting's documented result).
        location = location.replace(f":{param}", "${" + captures.group(param) + "}")
    return regex, said, location


def _rewrite(site: Site, rule: dict[str, Any], where: str, service_id: str | None) -> None:
    try:
        regex, said = _matcher(rule, where)
    except globs.Unsupported as exc:
        site.warnings.append(f"{where}: {exc} is not emulated by the local edge; this rewrite is left out")
        return
    if "destination" in rule:
        dest = rule["destination"]
        if not isinstance(dest, str) or not dest.startswith("/") or not SAFE_NAME.match(dest):
            raise HostingError(f"{where}.destination: expected a path in public/ such as /index.html")
        file = globs.slash(dest)
        site.rewrites.append(Rewrite(regex, f"file:{file}" if file in site.files else "missing", said))
    elif "run" in rule:
        run = rule["run"]
        if not isinstance(run, dict) or not isinstance(run.get("serviceId"), str):
            raise HostingError(f"{where}.run.serviceId: expected the Cloud Run service's name")
        if run.get("pinTag"):
            site.warnings.append(f"{where}.run.pinTag: tagged revisions are not emulated; the local container answers")
        wanted = run["serviceId"]
        ours = service_id is None or wanted == service_id
        if not ours:
            site.warnings.append(f"{where}.run.serviceId {wanted!r} is not this target's service "
                                 f"({service_id!r}); the local edge answers 502 for it")
        site.rewrites.append(Rewrite(regex, "run" if ours else "unsupported", said, wanted))
    else:
        kind = next((k for k in ("function", "dynamicLinks", "tagged") if k in rule), "")
        site.warnings.append(f"{where}: a {kind or 'rewrite without destination/run'} rewrite is not emulated by "
                             "the local edge; it answers 501")
        site.rewrites.append(Rewrite(regex, "unsupported", said))


def _headers(site: Site, rule: dict[str, Any], where: str) -> None:
    pairs = rule.get("headers")
    if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
        raise HostingError(f"{where}.headers: expected a list of {{\"key\": ..., \"value\": ...}}")
    kept: list[tuple[str, str]] = []
    for j, pair in enumerate(pairs):
        key, value = pair.get("key"), pair.get("value")
        if not isinstance(key, str) or not HEADER_KEY.match(key):
            raise HostingError(f"{where}.headers[{j}].key: expected a header name, got {key!r}")
        if not isinstance(value, str) or re.search(r"[\x00-\x1f\x7f]", value):
            raise HostingError(f"{where}.headers[{j}].value: expected one line of text")
        if key.lower() in FIXED_HEADERS or not re.match(r"^[A-Za-z0-9-]+$", key) or "$" in value:
            site.warnings.append(f"{where}.headers[{j}]: {key} is not set by the local edge (it cannot name it, "
                                 "override it, or write a `$` in its value)")
            continue
        kept.append((key, value))
    try:
        regex, said = _matcher(rule, where)
    except globs.Unsupported as exc:
        site.warnings.append(f"{where}: {exc} is not emulated by the local edge; these headers are left out")
        return
    site.headers.append(HeaderRule(regex, tuple(kept), said))

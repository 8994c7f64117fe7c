"""The checks smoke puts to every target, judged from real responses.

The suite is the manifest's declared checks (smoke.checks) plus what is true
of every web app: a static file comes back byte-identical, and an unknown path
answers without a 5xx (parity then demands the same status everywhere).
judge() and includes() are pure; run() is the only part that does HTTP.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from ..engine import outbound
from .paths import NOT_FOUND_PATH
from ..manifest import Check
from ..records import APP_BUILD

if TYPE_CHECKING:
    from ..manifest import Project

TIMEOUT = 10
VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


@dataclass(frozen=True)
class Observed:
    """What parity compares across targets."""

    status: int
    content_type: str  # the media type alone, lower-case
    digest: str = ""  # sha256 of the body, for deterministic checks only


@dataclass(frozen=True)
class Outcome:
    ok: bool
    expected: str
    got: str
    observed: Observed | None = None


@dataclass(frozen=True)
class Suite:
    health: str
    checks: tuple[Check, ...]
    static_url: str | None  # URL of the static file checked byte for byte
    static_bytes: bytes
    env: Mapping[str, str]  # the run's plain variables, for ${NAME}


def expand(text: str, env: Mapping[str, str]) -> str:
    """${NAME} -> the run's value of NAME (unknown names stay as written)."""
    return VARIABLE.sub(lambda m: env.get(m.group(1), m.group(0)), text)


def includes(expected: Any, got: Any) -> bool:
    """Whether `got` holds everything in `expected`: mappings by subset, all else equal."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and includes(v, got[k]) for k, v in expected.items())
    return bool(expected == got)


def _short(value: object, limit: int = 160) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# The WHATWG MIME Sniffing standard's "JavaScript MIME type essence match": every one of these
# is JavaScript to a browser. Servers disagree on which they send for a .js file (nginx's
# mime.types and Python 3.11 say application/javascript, Python 3.12, Debian's
# /etc/mime.types and RFC 9239 say text/javascript), so a static .js file would otherwise
# fail parity between an nginx and a gunicorn target for a difference no browser sees.
JAVASCRIPT = frozenset({"application/ecmascript", "application/javascript", "application/x-ecmascript",
                        "application/x-javascript", "text/ecmascript", "text/javascript", "text/javascript1.0",
                        "text/javascript1.1", "text/javascript1.2", "text/javascript1.3", "text/javascript1.4",
                        "text/javascript1.5", "text/jscript", "text/livescript", "text/x-ecmascript",
                        "text/x-javascript"})


# Two more names of one type that nginx's mime.types and Debian's /etc/mime.types (Python's
# table in the images) give a common static file: a favicon, an XML file (RFC 7303 makes
# text/xml and application/xml the same). What nginx has no name for (.mjs, .webmanifest:
# application/octet-stream) is a real difference, which a browser acts on, and stays one.
ALIASES = {"image/x-icon": "image/vnd.microsoft.icon", "text/xml": "application/xml"}


def essence(content_type: str) -> str:
    """The media type alone, lower-case; any JavaScript type as text/javascript (RFC 9239),
    and each of ALIASES as the name it stands for."""
    media = content_type.split(";")[0].strip().lower()
    return "text/javascript" if media in JAVASCRIPT else ALIASES.get(media, media)


def media_type(response: requests.Response) -> str:
    return essence(response.headers.get("Content-Type", ""))


def judge(check: Check, response: requests.Response, env: Mapping[str, str]) -> Outcome:
    """Compare one response with what the check expects; list every miss."""
    wanted = [str(check.status)]
    misses: list[str] = []
    if response.status_code != check.status:
        misses.append(f"status {response.status_code}")
    ctype = response.headers.get("Content-Type", "")
    if check.content_type:
        wanted.append(check.content_type)
        if not (ctype.lower().startswith(check.content_type.lower()) or essence(ctype) == essence(check.content_type)):
            misses.append(f"Content-Type {ctype or '(none)'}")
    if check.contains:
        needle = expand(check.contains, env)
        wanted.append(f"body containing {needle!r}")
        if needle not in response.text:
            misses.append(f"body without {needle!r}: {_short(response.text)}")
    for name, value in check.headers.items():
        value = expand(value, env)
        wanted.append(f"{name}: {value}")
        if response.headers.get(name) != value:
            misses.append(f"{name}: {response.headers.get(name, '(none)')}")
    if check.json_includes is not None:
        including = expand_all(check.json_includes, env)
        wanted.append(f"JSON including {_short(including)}")
        try:
            body = response.json()
        except ValueError:
            body = "(not JSON)"
        if not includes(including, body):
            misses.append(f"JSON {_short(body)}")
    digest = hashlib.sha256(response.content).hexdigest() if check.deterministic else ""
    observed = Observed(response.status_code, media_type(response), digest)
    got = "; ".join(misses) if misses else f"{response.status_code} {ctype}".strip()
    return Outcome(not misses, " ".join(wanted[:1]) + (", " + ", ".join(wanted[1:]) if wanted[1:] else ""), got, observed)


def judge_static(response: requests.Response, want: bytes) -> Outcome:
    same = response.content == want
    ok = response.status_code == 200 and same
    return Outcome(ok, f"200, {len(want)} bytes identical to the source",
                   f"{response.status_code}, {len(response.content)} bytes, identical={same}",
                   Observed(response.status_code, media_type(response), hashlib.sha256(response.content).hexdigest()))


def judge_unknown(response: requests.Response) -> Outcome:
    return Outcome(response.status_code < 500, "no 5xx (and the same status on every target)",
                   f"{response.status_code} {response.headers.get('Content-Type', '')}".strip(),
                   Observed(response.status_code, media_type(response)))


def expand_all(value: Any, env: Mapping[str, str]) -> Any:
    """expand() through a JSON value's strings (keys too)."""
    if isinstance(value, str):
        return expand(value, env)
    if isinstance(value, list):
        return [expand_all(item, env) for item in value]
    if isinstance(value, dict):
        return {expand(str(k), env): expand_all(v, env) for k, v in value.items()}
    return value


def extract(check: Check, response: requests.Response) -> tuple[dict[str, str], list[str]]:
    """What check.save takes from the response: (values by name, what could not be found)."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for name, source in check.save.items():
        how, _, what = source.partition(":")
        found: Any = None
        if how == "header":
            found = response.headers.get(what)
        elif how == "cookie":
            found = response.cookies.get(what)
        elif how == "body":
            match = re.search(what, response.text)
            found = match and (match.group(1) if match.re.groups else match.group(0))
        else:
            try:
                found = response.json()
            except ValueError:
                found = None
            for key in what.split("."):
                if isinstance(found, dict):
                    found = found.get(key)
                elif isinstance(found, list) and key.isdigit() and int(key) < len(found):
                    found = found[int(key)]
                else:
                    found = None
        if found is None or isinstance(found, (dict, list)):
            missing.append(f"nothing to save as {name} from {source}")
        else:
            values[name] = found if isinstance(found, str) else json.dumps(found)
    return values, missing


def _send(session: requests.Session, base: str, check: Check, env: Mapping[str, str]) -> requests.Response:
    # Redirects are not followed: a 302 is the app's answer, and parity compares it.
    form = {key: expand(value, env) for key, value in check.form.items()} if check.form is not None else None
    headers = {key: expand(value, env) for key, value in check.send_headers.items()}
    return session.request(check.method, base + expand(check.path, env), json=expand_all(check.json_body, env),
                           data=form, headers=headers, timeout=TIMEOUT, allow_redirects=False)


def run(base: str, suite: Suite, extra_env: Mapping[str, str] | None = None) -> dict[str, tuple[str, Outcome]]:
    """Every check of the suite against one running target, in the order declared, on
    one session (cookies carry from one response to the next; values a check saves
    are ${NAME} in the ones after it): label -> (path, outcome)."""
    results: dict[str, tuple[str, Outcome]] = {}
    env = {**suite.env, **(extra_env or {})}
    with outbound.session(base) as session:  # loopback: never through the environment's proxy
        for check in suite.checks:
            try:
                response = _send(session, base, check, env)
                outcome = judge(check, response, env)
                saved, missing = extract(check, response)
                env.update(saved)
                if missing:
                    outcome = Outcome(False, outcome.expected, "; ".join([*missing, outcome.got]), outcome.observed)
                results[check.label] = (check.path, outcome)
            except requests.RequestException as exc:
                results[check.label] = (check.path, Outcome(False, "a response", f"{type(exc).__name__}: {_short(str(exc))}"))
        extra: list[tuple[str, str]] = [("not-found", NOT_FOUND_PATH)]
        if suite.static_url:
            extra.insert(0, ("static-bytes", suite.static_url))
        for label, path in extra:
            try:
                response = session.get(base + path, timeout=TIMEOUT, allow_redirects=False)
                outcome = judge_static(response, suite.static_bytes) if label == "static-bytes" else judge_unknown(response)
            except requests.RequestException as exc:
                outcome = Outcome(False, "a response", f"{type(exc).__name__}: {_short(str(exc))}")
            results[label] = (path, outcome)
    return results


def static_file(project: Project) -> tuple[str | None, bytes]:
    """(URL, bytes) of the static file to check, or (None, b"") when the app has none."""
    app, wanted = project.manifest.app, project.manifest.smoke.static_file
    if app.static is None:
        return None, b""
    folder = project.app_dir / app.static
    shipped = project.build_dir / APP_BUILD / "src"  # what app.build made of the code, at the last build
    if app.build is not None and shipped.is_dir() and not app.static_outside_source:
        folder = shipped / app.static
    if wanted:
        path: Path | None = folder / wanted
    else:
        files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
        path = min(files, key=lambda p: _agreed_type_first(p, folder), default=None)
    if path is None:
        return None, b""
    return f"{app.static_url.rstrip('/')}/{path.relative_to(folder).as_posix()}", path.read_bytes()


# Suffixes that Flask (Python's mimetypes), nginx's mime.types and Firebase Hosting
# (mime-db) all serve with one content type. Parity asks every target for the same
# type, so a file of another kind tests the servers' tables, not the deploy: bluelog's
# first static file by name was a .md, text/markdown on Hosting and
# application/octet-stream elsewhere; .js and .ico differ between them too.
AGREED_TYPES = (".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".txt")


def _agreed_type_first(path: Path, folder: Path) -> tuple[int, int, str]:
    """A sort key: a file of an agreed type first, then the shallowest, then by name."""
    suffix = path.suffix.lower()
    rank = AGREED_TYPES.index(suffix) if suffix in AGREED_TYPES else len(AGREED_TYPES)
    relative = path.relative_to(folder)
    return rank, len(relative.parts), relative.as_posix()


def suite(project: Project, env: Mapping[str, str]) -> Suite:
    url, data = static_file(project)
    smoke = project.manifest.smoke
    return Suite(smoke.health, smoke.checks, url, data, dict(env))


def describe(observed: Mapping[str, Any] | None) -> str:
    if not observed:
        return "(no response)"
    text = f"{observed['status']} {observed['content_type'] or '(no type)'}"
    return text + (f" body {observed['digest'][:12]}" if observed.get("digest") else "")

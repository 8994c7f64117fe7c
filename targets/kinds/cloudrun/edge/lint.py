"""firebase.json against the app, at build time: warnings, each with its fix.

- a static file that shadows an app route (Hosting serves an exact file before
  any rewrite, so an index.html in public/ hides the app's `/`);
- a `run` rewrite whose serviceId or region is missing, malformed, or not the target's;
- a rewrite that can never match because an earlier one takes every path;
- a page in `cdn_pages` the app answers without `Cache-Control: public, s-maxage`
  (or max-age), or with a cookie, so the CDN would never keep it.

The app's own answers come from the image's own venv and code: a one-off
container of the shared stage, with the code put in at /srv/app, imports the
entry as gunicorn does and asks Flask's URL map and test client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ....engine import docker_client
from ....smoke.hints import last_error
from . import config

SERVICE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
# Paths that a rule taking "everything" matches; a catch-all matches them all.
PROBES = ("/", "/a", "/a/b", "/a/b.html", "/x/y/z/", "/api/v1/items", "/static/app.js", "/index.html")
MARK = "FLASKSHIP-LINT "
PROBE = r"""
import importlib, json, sys
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
module, _, call = sys.argv[1].partition(":")
scope = vars(importlib.import_module(module))
app = eval(call, scope) if "(" in call else scope[call]
paths, pages = json.loads(sys.argv[2]), json.loads(sys.argv[3])
adapter = app.url_map.bind("localhost")
routes = {}
for path in paths:
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except RequestRedirect:
        continue
    except HTTPException:
        continue
    if endpoint != "static":
        routes[path] = endpoint
answers = {}
with app.test_client() as client:
    for page in pages:
        r = client.get(page)
        answers[page] = {"status": r.status_code, "cache_control": r.headers.get("Cache-Control", ""),
                         "set_cookie": "Set-Cookie" in r.headers}
print("FLASKSHIP-LINT " + json.dumps({"routes": routes, "pages": answers,
                                     "session_cookie": app.config.get("SESSION_COOKIE_NAME")}))
"""


def service(raw: Mapping[str, Any], service_id: str, region: str) -> list[str]:
    found = []
    for i, rule in enumerate(raw.get("rewrites", [])):
        run = rule.get("run") if isinstance(rule, dict) else None
        if not isinstance(run, dict):
            continue
        where = f"firebase.json: hosting.rewrites[{i}].run"
        sid, reg = run.get("serviceId"), run.get("region")
        if not isinstance(sid, str) or not SERVICE.match(sid):
            found.append(f"{where}.serviceId {sid!r} is missing or not a Cloud Run service name "
                         f"([a-z][-a-z0-9]*, 63 at most); set it to {service_id!r}")
        elif sid != service_id:
            found.append(f"{where}.serviceId {sid!r} is not this target's service {service_id!r}; "
                         f"set it to {service_id!r} or change targets.<name>.service_id")
        if reg is None:
            found.append(f"{where}.region is missing: Hosting then assumes us-central1; set it to {region!r}")
        elif not isinstance(reg, str) or not REGION.match(reg):
            found.append(f"{where}.region {reg!r} is not a Cloud Run region (like us-central1); set it to {region!r}")
        elif reg != region:
            found.append(f"{where}.region {reg!r} is not where the service is deployed ({region!r}); set it to {region!r}")
    return found


def unreachable(site: config.Site) -> list[str]:
    found = []
    for i, earlier in enumerate(site.rewrites):
        if all(re.search(earlier.regex, p) for p in PROBES) and i + 1 < len(site.rewrites):
            later = ", ".join(f"rewrites[{j}] ({r.source})" for j, r in enumerate(site.rewrites) if j > i)
            found.append(f"firebase.json: hosting.rewrites[{i}] ({earlier.source}) takes every path, so {later} "
                         "can never match; move the catch-all last")
            break
    return found


def shadowing(table: Mapping[str, tuple[str, str]], routes: Mapping[str, str]) -> list[str]:
    found = []
    for path, endpoint in sorted(routes.items()):
        action, value = table[path]
        what = f"public{value} is served" if action == "file" else f"Hosting redirects it to {value}"
        found.append(f"GET {path}: {what} before any rewrite, so the app's route ({endpoint}) never answers it; "
                     f"remove or rename public{value if action == 'file' else path} if the app should answer")
    return found


def caching(pages: Mapping[str, Mapping[str, Any]]) -> list[str]:
    found = []
    for page, answer in sorted(pages.items()):
        control = str(answer["cache_control"]).lower()
        directives = re.split(r"[\s,]+", control)
        ages = [int(v) for v in re.findall(r"(?:s-maxage|max-age)=(\d+)", control)]
        fix = "answer it with `Cache-Control: public, max-age=300, s-maxage=600` (defaults.cache_control)"
        if answer["set_cookie"]:
            found.append(f"cdn_pages {page}: the app sets a cookie on it, so Hosting's CDN never keeps it; "
                         "set cookies elsewhere (or keep state in __session on the client)")
        elif "public" not in directives or not any(ages) or "private" in directives or "no-store" in directives:
            found.append(f"cdn_pages {page}: the app answers Cache-Control {answer['cache_control'] or '(none)'!r}, "
                         f"so Hosting's CDN never keeps it; {fix}")
    return found


def session_cookie(name: str | None, app_dir: Path) -> list[str]:
    """Hosting strips every cookie but __session, so a Flask session under any other
    name (the default is `session`) is lost behind it: logins and CSRF tokens break
    only in production. Flask names it the same whether or not the app uses it, so
    warn only where the app's code imports `session` from flask."""
    if name in (None, "__session") or not _uses_session(app_dir):
        return []
    return [f"the app keeps its Flask session in the cookie {name!r}, but Firebase Hosting forwards only "
            "`__session` to Cloud Run, so the session is lost behind Hosting; "
            "set app.config['SESSION_COOKIE_NAME'] = '__session'"]


def _uses_session(app_dir: Path) -> bool:
    pattern = re.compile(r"^\s*from\s+flask\s+import\s+[^#\n]*\bsession\b|\bflask\.session\b", re.M)
    for path in app_dir.rglob("*.py"):
        if any(part.startswith(".") or part in ("venv", ".venv", "node_modules") for part in path.parts):
            continue
        try:
            if pattern.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


def probe(image: str, target: str, entry: str, env: Mapping[str, str], paths: Sequence[str],
          pages: Sequence[str], files: bytes | None = None) -> tuple[dict[str, Any] | None, str]:
    """(The app's routes among `paths` and its answers to `pages`, ""), from a container of
    `image` (with `files`, a tar unpacked at /, put in before it starts); or (None, how the
    app's import there ended, with its last error)."""
    # No network: the app is imported and asked through its test client, in-process.
    code, log = docker_client.run_once(image, target, ["python", "-c", PROBE, entry, json.dumps(list(paths)),
                                                       json.dumps(list(pages))], environment=env, timeout=60,
                                       network=docker_client.NO_NETWORK, files=files)
    lines = [line for line in log.splitlines() if line.startswith(MARK)]
    if code == 0 and lines:
        return json.loads(lines[-1][len(MARK):]), ""
    # How it ended first: the app's own log lines may be handled errors (searxng's engines, offline).
    # Then the exception's own line, not the last line: SQLAlchemy ends with "(Background on this
    # error at: https://sqlalche.me/e/14/e3q8)" after the "unable to open database file" that says why.
    how = "did not finish within 60 s (its import hangs?)" if code is None else f"exited with status {code}"
    said = last_error(log) or (log.strip().splitlines()[-1] if log.strip() else "")
    return None, how + (f"; its last error: {said}" if said else "")

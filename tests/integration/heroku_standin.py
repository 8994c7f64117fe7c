"""A stand-in for the two Heroku Platform API calls publish makes (the real API cannot run here).

It checks each request as the docs specify it and answers as they document:
- PATCH /apps/{app}/formation (container-registry-and-runtime, "Releasing an
  image"): Accept `...version=3.docker-releases`, Bearer key, body
  {"updates":[{"type":"web","docker_image":"sha256:..."}]}; it creates a release;
- GET /apps/{app}/releases (Platform API reference, Release List and Ranges):
  Accept `...version=3`, Bearer key, a Range on `version`; the newest release
  is "pending" when first read, then `outcome`.
A request that breaks the contract gets the API's 4xx, so the test fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.integration import services

RELEASE_ACCEPT = "application/vnd.heroku+json; version=3.docker-releases"
V3_ACCEPT = "application/vnd.heroku+json; version=3"
RANGE = re.compile(r"^version \.\.; ?(?:order=desc, ?max=(\d+)|max=(\d+), ?order=desc)$")


@dataclass
class HerokuStandIn:
    url: str
    api_key: str
    outcome: str = "succeeded"  # what a pending release turns into
    requests: list[dict[str, object]] = field(default_factory=list)
    releases: list[dict[str, object]] = field(default_factory=list)


@contextmanager
def heroku_api(app: str, api_key: str) -> Iterator[HerokuStandIn]:
    stand_in = HerokuStandIn("", api_key)

    class Handler(services.JsonHandler):
        def do_PATCH(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
            self._record(body)
            problems = self._problems(f"/apps/{app}/formation", RELEASE_ACCEPT)
            if problems is None:
                return
            updates = body.get("updates") if isinstance(body, dict) else None
            if not (isinstance(updates, list) and len(updates) == 1 and set(updates[0]) == {"type", "docker_image"}
                    and updates[0]["type"] == "web" and str(updates[0]["docker_image"]).startswith("sha256:")):
                problems.append(f"body {body}")
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                problems.append(f"Content-Type {self.headers.get('Content-Type')}")
            if problems:
                return self._answer(422, {"id": "invalid_params", "message": "; ".join(problems)})
            stand_in.releases.append({"version": len(stand_in.releases) + 1, "status": "pending", "current": False,
                                      "description": f"Deployed web ({updates[0]['docker_image'][7:19]})"})
            self._answer(200, [{"type": "web", "quantity": 1, "size": "basic", "command": None}])

        def do_GET(self) -> None:  # noqa: N802
            self._record(None)
            problems = self._problems(f"/apps/{app}/releases", V3_ACCEPT)
            if problems is None:
                return
            match = RANGE.match(self.headers.get("Range", ""))
            if not match:
                problems.append(f"Range {self.headers.get('Range')!r}")
            if problems:
                return self._answer(400, {"id": "bad_request", "message": "; ".join(problems)})
            newest = list(reversed(stand_in.releases))[: int(match.group(1) or match.group(2))]
            answer = [dict(entry) for entry in newest]
            for entry in newest:  # the next read sees the release finished
                if entry["status"] == "pending":
                    entry.update(status=stand_in.outcome, current=stand_in.outcome == "succeeded")
            self._answer(206 if len(newest) < len(stand_in.releases) else 200, answer)

        def _record(self, body: object) -> None:
            stand_in.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                      "body": body})

        def _problems(self, path: str, accept: str) -> list[str] | None:
            """None when a 401 was already sent; else what is wrong with path and Accept."""
            if self.headers.get("Authorization") != f"Bearer {api_key}":
                self._answer(401, {"id": "unauthorized", "message": "Invalid credentials provided."})
                return None
            problems = []
            if self.path != path:
                problems.append(f"path {self.path}")
            if self.headers.get("Accept") != accept:
                problems.append(f"Accept {self.headers.get('Accept')}")
            return problems

    with services.threaded(Handler) as address:
        stand_in.url = f"http://{address}"
        yield stand_in

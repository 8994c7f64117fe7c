"""s3: S3-compatible object storage, served by moto's server mode.

Why moto: it is a real HTTP server speaking the S3 REST API that boto3 and
botocore use unchanged (SigV4 requests, multipart uploads, presigned URLs);
it is Apache-2.0 and actively kept (getmoto, releases every few weeks); it
is on PyPI, so its stand-in installs offline from a wheelhouse resolved on
the host, like every app image here; it has an official image
(motoserver/moto) for the compose file a person runs elsewhere; and it
empties in one call (/moto-api/reset). MinIO is neither on PyPI nor in
Debian, and its binary cannot be downloaded here.
Its limit: moto accepts any access key, so generated keys reach the app the
way a deploy would set them, but a wrong key would not be caught here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests
from docker.models.containers import Container

from ..engine import docker_client, outbound
from ..errors import SmokeFailed
from .kinds import Start, narrowed
from .settings import S3Settings, ServiceSettings

# The server mode's own dependencies beside the S3 backend (moto[server] would pull every AWS service's).
SERVER_REQUIREMENTS = ("flask", "flask-cors")
MAKE_BUCKET = (
    "import os, boto3; region = os.environ['AWS_DEFAULT_REGION']; "
    "config = {} if region == 'us-east-1' else {'CreateBucketConfiguration': {'LocationConstraint': region}}; "
    "boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT_URL']).create_bucket(Bucket=os.environ['S3_BUCKET'], **config)"
)


REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+"')


def _bucket_xml(region: str) -> bytes:
    if region == "us-east-1":
        return b""
    return (b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b"<LocationConstraint>" + region.encode() + b"</LocationConstraint></CreateBucketConfiguration>")


class S3:
    name = "s3"
    port = 5000
    credentials = ("access_key", "secret_key")
    unit = "requests"

    def image(self, settings: ServiceSettings) -> str:
        return settings.image or f"motoserver/moto:{settings.version}"

    def standin(self, settings: ServiceSettings) -> dict[str, Any]:
        return {"template": "services/standin-moto.Dockerfile.j2", "files": {},
                "requirements": (f"moto[s3]=={settings.version}", *SERVER_REQUIREMENTS), "note": ""}

    def start(self, settings: ServiceSettings, creds: Mapping[str, str]) -> Start:
        return Start({})  # the image's own command: moto_server on 0.0.0.0:5000

    def ready(self, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> bool:
        try:
            return outbound.get(f"http://127.0.0.1:{host_port}/moto-api/", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def reset(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str],
              snapshot: bool) -> None:
        s3 = narrowed(settings, S3Settings)
        base = f"http://127.0.0.1:{host_port}"
        try:
            with outbound.session(base) as http:
                http.post(f"{base}/moto-api/reset", timeout=10).raise_for_status()
                http.put(f"{base}/{s3.bucket}", data=_bucket_xml(s3.region), timeout=10).raise_for_status()
        except requests.RequestException as exc:
            raise SmokeFailed(f"s3: emptying bucket {s3.bucket} failed: {exc}") from None

    def snapshot(self, container: Container, settings: ServiceSettings) -> bool:
        return False

    def uses(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> int:
        # moto's server logs every request it answers (werkzeug's access line). flaskship's own
        # go to /moto-api/ (readiness, reset), and PUT /<bucket> makes the bucket after a reset.
        s3 = narrowed(settings, S3Settings)
        ours = f"PUT /{s3.bucket}"
        return sum(1 for method, path in REQUEST_LINE.findall(docker_client.logs(container, "all"))
                   if not path.startswith("/moto-api/") and f"{method} {path}" != ours)

    def fields(self, host: str, port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, str]:
        s3 = narrowed(settings, S3Settings)
        return {"endpoint": f"http://{host}:{port}", "access_key": creds["access_key"],
                "secret_key": creds["secret_key"], "region": s3.region, "bucket": s3.bucket}

    def heroku(self, fields: Mapping[str, str]) -> tuple[str, str] | None:
        return None  # no first-party add-on: the manifest's variables, as config vars

    def compose(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any]:
        # Its own loopback, never through a proxy the container may have been given.
        return {"healthcheck": {"test": ["CMD", "python3", "-c",
                                         "import urllib.request as u; "
                                         "u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:5000/moto-api/')"]}}

    def compose_init(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any]:
        """A one-shot that creates the bucket (as `mc mb` does beside MinIO); web waits for it."""
        fields = self.fields(name, self.port, settings, creds)
        return {"entrypoint": ["python3", "-c", MAKE_BUCKET],
                "environment": {"S3_ENDPOINT_URL": fields["endpoint"], "S3_BUCKET": fields["bucket"],
                                "AWS_DEFAULT_REGION": fields["region"], "AWS_ACCESS_KEY_ID": fields["access_key"],
                                "AWS_SECRET_ACCESS_KEY": fields["secret_key"]}}


KIND = S3()

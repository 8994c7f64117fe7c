"""Upload a zip to Google Cloud Storage through the JSON API.

Objects are named by content hash, so an identical object already present is
skipped. STORAGE_EMULATOR_HOST (as Google's client libraries honour it)
points the calls at an emulator.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from urllib.parse import quote

import requests

from ...engine import outbound
from ...errors import PublishFailed

TIMEOUT = 60


def endpoint() -> str:
    return os.environ.get("STORAGE_EMULATOR_HOST", "https://storage.googleapis.com").rstrip("/")


def upload(path: Path, bucket: str, name: str, token: str, variable: str, target: str) -> bool:
    """Upload unless an identical object exists; return True when bytes were sent."""
    data = path.read_bytes()
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()  # GCS reports md5Hash in base64
    headers = {"Authorization": f"Bearer {token}"}
    base = endpoint()
    try:
        existing = outbound.get(f"{base}/storage/v1/b/{bucket}/o/{quote(name, safe='')}", headers=headers, timeout=TIMEOUT)
        if existing.status_code == 200 and existing.json().get("md5Hash") == md5:
            return False
        if existing.status_code == 404 and _bucket_missing(base, bucket, headers):
            raise PublishFailed(f"{target}: bucket gs://{bucket} does not exist; create it or fix targets.{target}.bucket")
        if existing.status_code in (401, 403):
            raise PublishFailed(f"{target}: gs://{bucket} refused the token (HTTP {existing.status_code}); set ${variable} to a valid token")
        response = outbound.post(f"{base}/upload/storage/v1/b/{bucket}/o", params={"uploadType": "media", "name": name},
                                 data=data, headers={**headers, "Content-Type": "application/zip"}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise PublishFailed(f"{target}: cannot reach {base} ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise PublishFailed(f"{target}: upload to gs://{bucket}/{name} failed: HTTP {response.status_code} {response.text[:200]}")
    if response.json().get("md5Hash") not in (None, md5):
        raise PublishFailed(f"{target}: gs://{bucket}/{name} stored with a different md5 than sent")
    return True


def _bucket_missing(base: str, bucket: str, headers: dict[str, str]) -> bool:
    return outbound.get(f"{base}/storage/v1/b/{bucket}", headers=headers, timeout=TIMEOUT).status_code == 404

"""cloudrun settings (pure data)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...fields import Region, RelPath, ServiceId, UrlPath
from ..base import TargetSettings


class CloudRunSettings(TargetSettings):
    kind: Literal["cloudrun"]
    service_id: ServiceId
    region: Region
    # A firebase.json of your own (relative to the manifest's folder) to ship
    # instead of the generated one; its first `hosting` site is used, with
    # `public` set to the app's static files. The build lints it against the app.
    firebase_json: RelPath | None = None
    # Pages you want Hosting's CDN to keep: the build warns when the app answers
    # one without `Cache-Control: public, s-maxage=...` (or max-age), or sets a cookie on it.
    cdn_pages: tuple[UrlPath, ...] = Field(default=(), strict=False)

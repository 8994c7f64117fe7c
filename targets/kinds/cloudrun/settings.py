"""cloudrun settings (pure data)."""

from __future__ import annotations

from typing import Literal

from ...fields import Region, ServiceId
from ..base import TargetSettings


class CloudRunSettings(TargetSettings):
    kind: Literal["cloudrun"]
    service_id: ServiceId
    region: Region

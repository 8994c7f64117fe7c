"""heroku settings (pure data)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import StringConstraints

from ...fields import ServiceId
from ..base import RegistryAuth, TargetSettings


class HerokuSettings(TargetSettings):
    # The app and the API only name where publish pushes and releases: heroku.yml has neither.
    publish_only: ClassVar[frozenset[str]] = TargetSettings.publish_only | {"app", "api"}

    kind: Literal["heroku"]
    app: ServiceId  # the Heroku app name: registry.heroku.com/<app>/web
    api: Annotated[str, StringConstraints(pattern=r"^https?://[A-Za-z0-9.:\[\]-]+$")] = "https://api.heroku.com"

    def repository(self) -> str:
        return self.registry or f"registry.heroku.com/{self.app}/web"

    def credentials(self) -> RegistryAuth:
        # Heroku's registry: user "_", the API key as password.
        return self.auth or RegistryAuth(username="_", password_env="HEROKU_API_KEY")

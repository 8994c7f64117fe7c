"""invoke base-images: local stand-ins for every image a manifest needs that cannot be pulled."""

from __future__ import annotations

from ..engine.base_images import build_standins
from ..manifest import Project
from ..services.images import build_standins as build_service_standins


def build_all(project: Project) -> list[str]:
    """Python bases, the nginx base, and the services' images (only for services a target uses)."""
    manifest = project.manifest
    refs = {t.base_image or manifest.base_image(): "python" for t in manifest.targets.values()}
    refs[manifest.defaults.nginx_image] = "nginx"
    built = build_standins(refs)
    used = {name: service for target in manifest.targets for name, service in manifest.services_of(target).items()}
    return built + build_service_standins(used, manifest.base_image(), project.build_dir / ".cache")

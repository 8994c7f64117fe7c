"""A service's image, in the order base images resolve: present, pullable, or a
local stand-in flaskship-standin/<ref>, built here on first need (announced).

The postgres and redis stand-ins are Debian's packages on the debootstrapped
bookworm every stand-in starts from; moto's is the project's Python base with
moto installed offline from wheels resolved on the host.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import templates, trim
from ..engine import base_images, wheelhouse
from .kinds import ServiceKind, behaviour
from .settings import ServiceSettings


def resolve(name: str, settings: ServiceSettings, kind: ServiceKind, python_base: str, cache_dir: Path,
            progress: Callable[[str], None] = print) -> str:
    """An image reference present in the engine for this service."""
    ref = kind.image(settings)
    if base_images.available(ref, progress):
        return ref
    standin = base_images.standin_ref(ref)
    if not current(settings, kind):
        progress(f"  services: {ref} cannot be pulled here; building local stand-in {standin} (once) ...")
        build_standin(settings, kind, python_base, cache_dir, progress)
    progress(f"  services: {name}: {ref} cannot be pulled here; using local stand-in {standin}"
             + kind.standin(settings)["note"])
    return standin


def recipe(settings: ServiceSettings, kind: ServiceKind) -> str:
    """A key of what a stand-in is built from (its templates' text, the version, the
    requirements): a stand-in built from another recipe is rebuilt."""
    made = kind.standin(settings)
    parts = [json.dumps({k: v for k, v in made.items() if k != "note"}, sort_keys=True), settings.version]
    parts += [Path(templates.where(name)).read_text(encoding="utf-8") for name in (made["template"], *made["files"].values())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def current(settings: ServiceSettings, kind: ServiceKind) -> bool:
    """The stand-in exists and was built from today's recipe."""
    return base_images.standin_recipe(kind.image(settings)) == recipe(settings, kind)


def build_standin(settings: ServiceSettings, kind: ServiceKind, python_base: str, cache_dir: Path,
                  progress: Callable[[str], None] = print) -> str:
    ref = kind.image(settings)
    made = kind.standin(settings)
    with tempfile.TemporaryDirectory(prefix="flaskship-service-standin-") as tmp:
        context = Path(tmp)
        variables = {"rootfs": base_images.ROOTFS_IMAGE, "version": settings.version,
                     "debian_version": made.get("debian_version", "")}
        if "requirements" in made:
            base = base_images.resolve(python_base, progress)
            requirements = "\n".join(made["requirements"]) + "\n"
            with trim.holding(cache_dir):  # a build's trim must not take the wheelhouse between these
                wheels = wheelhouse.ensure(requirements, base_images.probe(base), cache_dir, f"stand-in {ref}",
                                           progress)
                wheelhouse.link_into(wheels, context / "wheels")
            (context / "requirements.txt").write_text(requirements, encoding="utf-8")
            variables["base"] = base
        else:
            base_images.ensure_rootfs(progress)
        (context / "Dockerfile").write_text(templates.render(made["template"], **variables), encoding="utf-8")
        for filename, template in made["files"].items():
            (context / filename).write_text(templates.render(template, **variables), encoding="utf-8")
            (context / filename).chmod(0o555)
        return base_images.build_standin_image(context, ref, recipe(settings, kind), "services", progress)


def build_standins(services: dict[str, ServiceSettings], python_base: str, cache_dir: Path,
                   progress: Callable[[str], None] = print) -> list[str]:
    """`invoke base-images`: a stand-in for each service image that cannot be pulled (used ones only)."""
    built: list[str] = []
    for name, settings in sorted(services.items()):
        kind = behaviour(settings.kind)
        ref = kind.image(settings)
        standin = base_images.standin_ref(ref)
        if base_images.available(ref, progress=lambda _line: None):
            progress(f"  {ref} ({name}): available, no stand-in needed")
        elif current(settings, kind):
            progress(f"  {ref} ({name}): cannot be pulled; stand-in {standin} already built")
        else:
            progress(f"  building stand-in {standin} for {ref} ({name}) ...")
            built.append(build_standin(settings, kind, python_base, cache_dir, progress))
    return built

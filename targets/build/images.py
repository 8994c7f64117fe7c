"""Build every image a kind's render() declared: base resolved, wheels matched, labelled."""

from __future__ import annotations

from ..engine import base_images, docker_client, installer, sbom, wheelhouse
from ..engine.builder import BuildBase
from . import requirements as app_requirements
from .job import BuildJob, ImageSpec

_NOTED: set[tuple[str, str]] = set()  # (base, python) said already


def build_images(job: BuildJob) -> None:
    for spec in job.images:
        job.record.images[spec.role] = {"ref": spec.tag, "id": build_one(job, spec),
                                        "context": spec.context.relative_to(job.staging).as_posix()}


def build_one(job: BuildJob, spec: ImageSpec) -> str:
    base = base_images.resolve(spec.base, job.progress)
    buildargs = {"BASE_IMAGE": base}
    if spec.python:
        runtime = base_images.probe(base)
        if runtime.python != job.defaults.python and not job.settings.base_image \
                and (base, job.defaults.python) not in _NOTED:
            _NOTED.add((base, job.defaults.python))  # once per build, however many targets use it
            job.progress(f"  note: {base} has Python {runtime.python}, targets.yaml's defaults.python says "
                         f"{job.defaults.python}; the images run {runtime.python}")
        # A package app becomes its own wheel (built on the host), pinned by version in the
        # requirements.txt the image installs offline; see BuildJob.requirements().
        requirements = job.image_requirements(spec.context)
        (spec.context / "requirements.txt").write_text(requirements.text, encoding="utf-8")
        # A requirement without a wheel for this Python is built from its sdist, for this
        # very base: app.build_packages are Debian packages the builder adds.
        sources = BuildBase(spec.base, base, base_images.image_id(base), tuple(job.app.build_packages))
        wheels = wheelhouse.ensure(requirements.resolve, runtime, job.project.build_dir / ".cache", job.name,
                                   job.progress, local=requirements.wheels, sources=sources)
        wheelhouse.link_into(wheels, spec.context / "wheels", extra=requirements.wheels)
        # uv's image (or its stand-in) for the deps stage's COPY --from: not in the context.
        buildargs["UV_IMAGE"] = installer.image(runtime, job.project.build_dir / ".cache", job.name, job.progress)
        # In hash-checking mode, a wheel compiled here from a hashed sdist gets its
        # own sha256 beside the sdist's (pip accepts several --hash per line).
        (spec.context / "requirements.txt").write_text(
            app_requirements.with_wheel_hashes(requirements.text, sorted((spec.context / "wheels").glob("*.whl"))),
            encoding="utf-8")
    label = docker_client.LABEL
    image_id = docker_client.build_image(
        spec.context, spec.tag, job.name,
        {f"{label}.target": job.name, f"{label}.inputs": spec.tag.rpartition(":")[2], f"{label}.role": spec.role},
        buildargs=buildargs, progress=job.progress,
    )
    if spec.python:
        # What the image's venv really holds, beside the build record that names it.
        job.record.sboms[spec.role] = sbom.write(image_id, base_images.image_id(base),
                                                 job.staging / f"sbom-{spec.role}.cdx.json",
                                                 job.project.build_dir / ".cache", job.name, spec.tag)
    return image_id

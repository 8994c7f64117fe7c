"""One target's build in progress: what its kind renders, and what must then be built.

A kind's render() writes its platform files into job.staging and lays out each
image context with python_context() or image_context(). That is pure file work,
so unit tests can call it and inspect the result without Docker or network.
`invoke build` first calls job.lock(), the one step before render that may
reach the index (uv resolves, once, cached by its inputs), so that render writes
the build's lock into every context and the zip, and the no-op key, a hash of
what render wrote, changes whenever the lock does. build/images.py then builds
every image the render declared.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import templates
from ..engine import docker_client
from ..errors import BuildFailed
from ..files import tree_hash
from ..kinds import TargetSettings
from ..manifest import AppSource, Defaults, Project
from ..pins import GUNICORN
from ..records import BuildRecord
from ..ui.lines import notice
from . import requirements as app_requirements
from . import buildlock, manifest_slice, source
from .source import APP_DIR

APP_UID = "10001"


@dataclass(frozen=True)
class Server:
    """How gunicorn serves on one platform (build/templates/gunicorn.conf.py.j2)."""

    platform: str
    workers: str  # a Python expression, evaluated in the image: "1", "2 * _cpus() + 1"
    workers_why: str
    threads: int
    timeout: int  # 0: no worker timeout
    grace: int  # the platform's SIGTERM-to-SIGKILL window
    graceful_timeout: int  # under `grace`
    keepalive: int = 2


@dataclass(frozen=True)
class ImageSpec:
    """An image context laid out by render(), to be built by build/images.py."""

    role: str  # "app", "nginx", "runner"
    context: Path
    base: str  # the base image targets.yaml names (a stand-in may replace it at build time)
    tag: str  # flaskship/<target>[-<role>]:<hash of the rendered context>
    python: bool  # needs a wheelhouse matched to the base image's Python
    # Requirements a platform's runtime adds on top of the shared dependency layer
    # (platform-requirements.txt: the whole set; platform-wheels/ gets what it adds).
    platform: bool = False
    # The app's code, byte-compiled before the build: the context's src/, or, for an
    # image that gets its code when a container starts (the functions runner), a
    # folder of the staging area that stays beside the image (code.py).
    code: Path | None = None
    code_in_image: bool = True

    @property
    def code_at_start(self) -> bool:
        return self.code is not None and not self.code_in_image


@dataclass
class BuildJob:
    project: Project
    name: str
    settings: TargetSettings
    staging: Path
    progress: Callable[[str], None] = print
    record: BuildRecord = field(init=False)
    images: list[ImageSpec] = field(default_factory=list)
    # Platform lines -> the deploy text resolved for them by lock(); None: render as declared.
    locked: dict[tuple[str, ...], str] | None = None
    # Threads of alongside(), shared by every job of one `invoke build`, which waits for them.
    background: list[threading.Thread] | None = None
    # The target's last build, when its folder is as that build left it: an image whose
    # key it already holds is kept, not built again (build/images.py).
    previous: BuildRecord | None = None
    # Role -> work that needs the image's venv and code, not the image itself (the Hosting
    # lint): build/images.py calls it with the shared stage's tag once that exists and the
    # code is byte-compiled, so it can run beside the image's own build.
    on_stage: dict[str, Callable[[str], None]] = field(default_factory=dict)
    # The app's code as app.build left it (build/appbuild.py), when the manifest has a
    # build step: every copy of the code (each image's src/, the zip) is made from it.
    built: Path | None = None

    def __post_init__(self) -> None:
        self.record = BuildRecord(target=self.name, kind=self.settings.kind,
                                  manifest=manifest_slice.digest(self.project, self.name))

    @property
    def app(self) -> AppSource:
        return self.project.manifest.app

    @property
    def defaults(self) -> Defaults:
        return self.project.manifest.defaults

    def base_image(self) -> str:
        return self.settings.base_image or self.project.manifest.base_image()

    def write(self, relative: str, template: str, **context: Any) -> Path:
        path = self.staging / relative
        templates.write(path, templates.render(template, **context))
        return path

    def alongside(self, work: Callable[[], None]) -> None:
        """Run `work` on a thread of its own while the build goes on: for a check that only
        warns and reads nothing from the staging folder (it may have become build/<name>/
        by then). Without `background` (render_only, tests), now."""
        if self.background is None:
            work()
            return

        def run() -> None:
            try:
                work()
            except KeyboardInterrupt:
                return  # Ctrl-C: it unwound through its own finally blocks; the main thread says so
            except Exception as exc:  # noqa: BLE001 - a check that only warns: its failure is one more warning
                said = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                with contextlib.suppress(KeyboardInterrupt):
                    notice(self.progress, f"  {self.name}: warning: a check did not finish: {said}")

        thread = threading.Thread(target=run, name=f"flaskship-{self.name}-alongside")
        self.background.append(thread)
        thread.start()

    def lock(self) -> None:
        """The build's lock (build/buildlock.py): every platform set's requirements, resolved.
        The only step of a build before its no-op check that may use the network."""
        self.locked = buildlock.lock_all(self.project, self.name, self.settings.kind, self.progress)

    def requirements(self, extra: tuple[str, ...]) -> str:
        """The app's requirements plus what the platform's server needs, deploy-time.

        Two texts, because the app may be a package (a pyproject.toml, or a `.`
        line): a platform that runs `pip install -r` in the app's folder with
        network (Cloud Functions, on the zip) gets `.` for the app itself, while
        an image installs offline and gets image_requirements() at build time,
        where `.` is the app's wheel, built on the host, pinned by its exact
        version. render() writes this text into every context's requirements.txt
        (so rendering needs no pip); build/images.py swaps in the image text.
        Before lock(), the text as declared (nothing resolved: no network).
        """
        if self.locked is None:
            return app_requirements.deploy_text(self.project.app_dir, self.app.requirements, extra, self.name)
        # The same lines in any order are the same set (the runner adds its framework after gunicorn).
        found = [text for lines, text in self.locked.items() if sorted(lines) == sorted(extra)]
        if not found:
            raise KeyError(f"{extra} is not the platform set of any kind (targets/kinds/__init__.py)")
        return found[0]

    def image_requirements(self, spec: ImageSpec, name: str = "requirements.txt") -> app_requirements.ImageRequirements:
        """Image-time requirements for a context laid out by python_context(): its
        requirements.txt with the app built from its code (src/, or the code its
        containers get at start) into a wheel and pinned."""
        assert spec.code is not None, "a Python image's context has its code"
        text = (spec.context / name).read_text(encoding="utf-8")
        return app_requirements.for_image(text, spec.code, self.project.build_dir / ".cache", self.name,
                                          self.progress)

    def python_context(self, context: Path, template: str, role: str = "app",
                       extra_requirements: tuple[str, ...] = (GUNICORN,), src: Path | None = None,
                       prestart_script: bool = True, platform_requirements: tuple[str, ...] = (),
                       server: Server | None = None, code_in_image: bool = True, **variables: Any) -> str:
        """Lay out a Python image context (Dockerfile, requirements.txt, src/); return its tag.

        `src` defaults to the app source; the functions kind passes the unpacked zip.
        The wheels/ folder is added at build time, once the base image's Python is known.
        `platform_requirements` (functions-framework for the functions runner) are not
        in requirements.txt, so the dependency layer stays the one every image of this
        base shares; build/images.py adds what they bring in a layer of their own.
        app.prestart becomes the image's ENTRYPOINT unless the kind runs it itself
        (`prestart_script=False`: the functions entry does, at cold start).
        `code_in_image=False` (with `src`): the image holds no code; `src` stays where it
        is, and every container of the image gets it at start (build/code.py).
        """
        prestart = self.app.prestart if prestart_script else None
        requirements = self.requirements(extra_requirements)
        templates.write(context / "requirements.txt", requirements)
        if platform_requirements:
            templates.write(context / "platform-requirements.txt",
                            self.requirements(extra_requirements + platform_requirements))
        if not code_in_image:
            assert src is not None and not src.is_relative_to(context), "an image without its code needs a folder beside it"
            code = src
        elif src is None:
            code = context / "src"
            self.copy_source(code)
        else:
            code = context / "src"
            shutil.copytree(src, code)
        self._writable_folders(code)
        templates.write(context / "Dockerfile", templates.render(
            template, base=self.base_image(), app=self.app, uid=APP_UID, port=self.settings.port,
            cache_control=self.defaults.cache_control, labels=self.labels(role),
            shared_labels={**docker_client.project_labels(), f"{docker_client.LABEL}.role": "deps"},
            prestart=prestart is not None, system_packages=self.app.system_packages,
            code_in_image=code_in_image, own_files=f"{APP_DIR}/{source.OWN_FILES}", **variables))
        # What flaskship adds to run the app (gunicorn's settings, the prestart script)
        # travels in the code's own COPY, in its .flaskship/ folder: one step, not one more
        # per file (each step is a container and a commit).
        ours = code / source.OWN_FILES
        if server is not None:
            assert code_in_image, "a gunicorn image carries its settings in its code's folder"
            templates.write(ours / "gunicorn.conf.py", templates.render(
                "build/gunicorn.conf.py.j2", port=self.settings.port, **server.__dict__))
        if prestart is not None:
            assert code_in_image, "a prestart script travels in the code's folder"
            script = ours / "prestart.sh"
            templates.write(script, templates.render("build/prestart.sh.j2", command=prestart))
            script.chmod(0o755)  # root's in the image: run by any uid, written by none but root
        return self._declare(role, context, self.base_image(), python=True, platform=bool(platform_requirements),
                             code=code, code_in_image=code_in_image)

    def copy_source(self, dest: Path) -> None:
        """The code as it ships, into `dest` (which must not exist yet): the app source minus
        what ignore.py leaves out (source.copy), or, with app.build, what the build step made
        of that (already left out once, and said so then)."""
        if self.built is None:
            source.copy(self.project, dest, self.progress)
        else:
            shutil.copytree(self.built, dest, symlinks=True)

    def stage_context(self, context: Path, src: Path) -> ImageSpec:
        """A context for the shared dependency stage alone, with `src` as its code (the
        app's wheel, for a package app, is built from it), declared to no build: the
        stage app.build runs in, which this target's images then share."""
        self.python_context(context, "build/python.Dockerfile.j2", role="build", src=src, code_in_image=False,
                            prestart_script=False)
        return self.images.pop()

    def writable_dirs(self) -> list[str]:
        """Flask's instance folder (beside the app's top-level module or package,
        where Flask looks for it) and every app.writable folder, relative to the app's folder."""
        return ["instance", *(path.rstrip("/") for path in self.app.writable)]

    def _writable_folders(self, src: Path) -> None:
        """Make the writable folders in the code's folder, mode 1777 (sticky, as /tmp):
        the image's COPY keeps the mode (and so does code.py's tar, for an image that
        gets its code at start), so no RUN (a container and a commit) makes them."""
        for relative in self.writable_dirs():
            folder = src / relative
            if folder.exists() and not folder.is_dir():
                raise BuildFailed(f"{self.name}: app.writable: {relative} is a file in {self.app.source}/; "
                                  "name a folder, or move the file")
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o1777)

    def labels(self, role: str) -> dict[str, str]:
        """The image's labels, written into its Dockerfile as one LABEL step."""
        return {**docker_client.image_labels(self.name), f"{docker_client.LABEL}.role": role}

    def image_context(self, context: Path, role: str, base: str) -> str:
        """Declare a context that needs no wheelhouse (its files are already in place)."""
        return self._declare(role, context, base, python=False)

    def _declare(self, role: str, context: Path, base: str, python: bool, platform: bool = False,
                 code: Path | None = None, code_in_image: bool = True) -> str:
        repo = f"flaskship/{self.name}" + ("" if role == "app" else f"-{role}")
        # The image carries its project's label, so two projects with the same context
        # make two images: the tag names the project too, or one build would take the
        # other's tag and leave its image untagged (and prunable).
        digest = tree_hash(context)
        if docker_client.PROJECT:
            digest = hashlib.sha256(f"{digest}\n{docker_client.PROJECT}".encode()).hexdigest()
        tag = f"{repo}:{digest[:12]}"
        self.images.append(ImageSpec(role, context, base, tag, python, platform, code, code_in_image))
        return tag

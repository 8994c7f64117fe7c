"""The tasks, as one namespace: `invoke` in this repo (tasks.py re-exports it) and
the installed `flaskship` command (an invoke Program over it) are the same.

Argument parsing and wiring only; the work is in targets/commands. Each task
imports its command when it runs, so `--list` and --help stay fast and never
load the Docker SDK.
"""

from __future__ import annotations

import atexit
import gc
import shlex
import sys

from invoke import Collection, Context, Program, task

from .cli import guarded, manifests

# Each run is one process, which ends when its task does. The collector's last pass at
# exit went over everything still alive (the Docker SDK, pydantic's models, the run's
# records) to free memory the exit frees anyway: 0.11 s of an `invoke build` after a
# one-line edit (1.27 s to 1.16 s, medians of 16 interleaved rounds) and 25 ms of a
# no-op. Frozen, it skips them. The trade: an object left in a reference cycle then gets
# no __del__ at exit. Nothing here relies on one: files and temporary folders are closed
# by `with` or weakref.finalize (whose own atexit handler still runs), thread pools are
# joined before exit, and the flush of stdout and stderr still happens.
atexit.register(gc.freeze)

MANIFEST_HELP = "Path to the manifest (default: targets.yaml)."
TARGET_HELP = "Target names from targets.yaml: comma-separated or repeated; 'all' (default) for every one."
JSON_HELP = "Print the results as JSON on stdout (progress goes to stderr)."
JOBS_HELP = "How many targets at a time (default: the number of cores; smoke: one more)."
VERBOSE_HELP = "Show every build log and check line (default: one line per target, logs only on failure)."


def _load(manifest: str) -> manifests.Project:
    return manifests.load(manifests.locate(manifest))


def _open(manifest: str) -> manifests.Project:
    """Load the manifest, and label what the engine starts for this project (invoke clean finds it by that)."""
    from .engine import docker_client

    project = _load(manifest)
    docker_client.use_project(project.root)
    if manifest != manifests.DEFAULT_MANIFEST:  # a fix it names must read this manifest too
        from .engine import base_images
        base_images.FIX_ARGS = f" --manifest {shlex.quote(manifest)}"
    return project


@task(iterable=["target"], help={"target": TARGET_HELP, "manifest": MANIFEST_HELP, "json": JSON_HELP,
                                 "jobs": JOBS_HELP, "verbose": VERBOSE_HELP})
def build(c: Context, target: list[str] | None = None, manifest: str = manifests.DEFAULT_MANIFEST,
          json: bool = False, jobs: int = 0, verbose: bool = False) -> None:
    """Render build/<target>/ from targets.yaml and build its image or zip."""
    with guarded():
        from .commands import noop
        if not (verbose or json) and noop.up_to_date(manifests.locate(manifest), target or ["all"]):
            return  # nothing any selected target is made of changed (stat only; see commands/noop.py)
        from .commands.build import build as build_targets
        from .report.summary import summarised
        from .ui.progress import Reporter
        project = _open(manifest)
        with summarised("build", project, target or ["all"], json) as out, \
                Reporter(verbose=verbose, stream=out.stream) as report:
            build_targets(project, target or ["all"], report, jobs=jobs or None)


@task(iterable=["target"], help={
    "target": TARGET_HELP,
    "env": "Environment from targets.yaml whose variables the app runs with (default: defaults.environment).",
    "force": "Run every target even if it passed before with the same inputs, checks and environment.",
    "manifest": MANIFEST_HELP,
    "json": JSON_HELP,
    "jobs": JOBS_HELP,
    "verbose": VERBOSE_HELP,
})
def smoke(c: Context, target: list[str] | None = None, env: str = "", force: bool = False,
          manifest: str = manifests.DEFAULT_MANIFEST, json: bool = False, jobs: int = 0, verbose: bool = False) -> None:
    """Run each built target as its platform would and put the same HTTP checks to it."""
    with guarded():
        from .commands.smoke import smoke as smoke_targets
        from .report.summary import summarised
        from .ui.progress import Reporter
        project = _open(manifest)
        with summarised("smoke", project, target or ["all"], json) as out, \
                Reporter(verbose=verbose, stream=out.stream) as report:
            smoke_targets(project, target or ["all"], env or None, report, force=force, jobs=jobs or None)


@task(iterable=["target"], help={
    "target": TARGET_HELP,
    "env": "Environment the release is for (default: defaults.environment).",
    "dry-run": "Print the exact tags and credential variables (set or not) per artifact; push nothing; "
               "exit non-zero if publishing would fail.",
    "check": "CI preflight before building: only the publish settings and credential variables; exit non-zero on a problem.",
    "force": "Publish even if the build changed since it passed smoke (not recommended).",
    "release": "For heroku targets, also release the image to the web process via the Platform API.",
    "allow-standin": "Publish images built on a local stand-in base instead of the base targets.yaml names.",
    "manifest": MANIFEST_HELP,
    "json": JSON_HELP,
})
def publish(c: Context, target: list[str] | None = None, env: str = "", dry_run: bool = False, check: bool = False,
            force: bool = False, release: bool = False, allow_standin: bool = False,
            manifest: str = manifests.DEFAULT_MANIFEST, json: bool = False) -> None:
    """Push exactly what passed smoke, by digest, and write build/release.json."""
    with guarded():
        from .commands.publish import publish as publish_targets
        from .report.summary import summarised
        project = _open(manifest)
        with summarised("publish", project, target or ["all"], json) as out:
            out.result = publish_targets(project, target or ["all"], env or None, dry_run=dry_run, check=check,
                                         force=force, release=release, allow_standin=allow_standin,
                                         progress=out.progress)


@task(name="base-images", help={"manifest": MANIFEST_HELP})
def base_images(c: Context, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Build local stand-ins (debootstrap + docker import) for base and service images that cannot be pulled."""
    with guarded():
        from .commands.standins import build_all
        built = build_all(_load(manifest))
        print(f"base-images: {len(built)} stand-in(s) built" + (f": {', '.join(built)}" if built else ""))


@task(iterable=["env"], help={
    "app": "Folder of the existing Flask app to look at.",
    "env": "NAME=value the app needs to import (repeatable): the probe runs with it, and the manifest lists it "
           "(a secret's name under secrets, its value never written).",
    "force": "Overwrite the manifest if it already exists.",
    "manifest": "Where to write the manifest (default: <app>/targets.yaml); the app must be inside its folder.",
    "entry": "The WSGI app as module:attr or module:factory(), instead of detecting it (e.g. when several are found).",
})
def init(c: Context, app: str = "", force: bool = False, manifest: str = "", entry: str = "",
         env: list[str] | None = None) -> None:
    """Look at an existing Flask app and write a starting targets.yaml with one target of each kind."""
    with guarded():
        from .commands.init import init as init_manifest
        init_manifest(app, manifest or None, force=force, entry=entry or None, env=env or ())


@task(help={"manifest": MANIFEST_HELP})
def schema(c: Context, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Write targets.schema.json (JSON Schema of targets.yaml, for editors)."""
    with guarded():
        out = _load(manifest).root / "targets.schema.json"
        out.write_text(manifests.json_schema(), encoding="utf-8")
        print(f"wrote {out}")


@task(help={"rounds": "Repetitions per figure; medians and spread are reported (default: 3).",
            "quick": "One round, short loads, no 16-target figure: a check that the bench runs, not figures to quote.",
            "scale": "Also measure a generated 16-target manifest against the 4 targets (default: on; off with --quick).",
            "deps": "Instead: the dependency step alone (57 pinned packages), cold and warm, ours vs pip in the image.",
            "manifest": MANIFEST_HELP})
def bench(c: Context, rounds: int = 3, quick: bool = False, scale: bool = True, deps: bool = False,
          manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Race flaskship against tutorial-style Dockerfiles on every target; print figures, write build/bench.json."""
    with guarded():
        if deps:
            from .commands.bench_deps import bench_deps
            bench_deps(_open(manifest), rounds)
            return
        from .commands.bench import bench as bench_all
        bench_all(_open(manifest), rounds, quick=quick, scale=scale)


@task(help={"manifest": MANIFEST_HELP})
def doctor(c: Context, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Check the engine, compose, base images, disk, firebase-tools and credential variables; say how to fix each."""
    with guarded():
        from .commands.doctor import doctor as check
        check(_load(manifest))


@task(help={"manifest": MANIFEST_HELP, "keep-build": "Keep build/ (remove only what is in the engine)."})
def clean(c: Context, manifest: str = manifests.DEFAULT_MANIFEST, keep_build: bool = False) -> None:
    """Remove build/ and this project's labelled containers, networks and superseded images (latest kept)."""
    with guarded():
        from .commands.clean import clean as clean_project
        clean_project(_load(manifest), keep_build=keep_build)


@task(help={"target": "The one target to run (its name in targets.yaml).",
            "env": "Environment from targets.yaml whose variables it runs with (default: defaults.environment).",
            "manifest": MANIFEST_HELP})
def up(c: Context, target: str, env: str = "", manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Run one built target as its platform runs it; print its URL and follow its logs until Ctrl-C."""
    with guarded():
        from .commands.up import up as run_target
        run_target(_open(manifest), target, env or None)


@task(help={"manifest": MANIFEST_HELP})
def report(c: Context, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Write build/report.html: parity matrix, size, build-time and cold-start charts, release (self-contained)."""
    with guarded():
        from .commands.report import report as write_report
        write_report(_load(manifest))


@task(positional=["shell"], help={"shell": "The shell to complete in (bash; zsh through bashcompinit)."})
def completion(c: Context, shell: str) -> None:
    """Print a shell completion script that also completes target and environment names: eval "$(flaskship completion bash)"."""
    with guarded():
        from .commands.completion import script
        print(script(shell), end="")


@task(positional=["kind"], help={"kind": "targets or environments.", "manifest": MANIFEST_HELP})
def names(c: Context, kind: str, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Print the target or environment names of targets.yaml, one a line (used by completion)."""
    with guarded():
        from .commands.completion import names as listed
        print("\n".join(listed(_load(manifest), kind)))


@task(iterable=["target"], help={"target": TARGET_HELP, "manifest": MANIFEST_HELP})
def matrix(c: Context, target: list[str] | None = None, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Print the targets as a GitHub Actions matrix (JSON, one line) for a job per target."""
    with guarded():
        from .commands.matrix import matrix as as_matrix
        print(as_matrix(_load(manifest), target or ["all"]))


namespace = Collection.from_module(sys.modules[__name__])
program = Program(namespace=namespace, name="flaskship", binary="flaskship", binary_names=["flaskship"], version="0.1.0")

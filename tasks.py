"""Invoke tasks: argument parsing and wiring only. The work is in targets/commands."""

# Each task imports its command when it runs, so `invoke --list` and --help
# stay fast and never load the Docker SDK.

from invoke import Context, task

from targets.cli import guarded, manifests

MANIFEST_HELP = "Path to the manifest (default: targets.yaml)."
TARGET_HELP = "Target names from targets.yaml: comma-separated or repeated; 'all' (default) for every one."
JOBS_HELP = "How many targets at a time (default: the number of cores)."
VERBOSE_HELP = "Show every build log and check line (default: one line per target, logs only on failure)."


@task(iterable=["target"], help={"target": TARGET_HELP, "manifest": MANIFEST_HELP, "jobs": JOBS_HELP,
                                 "verbose": VERBOSE_HELP})
def build(c: Context, target: list[str] | None = None, manifest: str = manifests.DEFAULT_MANIFEST, jobs: int = 0,
          verbose: bool = False) -> None:
    """Render build/<target>/ from targets.yaml and build its image or zip."""
    with guarded():
        from targets.commands import noop
        if not verbose and noop.up_to_date(manifest, target or ["all"]):
            return  # nothing any selected target is made of changed (stat only; see noop.py)
        from targets.commands.build import build as build_targets
        from targets.ui.progress import Reporter
        with Reporter(verbose=verbose) as report:
            build_targets(manifests.load(manifest), target or ["all"], report, jobs=jobs or None)


@task(iterable=["target"], help={
    "target": TARGET_HELP,
    "env": "Environment from targets.yaml whose variables the app runs with (default: defaults.environment).",
    "force": "Run every target even if it passed before with the same inputs, checks and environment.",
    "manifest": MANIFEST_HELP,
    "jobs": JOBS_HELP,
    "verbose": VERBOSE_HELP,
})
def smoke(c: Context, target: list[str] | None = None, env: str = "", force: bool = False,
          manifest: str = manifests.DEFAULT_MANIFEST, jobs: int = 0, verbose: bool = False) -> None:
    """Run each built target as its platform would and put the same HTTP checks to it."""
    with guarded():
        from targets.commands.smoke import smoke as smoke_targets
        from targets.ui.progress import Reporter
        with Reporter(verbose=verbose) as report:
            smoke_targets(manifests.load(manifest), target or ["all"], env or None, report, force=force,
                          jobs=jobs or None)


@task(name="base-images", help={"manifest": MANIFEST_HELP})
def base_images(c: Context, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Build local stand-ins (debootstrap + docker import) for base images that cannot be pulled."""
    with guarded():
        from targets.engine.base_images import build_standins
        project = manifests.load(manifest)
        refs = {t.base_image or project.manifest.base_image(): "python" for t in project.manifest.targets.values()}
        refs[project.manifest.defaults.nginx_image] = "nginx"
        built = build_standins(refs)
        print(f"base-images: {len(built)} stand-in(s) built" + (f": {', '.join(built)}" if built else ""))


@task(help={
    "app": "Folder of the existing Flask app to look at.",
    "force": "Overwrite the manifest if it already exists.",
    "manifest": "Where to write the manifest (default: <app>/targets.yaml); the app must be inside its folder.",
    "entry": "The WSGI app as module:attr or module:factory(), instead of detecting it (e.g. when several are found).",
})
def init(c: Context, app: str = "", force: bool = False, manifest: str = "", entry: str = "") -> None:
    """Look at an existing Flask app and write a starting targets.yaml with one target of each kind."""
    with guarded():
        from targets.commands.init import init as init_manifest
        init_manifest(app, manifest or None, force=force, entry=entry or None)


@task(help={"manifest": MANIFEST_HELP})
def schema(c: Context, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Write targets.schema.json (JSON Schema of targets.yaml, for editors)."""
    with guarded():
        out = manifests.load(manifest).root / "targets.schema.json"
        out.write_text(manifests.json_schema(), encoding="utf-8")
        print(f"wrote {out}")


@task(iterable=["target"], help={
    "target": TARGET_HELP,
    "env": "Environment the release is for (default: defaults.environment).",
    "dry-run": "Print what would be pushed, where, and with which credentials variable; push nothing.",
    "force": "Publish even if the build changed since it passed smoke (not recommended).",
    "release": "For heroku targets, also release the image to the web process via the Platform API.",
    "manifest": MANIFEST_HELP,
})
def publish(c: Context, target: list[str] | None = None, env: str = "", dry_run: bool = False, force: bool = False,
            release: bool = False, manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Push exactly what passed smoke, by digest, and write build/release.json."""
    with guarded():
        from targets.commands.publish import publish as publish_targets
        publish_targets(manifests.load(manifest), target or ["all"], env or None, dry_run=dry_run, force=force, release=release)


@task(help={"rounds": "Repetitions per figure; medians and spread are reported (default: 3).",
            "quick": "One round, short loads, no 16-target figure: a check that the bench runs, not figures to quote.",
            "scale": "Also measure a generated 16-target manifest against the 4 targets (default: on; off with --quick).",
            "manifest": MANIFEST_HELP})
def bench(c: Context, rounds: int = 3, quick: bool = False, scale: bool = True,
          manifest: str = manifests.DEFAULT_MANIFEST) -> None:
    """Race flaskship against tutorial-style Dockerfiles on every target; print figures, write build/bench.json."""
    with guarded():
        from targets.commands.bench import bench as bench_all
        bench_all(manifests.load(manifest), rounds, quick=quick, scale=scale)

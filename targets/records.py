"""The records in build/: what a build produced (build/<target>/build.json),
and what smoke found (build/smoke.json), read by smoke and publish.

A record that is missing, truncated or hand-edited into the wrong shape is a
RecordError naming the file and the command that rewrites it, never a
traceback. smoke.json is shared by every smoke run: each merges its targets
into it under a lock (read, merge, write atomically), so two smokes at once
both keep their results.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import RecordError
from .files import atomic_write, tree_hash

RECORD = "build.json"
SMOKE_REPORT = "smoke.json"
# build/.app-build/src: the code as the last build's app.build left it (build/appbuild.py),
# where smoke reads the static file every target must serve; a copy, not a link into the
# cache, which a trim may take. A dot: no target's folder can have the name.
APP_BUILD = ".app-build"


@dataclass
class BuildRecord:
    target: str
    kind: str
    inputs: str = ""  # sha256 over every file in build/<target>/ but this record
    images: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> {ref, id}
    archives: dict[str, dict[str, str | int]] = field(default_factory=dict)  # role -> {path, sha256, size}
    sboms: dict[str, dict[str, str]] = field(default_factory=dict)  # image role -> {path, format, sha256, components}
    seconds: float = 0.0
    key: str = ""  # the inputs' key (build/freshness.py): equal keys mean nothing to rebuild
    manifest: str = ""  # hash of the target's slice of targets.yaml (build/manifest_slice.py)

    def image(self, role: str = "app") -> str:
        return self.images[role]["id"]

    def save(self, folder: Path) -> None:
        atomic_write(folder / RECORD, json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, build_dir: Path, target: str) -> BuildRecord:
        path = build_folder(build_dir) / target / RECORD
        rebuild = f"rebuild with `invoke build --target {target}`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RecordError(f"{target}: not built yet ({path} missing); run `invoke build --target {target}`") from None
        except NotADirectoryError:
            raise RecordError(f"{target}: {path.parent} is not a folder; move it away and {rebuild}") from None
        except OSError as exc:
            raise RecordError(f"{target}: {path} cannot be read ({exc.strerror}); {rebuild}") from None
        except ValueError as exc:
            raise RecordError(f"{target}: {path} is unreadable ({_short(exc)}); {rebuild}") from None
        why = _shape_problem(data, target)
        if why:
            raise RecordError(f"{target}: {path} is not a build record ({why}); {rebuild}")
        return cls(**data)


def _shape_problem(data: Any, target: str) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    known = {f.name: f.type for f in fields(BuildRecord)}
    if set(data) - set(known) or not {"target", "kind"} <= set(data):
        return "unexpected or missing keys"
    if data["target"] != target:
        return f"it belongs to target {data['target']!r}"
    for name in ("target", "kind", "inputs", "key"):
        if not isinstance(data.get(name, ""), str):
            return f"{name} is not a string"
    if not isinstance(data.get("seconds", 0.0), (int, float)):
        return "seconds is not a number"
    for name, inner in (("images", ("ref", "id")), ("archives", ("path", "sha256"))):
        entries = data.get(name, {})
        if not isinstance(entries, dict) or not all(
                isinstance(entry, dict) and all(isinstance(entry.get(key), str) for key in inner)
                for entry in entries.values()):
            return f"{name} is malformed"
    return None


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def folder_hash(folder: Path) -> str:
    """What a build record's `inputs` hashes: the folder, minus the record itself."""
    return tree_hash(folder, frozenset({RECORD}))


def build_folder(build_dir: Path) -> Path:
    """build/, refusing a file in its place (every later step would fail obscurely)."""
    if build_dir.exists() and not build_dir.is_dir():
        raise RecordError(f"{build_dir} is a file, not a folder; flaskship writes its output there: move the file away")
    return build_dir


def load_smoke(build_dir: Path) -> dict[str, Any]:
    """build/smoke.json; {"targets": {}} when there is none. RecordError when it is unreadable."""
    path = build_folder(build_dir) / SMOKE_REPORT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"targets": {}}
    except OSError as exc:
        raise RecordError(f"{path} cannot be read ({exc.strerror}); run `invoke smoke` to rewrite it") from None
    except ValueError as exc:
        raise RecordError(f"{path} is unreadable ({_short(exc)}); run `invoke smoke` to rewrite it") from None
    if not (isinstance(data, dict) and isinstance(data.get("targets"), dict)
            and all(isinstance(entry, dict) for entry in data["targets"].values())):
        raise RecordError(f"{path} is not a smoke report (no mapping of targets); run `invoke smoke` to rewrite it")
    return data


def smoked_in(entry: Mapping[str, Any] | None, env: str) -> Mapping[str, Any] | None:
    """The verdict a smoke report holds for one target in one environment, or None."""
    if not entry:
        return None
    by_env = entry.get("environments")
    if isinstance(by_env, dict):
        found = by_env.get(env)
        return found if isinstance(found, dict) else None
    return entry if entry.get("env") == env else None  # a report from before environments were kept apart


@contextmanager
def _locked(build_dir: Path) -> Iterator[None]:
    with open(build_dir / f".{SMOKE_REPORT}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def merge_smoke(build_dir: Path, entries: Mapping[str, Mapping[str, Any]],
                top: Mapping[str, Any] | None = None) -> list[str]:
    """Merge targets' entries (and `top`-level keys, replaced whole) into build/smoke.json
    under a lock; other targets, and other environments of these targets, stay as they
    are. A report that cannot be read is replaced (its results are lost either way);
    returns notes to print."""
    build_folder(build_dir).mkdir(parents=True, exist_ok=True)
    notes = []
    with _locked(build_dir):
        try:
            report = load_smoke(build_dir)
        except RecordError as exc:
            notes.append(f"note: {exc.message.split(';')[0]}; writing a new one")
            report = {"targets": {}}
        for name, entry in entries.items():
            old = report["targets"].get(name) or {}
            by_env = dict(old.get("environments") or {}) if isinstance(old.get("environments"), dict) else {}
            by_env[str(entry["env"])] = {k: v for k, v in entry.items() if k not in ("results", "environments")}
            report["targets"][name] = {**entry, "environments": by_env}
        report.update(top or {})
        atomic_write(build_dir / SMOKE_REPORT, json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return notes

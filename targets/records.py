"""build/<target>/build.json: what a build produced, read by smoke and publish."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import RecordError
from .files import atomic_write, tree_hash

RECORD = "build.json"


@dataclass
class BuildRecord:
    target: str
    kind: str
    inputs: str = ""  # sha256 over every file in build/<target>/ but this record
    images: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> {ref, id}
    archives: dict[str, dict[str, str | int]] = field(default_factory=dict)  # role -> {path, sha256, size}
    seconds: float = 0.0
    key: str = ""  # the inputs' key (build/freshness.py): equal keys mean nothing to rebuild
    manifest: str = ""  # hash of the target's slice of targets.yaml (build/manifest_slice.py)

    def image(self, role: str = "app") -> str:
        return self.images[role]["id"]

    def save(self, folder: Path) -> None:
        atomic_write(folder / RECORD, json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, build_dir: Path, target: str) -> BuildRecord:
        path = build_dir / target / RECORD
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise RecordError(f"{target}: not built yet ({path} missing); run `invoke build --target {target}`") from None
        except (ValueError, TypeError) as exc:
            raise RecordError(f"{target}: {path} is unreadable ({exc}); rebuild with `invoke build --target {target}`") from None


def folder_hash(folder: Path) -> str:
    """What a build record's `inputs` hashes: the folder, minus the record itself."""
    return tree_hash(folder, frozenset({RECORD}))

"""build/<target>/build.json: what a build produced, read by smoke and publish."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import SmokeFailed

RECORD = "build.json"


@dataclass
class BuildRecord:
    target: str
    kind: str
    inputs: str = ""  # sha256 over every file in build/<target>/ but this record
    images: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> {ref, id}
    archives: dict[str, dict[str, str | int]] = field(default_factory=dict)  # role -> {path, sha256, size}
    seconds: float = 0.0

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
            raise SmokeFailed(f"{target}: not built yet ({path} missing); run `invoke build --target {target}`") from None
        except (ValueError, TypeError) as exc:
            raise SmokeFailed(f"{target}: {path} is unreadable ({exc}); rebuild with `invoke build --target {target}`") from None


def tree_hash(folder: Path, skip: frozenset[str] = frozenset({RECORD})) -> str:
    """A content hash of a folder: relative paths, exec bits and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in skip:
            continue
        executable = os.access(path, os.X_OK)
        digest.update(f"{rel}\0{int(executable)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def atomic_write(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never a part; a failure leaves no temp file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

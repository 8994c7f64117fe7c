"""Checked-hash .pyc files for every .py under a folder, as an image's Python reads them.

Standard library only, and valid on every Python flaskship builds for (3.8 and up):
engine/bytecode.py imports it when the host runs the base's Python version, and
runs it as a script with a host install of that version when not
(its text as `python3.X -c`, with SRC and DEST).
"""

from __future__ import annotations

import os
import py_compile
import sys
from pathlib import Path, PurePosixPath


def sources(src: Path) -> list[Path]:
    """Every .py file under `src`, as compileall finds them: into no linked folder."""
    found = []
    for folder, dirs, names in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found += [path for path in (Path(folder, name) for name in sorted(names) if name.endswith(".py"))
                  if path.is_file()]
    return found


def share(paths: list[Path], index: int, shares: int) -> list[Path]:
    """The `index`th of `shares` parts of `paths`, balanced by bytes: largest file first, each
    to the part with the fewest bytes so far. Every process computes the same parts."""
    loads = [0] * shares
    mine = []
    for path in sorted(paths, key=lambda p: (-p.stat().st_size, str(p))):
        least = loads.index(min(loads))
        loads[least] += path.stat().st_size
        if least == index:
            mine.append(path)
    return mine


def compile_checked(src: Path, dest: str, mode: str = "checked-hash", index: int = 0, shares: int = 1) -> None:
    """In __pycache__, at optimization level 0, whatever this process runs with (compileall
    would follow its -O and its PYTHONPYCACHEPREFIX), with the image's paths (`dest`) in
    them; only this process's share of the files. Best effort: a file that does not
    compile gets none."""
    invalidation = py_compile.PycInvalidationMode[mode.upper().replace("-", "_")]
    for path in share(sources(src), index, shares):
        relative = path.relative_to(src)
        cfile = path.parent / "__pycache__" / f"{path.stem}.{sys.implementation.cache_tag}.pyc"
        try:
            py_compile.compile(str(path), cfile=str(cfile), dfile=str(PurePosixPath(dest, *relative.parts)),
                               doraise=True, optimize=0, invalidation_mode=invalidation)
        except (py_compile.PyCompileError, SyntaxError, ValueError, OSError):
            pass


if __name__ == "__main__":
    compile_checked(Path(sys.argv[1]), sys.argv[2], *sys.argv[3:4], *(int(arg) for arg in sys.argv[4:6]))

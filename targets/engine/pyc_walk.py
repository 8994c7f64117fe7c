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


def compile_checked(src: Path, dest: str) -> None:
    """In __pycache__, at optimization level 0, whatever this process runs with (compileall
    would follow its -O and its PYTHONPYCACHEPREFIX), with the image's paths (`dest`) in
    them. Best effort: a file that does not compile gets none."""
    for folder, dirs, names in os.walk(src):  # as compileall: into no linked folder
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for path in (Path(folder, name) for name in sorted(names) if name.endswith(".py")):
            if not path.is_file():
                continue
            relative = path.relative_to(src)
            cfile = path.parent / "__pycache__" / f"{path.stem}.{sys.implementation.cache_tag}.pyc"
            try:
                py_compile.compile(str(path), cfile=str(cfile), dfile=str(PurePosixPath(dest, *relative.parts)),
                                   doraise=True, optimize=0,
                                   invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
            except (py_compile.PyCompileError, SyntaxError, ValueError, OSError):
                pass


if __name__ == "__main__":
    compile_checked(Path(sys.argv[1]), sys.argv[2])

"""What an sdist needs to be built, and what a failed build was missing (pure: no Docker, no network).

Used by fromsource.py, which turns sdists into wheels for the target; kept
apart so unit tests can check every rule without an engine or an index.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
import tomllib
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name

from ..debian import NO_LINUX_WHEELS, PILLOW_PACKAGES, PILLOW_REQUIRED, RUNTIME_PACKAGES

# PEP 518: an sdist without [build-system] is built with these. `wheel` is added
# for every setuptools build: older setuptools ask for it dynamically
# (get_requires_for_build_wheel), and the builder has no index to fetch it from.
DEFAULT_REQUIRES = ("setuptools>=40.8.0", "wheel")
# Sources that need a compiler (compared in lower case): such an sdist goes straight
# to the builder, since a host build would be for the host's Python and libc, and refused.
NATIVE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".rs", ".f", ".f90", "/cargo.toml", "/cmakelists.txt")
PURE_TAGS = ("-py3-none-any.whl", "-py2.py3-none-any.whl")
# Debian's package for a header the compiler could not find, for the hint in the error.
HEADER_PACKAGES = {
    "ffi.h": "libffi-dev", "yaml.h": "libyaml-dev", "Python.h": "python3-dev", "zlib.h": "zlib1g-dev",
    "openssl/ssl.h": "libssl-dev", "openssl/opensslv.h": "libssl-dev", "libpq-fe.h": "libpq-dev",
    "pg_config.h": "libpq-dev", "mysql.h": "default-libmysqlclient-dev", "jpeglib.h": "libjpeg-dev",
    "libxml/xmlversion.h": "libxml2-dev", "libxslt/xsltconfig.h": "libxslt1-dev", "lber.h": "libldap-dev",
    "ldap.h": "libldap-dev", "sasl/sasl.h": "libsasl2-dev", "krb5.h": "libkrb5-dev", "sqlite3.h": "libsqlite3-dev",
    "bzlib.h": "libbz2-dev", "lzma.h": "liblzma-dev", "gmp.h": "libgmp-dev", "snappy-c.h": "libsnappy-dev",
}
_HEADER = re.compile(r"fatal error: ([^\s:]+): No such file or directory")
_TOOLS = (
    re.compile(r"unable to execute '([^']+)'"),
    re.compile(r"command '([^']+)' failed: No such file or directory"),
    re.compile(r"(?:^|\s)([\w.+-]+): (?:command )?not found\s*$", re.M),
)
# Builds that look for a library themselves, before any compiler runs, and say so in their own words.
# psycopg2's setup.py runs pg_config (psycopg2 ships no Linux wheels: psycopg2-binary does); Pillow's
# names the library (jpeg, zlib, ...): each with the Debian package that provides it.
_PG_CONFIG = "pg_config executable not found"
_PILLOW = re.compile(r"headers or library files could not be found for (\w+),\s+a required dependency")
_NO_DIST = re.compile(r"No matching distribution found for (\S+)")
# Where pip looks: a requirements file's own index lines apply to its sdists and their build requirements too.
_INDEX_OPTIONS = ("-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--trusted-host", "--pre")




def cache_key(sdist_sha256: str, base_id: str, packages: Iterable[str] = ()) -> str:
    """Where a wheel built from this sdist is kept: the sdist's bytes, the image it
    was built for (its id: a rebuilt base is a new key) and app.build_packages,
    which can change what a build produces (an optional extension found its headers)."""
    text = "\n".join([sdist_sha256, base_id, *sorted(set(packages))])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def members(sdist: Path) -> list[str]:
    if zipfile.is_zipfile(sdist):
        with zipfile.ZipFile(sdist) as zf:
            return zf.namelist()
    with tarfile.open(sdist) as tf:
        return tf.getnames()


def _read(sdist: Path, name: str) -> bytes:
    if zipfile.is_zipfile(sdist):
        with zipfile.ZipFile(sdist) as zf:
            return zf.read(name)
    with tarfile.open(sdist) as tf:
        stream = tf.extractfile(name)
        return stream.read() if stream else b""


def build_requires(sdist: Path) -> tuple[str, ...]:
    """The sdist's PEP 518 build requirements (its top-level pyproject.toml), plus `wheel` for setuptools."""
    top = [name for name in members(sdist) if name.count("/") == 1 and name.endswith("/pyproject.toml")]
    if not top:
        return DEFAULT_REQUIRES
    try:
        system = tomllib.loads(_read(sdist, top[0]).decode("utf-8")).get("build-system")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return DEFAULT_REQUIRES  # pip falls back to setuptools too
    if not isinstance(system, dict) or not isinstance(system.get("requires"), list):
        return DEFAULT_REQUIRES
    requires = tuple(str(item) for item in system["requires"])
    backend = str(system.get("build-backend", "setuptools.build_meta:__legacy__"))
    names = {re.split(r"[\s<>=!~;\[(]", item, maxsplit=1)[0].lower() for item in requires}
    if backend.startswith("setuptools") and "wheel" not in names:
        requires += ("wheel",)
    return requires


# Folders whose C files an sdist carries as data, never compiled: pycparser 2.18 ships
# examples/c_files/*.c and tests/c_files/*.c, and went to the builder "with a compiler".
NOT_BUILT = frozenset({"tests", "test", "testing", "examples", "example", "doc", "docs", "benchmarks", "fixtures"})


def has_native_code(sdist: Path) -> bool:
    for name in members(sdist):
        folders = name.lower().split("/")[1:-1]  # below the sdist's own top folder
        if name.lower().endswith(NATIVE_SUFFIXES) and not NOT_BUILT.intersection(folders):
            return True
    return False


def is_pure(wheel_name: str) -> bool:
    return wheel_name.endswith(PURE_TAGS)


def index_options(requirements: str) -> list[str]:
    """The lines of a requirements file that say where pip finds distributions."""
    lines = (line.strip() for line in requirements.splitlines())
    return [line for line in lines if line.startswith(_INDEX_OPTIONS) and not line.startswith(("-r", "-c", "-e"))]


def unresolvable(pip_stderr: str) -> str | None:
    """The requirement `pip download --only-binary=:all:` found no wheel for, if that is why it failed."""
    found = _NO_DIST.findall(pip_stderr)
    return found[-1] if found else None


def diagnose(output: str) -> tuple[str, str | None]:
    """(what was missing, the Debian package that provides it if known), from a failed build's output."""
    header = _HEADER.search(output)
    if header:
        name = header.group(1)
        return f"missing header {name}", HEADER_PACKAGES.get(name)
    if _PG_CONFIG in output:
        return "missing tool pg_config", "libpq-dev"
    library = _PILLOW.search(output)
    if library:
        # Pillow requires zlib and jpeg both, and names one missing at a time: both at once,
        # or the user finds the second after another whole build (albumy: zlib on 3.10, jpeg on 3.11).
        wanted = [PILLOW_PACKAGES.get(library.group(1)), *(PILLOW_PACKAGES[n] for n in PILLOW_REQUIRED)]
        return f"missing library {library.group(1)}", ", ".join(dict.fromkeys(p for p in wanted if p)) or None
    for pattern in _TOOLS:
        tool = pattern.search(output)
        if tool:
            return f"missing tool {tool.group(1).rsplit('/', 1)[-1]}", None
    if "can't find Rust compiler" in output or "cargo: not found" in output:
        return "missing tool rustc (a Rust extension)", None
    offline = unresolvable(output)
    if offline:
        return f"build requirement {offline} was not downloaded (asked for at build time)", None
    errors = [line.strip() for line in output.splitlines() if line.strip().lower().startswith("error:")
              and "subprocess-exited-with-error" not in line]
    return (errors[0][:200] if errors else "the build failed"), None


def failure(label: str, spec: str, python: str, reason: str, package: str | None) -> str:
    """The one line for a package whose build failed, with the fixes."""
    name = re.split(r"[\s<>=!~;\[(@]", spec, maxsplit=1)[0]
    packages = f"[{package}]" if package else "[<the Debian -dev package that provides it>]"
    runtime = [RUNTIME_PACKAGES.get(dev) for dev in (package or "").split(", ")]
    system = (f"app.system_packages: [{', '.join(r for r in runtime if r)}] (its libraries, at run time)"
              if runtime and all(runtime) else "app.system_packages (Debian packages its library needs at run time)")
    add = f"app.build_packages: {packages} (Debian packages for the builder) and {system}"
    if canonicalize_name(name) in NO_LINUX_WHEELS:  # no version and no Python has a wheel to pin
        twin = NO_LINUX_WHEELS[canonicalize_name(name)]
        return (f"{label}: cannot build {spec} from source for Python {python}: {reason}; {name} ships no Linux "
                f"wheels, so every build compiles it: fix: add {add}" + (f", or require {twin} instead (the same "
                                                                         "module, with wheels)" if twin else ""))
    return (f"{label}: cannot build {spec} from source for Python {python}: {reason}; fix: pin a {name} version "
            f"that has a wheel for Python {python}, use a Python that has {name} wheels (defaults.python), or add "
            f"{add}")


def builder_ref(from_ref: str, packages: Iterable[str] = ()) -> str:
    """The local tag of the builder made from `from_ref` (plus app.build_packages, hashed into the tag)."""
    name, _, digest = from_ref.partition("@")
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "latest")
    tag = digest.partition(":")[2][:12] if digest else tag
    wanted = sorted(set(packages))
    if wanted:
        tag += "-" + hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:8]
    return f"flaskship-standin/builder-{repo.rsplit('/', 1)[-1].lower()}:{tag}"

"""The Debian packages a compiled dependency needs, known before the first build.

psycopg2 ships no Linux wheels at all (psycopg2-binary does), and an old pin of
Pillow or lxml has none for the Python init chose: the build then compiles it in
its builder image, which fails, after minutes, until app.build_packages names the
library's -dev package (and app.system_packages its run-time library). init's
probe has installed the very releases the build will lock, so it can name both
in the manifest it writes, and the first build compiles them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from .. import wheel_index
from ..debian import NO_LINUX_WHEELS, PILLOW_PACKAGES, PILLOW_REQUIRED, RUNTIME_PACKAGES

# A distribution -> the Debian packages its sdist will not build without, on bookworm.
BUILD_NEEDS: dict[str, tuple[str, ...]] = {
    "psycopg2": ("libpq-dev",),
    "pillow": tuple(PILLOW_PACKAGES[name] for name in PILLOW_REQUIRED),
    "lxml": ("libxml2-dev", "libxslt1-dev"),
    "mysqlclient": ("default-libmysqlclient-dev", "pkg-config"),
    "python-ldap": ("libldap-dev", "libsasl2-dev"),
}


@dataclass(frozen=True)
class Natives:
    build: tuple[str, ...]  # app.build_packages
    system: tuple[str, ...]  # app.system_packages
    why: str  # which releases, and why they compile


def needed(installed: Sequence[str], python: str, cache_dir: Path | None) -> Natives | None:
    """For the probe's installed `name==version`s: the packages to compile those of them that
    have no wheel for `python`; None when every one has (or the index cannot say)."""
    build: list[str] = []
    compiled: list[str] = []
    for spec in installed:
        name, _, version = spec.partition("==")
        needs = BUILD_NEEDS.get(canonicalize_name(name))
        if needs is None or not version:
            continue
        if canonicalize_name(name) not in NO_LINUX_WHEELS and not wheel_index.lacks_wheel(spec, python, cache_dir):
            continue  # a wheel, or nothing the index can tell
        compiled.append(spec)
        build += [package for package in needs if package not in build]
    if not compiled:
        return None
    system = tuple(dict.fromkeys(RUNTIME_PACKAGES[package] for package in build if package in RUNTIME_PACKAGES))
    return Natives(tuple(build), system, f"{', '.join(compiled)} has no wheel for Python {python}, so the build "
                                         "compiles it: the builder needs these, the images the libraries they provide")


def missing_on_host(distributions: Iterable[str]) -> tuple[str, ...]:
    """The Debian packages BUILD_NEEDS names for `distributions` that this host has not
    installed, as dpkg sees it: init's probe installs the app here, so an sdist among them is
    compiled here (PowerDNS-Admin's mysqlclient: "Can not find valid pkg-config name").
    () on a host without dpkg, which cannot be asked."""
    wanted = list(dict.fromkeys(package for name in distributions
                                for package in BUILD_NEEDS.get(canonicalize_name(name), ())))
    if not wanted or shutil.which("dpkg-query") is None:
        return ()
    # One line per package dpkg knows; one it has never heard of is only an error on stderr.
    listed = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *wanted],
                            capture_output=True, text=True, timeout=30).stdout
    installed = {line.split()[0] for line in listed.splitlines() if line.endswith(" installed")}
    return tuple(package for package in wanted if package not in installed)

"""init names the Debian packages a dependency with no wheel needs, before the first build fails on them."""

from __future__ import annotations

import yaml

from targets import manifest
from targets.appscan import natives
from targets.appscan.detect import Detected, Found
from targets.appscan.render import render


def test_psycopg2_always_compiles_so_init_names_libpq_for_the_builder_and_the_images() -> None:
    # flask-base and realworld: psycopg2 2.8.3 has no Linux wheel, and the first build failed
    # after 145 s on pg_config until the two lines were added by hand.
    found = natives.needed(["Flask==1.1.2", "psycopg2==2.8.3", "SQLAlchemy==1.3.24"], "3.8", None)
    assert found is not None
    assert (found.build, found.system) == (("libpq-dev",), ("libpq5",))
    assert found.why.startswith("psycopg2==2.8.3 has no wheel for Python 3.8")
    assert natives.needed(["Flask==3.1.3", "psycopg2-binary==2.9.10"], "3.12", None) is None


def test_the_packages_are_written_into_the_manifest_and_load() -> None:
    found = natives.needed(["psycopg2==2.8.4", "mysqlclient==2.2.4"], "3.10", None)
    detected = Detected("old", "old", Found("wsgi:app", "why"), Found("requirements.txt", "found"),
                        Found("static", "found"), Found("/static", "url"), Found("3.10", "pins"),
                        Found("/", "route"), (), (), native=found)
    parsed = manifest.parse(yaml.safe_load(render(detected, ".")))
    assert parsed.app.build_packages == ("libpq-dev", "default-libmysqlclient-dev", "pkg-config")
    assert parsed.app.system_packages == ("libpq5", "libmariadb3")


def test_a_psycopg2_that_fails_to_build_is_not_told_to_pin_a_version_with_a_wheel() -> None:
    # flask-base: "pin a version that has a wheel, or use a Python that has one", for a package
    # that ships no Linux wheel at all.
    from targets.engine import sdists
    line = sdists.failure("run", "psycopg2==2.8.3", "3.8", "missing tool pg_config", "libpq-dev")
    assert "pin a psycopg2 version" not in line and "ships no Linux wheels" in line
    assert "app.build_packages: [libpq-dev]" in line and "app.system_packages: [libpq5]" in line
    assert line.endswith("or require psycopg2-binary instead (the same module, with wheels)")
    assert "pin a cffi version that has a wheel" in sdists.failure("run", "cffi==1.15.0", "3.12", "missing header", None)

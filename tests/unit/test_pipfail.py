"""init on an app whose pinned package has no wheel for this Python and does not build:
one line naming the pin and the Pythons the index has wheels for, pip's summary, the rest in a log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from targets.appscan import natives, pipfail, sandbox
from targets.appscan.deps import Dependencies, pins
from targets.appscan.errors import InitError
from tests.unit import test_target_deps

index = test_target_deps.index  # the fixture serving a simple index on loopback (PEP 691)

# As pip 23 printed it for flasky's psycopg2==2.7.3 on Python 3.11 (shortened).
PIP_23 = """\
  error: subprocess-exited-with-error

  × Building wheel for psycopg2 (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [162 lines of output]
      psycopg/psycopgmodule.c:942:23: error: lvalue required as left operand of assignment
        942 |     Py_TYPE(&xidType) = &PyType_Type;
      error: command '/usr/bin/gcc' failed with exit code 1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for psycopg2
ERROR: Could not build wheels for psycopg2, which is required to install pyproject.toml-based projects
"""
PIP_24 = "ERROR: Failed to build installable wheels for some pyproject.toml based projects (crcmod, multidict)\n"


def test_the_packages_that_failed_to_build_are_read_from_pip_old_and_new() -> None:
    assert pipfail.failed_builds(PIP_23) == ["psycopg2"]
    assert pipfail.failed_builds(PIP_24) == ["crcmod", "multidict"]
    assert pipfail.failed_builds("ERROR: No matching distribution found for nosuch==1.0\n") == []


# As pip printed them for realworld's Pipfile.lock (shortened): psycopg2 2.7.5's legacy
# `setup.py install`, and markupsafe 1.0's setup.py failing before any build.
PIP_LEGACY = """\
Collecting psycopg2==2.7.5 (from -r requirements.txt (line 20))
  Downloading psycopg2-2.7.5.tar.gz (426 kB)
  Running setup.py install for psycopg2: finished with status 'error'
  error: subprocess-exited-with-error
  note: This error originates from a subprocess, and is likely not a problem with pip.
error: legacy-install-failure

× Encountered error while trying to install package.
╰─> psycopg2

note: This is an issue with the package mentioned above, not pip.
"""
PIP_METADATA = """\
Collecting flask==1.0.2 (from -r requirements.txt (line 9))
  Using cached Flask-1.0.2-py2.py3-none-any.whl (91 kB)
Collecting markupsafe==1.0 (from -r requirements.txt (line 17))
  Downloading MarkupSafe-1.0.tar.gz (14 kB)
  Preparing metadata (setup.py): finished with status 'error'
  error: subprocess-exited-with-error

  × python setup.py egg_info did not run successfully.
  │ exit code: 1
  ╰─> [6 lines of output]
      ImportError: cannot import name 'Feature' from 'setuptools'
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed

× Encountered error while generating package metadata.
╰─> See above for output.
"""


def test_a_legacy_install_and_a_setup_py_that_failed_before_building_name_their_package() -> None:
    assert pipfail.failed_builds(PIP_LEGACY) == ["psycopg2"]
    assert pipfail.failed_builds(PIP_METADATA) == ["markupsafe"]  # the one pip was collecting, not flask
    line = pipfail.explain(PIP_METADATA, [], "3.10", None)  # no pins: the index is not asked
    assert line == ("markupsafe has no wheel for Python 3.10 and did not build from source; "
                    "pin a release that has a wheel for Python 3.10")
    # The build's own error, which pip's summary leaves out (flask-base's jsmin 2.2.2).
    assert pipfail.build_error(PIP_METADATA) == "ImportError: cannot import name 'Feature' from 'setuptools'"


def test_the_summary_is_pips_own_lines_not_the_compilers() -> None:
    lines = pipfail.summary(PIP_23)
    assert lines[0].startswith("× Building wheel for psycopg2") and lines[-1].startswith("ERROR: Could not build")
    assert not [line for line in lines if "gcc" in line or "lvalue" in line or "Py_TYPE" in line]


def test_pins_are_read_through_included_files(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "common.txt").write_text("crcmod==1.7\nmultidict>=6\n")
    (tmp_path / "requirements.txt").write_text("-r requirements/common.txt\nFlask==3.1.3  # the app\n")
    pinned = pins(tmp_path, Dependencies("requirements.txt", "found", ""))
    assert sorted(pinned) == ["Flask==3.1.3", "crcmod==1.7"]
    assert pins(tmp_path / "missing", Dependencies("requirements.txt", "found", "")) == []


@pytest.mark.usefixtures("index")
def test_the_line_names_each_pin_and_the_pythons_its_wheels_are_for(tmp_path: Path) -> None:
    line = pipfail.explain(PIP_24, ["crcmod==1.7", "multidict==6.0.4"], "3.12", tmp_path)
    # A release with wheels for other Pythons is told to pin one with a wheel for this; one with no
    # Linux wheel for any Python (crcmod) cannot be: it is told to pin a release whose source builds.
    assert line == ("multidict==6.0.4 has no wheel for Python 3.12 (the index has wheels for Python 3.10, 3.11) "
                    "and did not build from source; pin a release that has a wheel for Python 3.12; crcmod==1.7 "
                    "has no Linux wheel for any Python and its source did not build on Python 3.12; pin a release "
                    "whose source builds on Python 3.12 (usually a newer one)")
    # psycopg2, unpinned: never a Linux wheel, so never "pin one with a wheel"; the compiler's own error.
    assert pipfail.explain(PIP_23, [], "3.11", tmp_path) == (
        "psycopg2 has no Linux wheel for any Python and its source did not build on Python 3.11 "
        "(psycopg/psycopgmodule.c:942:23: error: lvalue required as left operand of assignment); "
        "pin a release whose source builds on Python 3.11 (usually a newer one)")
    assert pipfail.explain("ERROR: No matching distribution found for nosuch==1.0\n", [], "3.11", tmp_path) is None


def test_a_failed_build_gives_one_line_pips_summary_and_the_whole_output_in_a_log(tmp_path: Path) -> None:
    failing = [sys.executable, "-c", f"import sys; sys.stderr.write({PIP_23!r}); sys.exit(1)"]
    log = tmp_path / "init-pip.log"
    with pytest.raises(InitError) as raised:
        sandbox._run(failing, tmp_path, "pip install of app/requirements.txt",
                     lambda output: pipfail.explain(output, [], "3.11", None), log)
    assert raised.value.message == ("pip install of app/requirements.txt failed: psycopg2 has no Linux wheel for any "
                                    "Python and its source did not build on Python 3.11 (psycopg/psycopgmodule.c:942:23: "
                                    "error: lvalue required as left operand of assignment); pin a release whose source "
                                    "builds on Python 3.11 (usually a newer one)")
    assert "lvalue" not in raised.value.detail and raised.value.detail.endswith(f"pip's whole output: {log}")
    assert log.read_text() == PIP_23
    # Any other failure keeps pip's last line, and its tail without pip's warnings (the log has them).
    said = "WARNING: Location 'file:///gone/x/' is ignored\n" * 30 + "ERROR: No matching distribution found for x\n"
    other = [sys.executable, "-c", f"import sys; sys.stderr.write({said!r}); sys.exit(1)"]
    with pytest.raises(InitError) as raised:
        sandbox._run(other, tmp_path, "pip install", lambda output: pipfail.explain(output, [], "3.11", None), log)
    assert raised.value.message == "pip install failed: ERROR: No matching distribution found for x"
    assert raised.value.detail == f"ERROR: No matching distribution found for x\npip's whole output: {log}"
    assert log.read_text() == said


def test_the_headline_is_what_failed_not_pips_closing_note() -> None:
    # flaskbb 2.1.0 installs flask-allows from GitHub, which this machine cannot reach.
    clone = ("  Running command git clone --filter=blob:none --quiet https://github.com/flaskbb/flask-allows.git /tmp/x\n"
             "  fatal: unable to access 'https://github.com/flaskbb/flask-allows.git/': Could not resolve host: github.com\n"
             "  error: subprocess-exited-with-error\n\n"
             "  × git clone --filter=blob:none --quiet https://github.com/flaskbb/flask-allows.git /tmp/x did not run "
             "successfully.\n  │ exit code: 128\n  ╰─> See above for output.\n\n"
             "  note: This error originates from a subprocess, and is likely not a problem with pip.\n")
    assert pipfail.headline(clone) == (
        "git clone --filter=blob:none --quiet https://github.com/flaskbb/flask-allows.git /tmp/x did not run "
        "successfully. (fatal: unable to access 'https://github.com/flaskbb/flask-allows.git/': Could not resolve "
        "host: github.com)")
    assert pipfail.headline(PIP_23) == ("ERROR: Could not build wheels for psycopg2, which is required to install "
                                        "pyproject.toml-based projects")
    assert pipfail.headline("Collecting x\n") is None


def test_an_index_pip_cannot_reach_is_named_not_the_pin() -> None:
    # albumy's Pipfile.lock names https://pypi.python.org/simple, which this machine cannot resolve.
    retry = ("WARNING: Retrying (Retry(total={n}, connect=None, read=None, redirect=None, status=None)) after "
             "connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at "
             "0x7fa46a69e510>: Failed to establish a new connection: [Errno -2] Name or service not known')': "
             "/simple/\n")
    output = "".join(retry.format(n=n) for n in range(4, -1, -1)) + (
        "ERROR: Could not find a version that satisfies the requirement blinker==1.4 (from versions: none)\n"
        "ERROR: No matching distribution found for blinker==1.4\n")
    assert pipfail.headline(output) == (
        "pip could not reach the package index ([Errno -2] Name or service not known), so it found no release of "
        "blinker==1.4; check the index the app's requirements name (a lock file's source URL, an --index-url line) "
        "and this machine's network or proxy")
    # A pin that truly has no release, with the index answering, stays pip's own line.
    plain = ("ERROR: Could not find a version that satisfies the requirement blinker==99 (from versions: 1.4)\n"
             "ERROR: No matching distribution found for blinker==99\n")
    assert pipfail.headline(plain) == "ERROR: No matching distribution found for blinker==99"


def test_the_pins_pip_would_have_built_next_are_named_with_the_first_failure(tmp_path: Path) -> None:
    # realworld's stale lock took six init runs, one failed build each: pip stops at the first.
    line = pipfail.explain(PIP_LEGACY, ["psycopg2==2.7.5", "PyYAML==3.13", "Flask==3.1.3"], "3.12", tmp_path)
    assert line is not None and line.startswith("psycopg2==2.7.5 has no Linux wheel for any Python")
    assert line.endswith("; not tried yet, also with no wheel for Python 3.12: PyYAML==3.13")  # not Flask: it has one


# As pip 25 printed it for PowerDNS-Admin's mysqlclient==2.2.8 on a host without its -dev package
# (shortened): a PEP 517 build that failed before building, naming no package.
PIP_25_REQUIRES = """\
Collecting lxml==6.1.1 (from -r requirements.txt (line 28))
  Using cached lxml-6.1.1-cp313-cp313-manylinux_2_28_x86_64.whl (5.2 MB)
Collecting mysqlclient==2.2.8 (from -r requirements.txt (line 29))
  Downloading mysqlclient-2.2.8.tar.gz (92 kB)
  Getting requirements to build wheel: finished with status 'error'
  error: subprocess-exited-with-error

  × Getting requirements to build wheel did not run successfully.
  │ exit code: 1
  ╰─> [30 lines of output]
      Trying pkg-config --exists mysqlclient
      Command 'pkg-config --exists mysqlclient' returned non-zero exit status 1.
      Exception: Can not find valid pkg-config name.
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
"""


def _dpkg_knows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed: set[str]) -> None:
    """A dpkg-query on PATH that answers as dpkg does, for a host with `installed` only."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    known = " ".join(sorted(installed))
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/sh\nshift 2\nfor p in \"$@\"; do case \" " + known + " \" in *\" $p \"*) echo \"$p installed\";; "
        "*) echo \"dpkg-query: no packages found matching $p\" >&2;; esac; done\n")
    (bin_dir / "dpkg-query").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def test_a_build_that_needs_debian_packages_this_host_lacks_names_them_and_the_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert pipfail.failed_builds(PIP_25_REQUIRES) == ["mysqlclient"]  # the one pip was collecting
    _dpkg_knows(tmp_path, monkeypatch, {"pkg-config", "libpq-dev"})
    line = pipfail.explain(PIP_25_REQUIRES, ["mysqlclient==2.2.8", "psycopg2==2.9.12"], "3.13", tmp_path)
    # No pin to try instead: mysqlclient never ships a Linux wheel. The fix is the host's packages,
    # all of them at once (psycopg2's libpq-dev is there, pkg-config too).
    assert line == ("mysqlclient==2.2.8 has no wheel for Python 3.13 and its source needs Debian packages this host "
                    "lacks (Exception: Can not find valid pkg-config name.); not tried yet, also with no wheel for "
                    "Python 3.13: psycopg2==2.9.12; init's probe installs the app on this host, so install what "
                    "their builds need here, then run init again: apt-get install default-libmysqlclient-dev (the "
                    "images' builder gets them from app.build_packages, which init writes)")
    # With the packages installed, a failure is the source's own: pin one whose source builds.
    _dpkg_knows(tmp_path / "later", monkeypatch, {"pkg-config", "libpq-dev", "default-libmysqlclient-dev"})
    line = pipfail.explain(PIP_25_REQUIRES, ["mysqlclient==2.2.8"], "3.13", tmp_path)
    assert line is not None and line.endswith("; pin a release whose source builds on Python 3.13 (usually a newer one)")


def test_missing_on_host_agrees_with_dpkg(tmp_path: Path) -> None:
    # The real dpkg of this machine, asked another way (`dpkg -s`, whose exit status says installed or not).
    wanted = [package for name in ("mysqlclient", "psycopg2", "python-ldap") for package in natives.BUILD_NEEDS[name]]
    status = {package: subprocess.run(["dpkg", "-s", package], capture_output=True, text=True) for package in wanted}
    expected = tuple(package for package in wanted
                     if status[package].returncode != 0 or "Status: install ok installed" not in status[package].stdout)
    assert natives.missing_on_host(["mysqlclient", "psycopg2", "python-ldap", "flask"]) == expected
    assert natives.missing_on_host(["flask"]) == ()  # nothing it knows of needs a package

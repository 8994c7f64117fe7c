"""What a setuptools project declares, read from setup.cfg and setup.py's literals without
running either (targets/build/setupmeta.py)."""

from __future__ import annotations

from pathlib import Path

from targets.build import setupmeta

CFG = """[metadata]
name = tracker

[options]
python_requires = >=3.9
install_requires =
    flask==3.1.3
    # the server
    gunicorn==26.0.0

[options.extras_require]
s3 =
    boto3
"""


def test_setup_py_literals_are_read_and_its_code_never_runs(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(
        "import setuptools\n"
        "open('ran', 'w').write('setup.py was run')\n"
        "REQUIRES = ['Flask>=3', 'gunicorn==26.0.0  # the server']\n"
        "setuptools.setup(name='tracker', python_requires='>=3.10, <3.14', install_requires=REQUIRES,\n"
        "                 extras_require={'S3': 'boto3\\nbotocore', 'dev': ['pytest']}, **{'zip_safe': False})\n")
    assert setupmeta.python_requires(tmp_path) == ("setup.py", ">=3.10, <3.14")
    assert setupmeta.requirements(tmp_path, "[s3]") == [
        ("setup.py", "Flask>=3"), ("setup.py", "gunicorn==26.0.0"), ("setup.py", "boto3"), ("setup.py", "botocore")]
    assert not (tmp_path / "ran").exists()


def test_setup_py_overrides_setup_cfg_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(CFG)
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(install_requires=['flask'])\n")
    # setup() gives install_requires; python_requires and the extras are still setup.cfg's, as setuptools merges them.
    assert setupmeta.python_requires(tmp_path) == ("setup.cfg", ">=3.9")
    assert setupmeta.requirements(tmp_path, "[s3]") == [("setup.py", "flask"), ("setup.cfg", "boto3")]
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    assert setupmeta.requirements(tmp_path) == [("setup.cfg", "flask==3.1.3"), ("setup.cfg", "gunicorn==26.0.0")]


def test_values_made_at_run_time_stay_unknown(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\n"
        "REQUIRES = ['flask']\n"
        "REQUIRES = open('requirements.txt').read().splitlines()  # bound twice: not known here\n"
        "VERSION = '3.10'\n"
        "setup(install_requires=REQUIRES, python_requires='>=' + VERSION)\n")
    assert setupmeta.requirements(tmp_path) == []
    assert setupmeta.python_requires(tmp_path) is None


def test_no_file_or_a_broken_one_declares_nothing(tmp_path: Path) -> None:
    assert setupmeta.python_requires(tmp_path) is None and setupmeta.requirements(tmp_path) == []
    (tmp_path / "setup.py").write_text("setup(python_requires='>=3.10'\n")  # a syntax error
    (tmp_path / "setup.cfg").write_text("[options\n")
    assert setupmeta.python_requires(tmp_path) is None and setupmeta.requirements(tmp_path) == []
    # Some other function named setup is not setuptools'.
    (tmp_path / "setup.py").write_text("import other\nother.setup(python_requires='>=3.10')\n")
    assert setupmeta.python_requires(tmp_path) is None

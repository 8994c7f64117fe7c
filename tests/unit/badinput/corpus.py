"""The bad-input corpus: one case per row, each with the exact line it must end with.

Every case runs against a fresh copy of the demo app (tests/unit/badinput/
test_corpus.py). `manifest` is the whole targets.yaml (most rows edit BASE in
one place, so their line numbers are BASE's); `setup` shapes the folder
(special files, symlinks, records). `expect` is the last line of stderr,
exactly, after "error: "; `{root}` stands for the project folder. `listed` are
the lines printed above it when a file has several problems.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BASE = """\
app:
  source: app
  entry: wsgi:app
  static: demo/static
  static_url: /static
smoke:
  health: /healthz
  checks:
    - {name: home, path: /}
defaults:
  python: "3.12"
  environment: development
environments:
  development:
    env: {APP_ENV: development}
targets:
  run:
    kind: cloudrun
    service_id: flask-demo
    region: us-central1
  dyno:
    kind: heroku
    app: flask-demo
  fn:
    kind: functions
  web:
    kind: compose
"""


def edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str | bytes | None
    expect: str
    args: tuple[str, ...] = ("build",)
    setup: Callable[[Path], None] | None = None
    listed: tuple[str, ...] = ()
    subprocess: bool = False  # could hang if the bound broke: run the CLI with a timeout


def _outside(root: Path) -> Path:
    """A folder beside the project, for symlinks that lead out of it."""
    out = root.parent / "outside"
    out.mkdir(exist_ok=True)
    (out / "secret.txt").write_text("outside the project\n")
    (out / "requirements.txt").write_text("flask\n")
    return out


def _symlink(rel: str, to: Callable[[Path], Path]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            import shutil
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        path.symlink_to(to(root))
    return setup


def _records(*, build_json: str | None = None, smoke_json: str | None = None,
             hashed: bool = True) -> Callable[[Path], None]:
    """A build/ holding a (possibly broken) record for `dyno` and a smoke report."""
    def setup(root: Path) -> None:
        from targets.records import folder_hash
        folder = root / "build/dyno"
        folder.mkdir(parents=True)
        inputs = folder_hash(folder) if hashed else "stale"
        record = {"target": "dyno", "kind": "heroku", "inputs": inputs,
                  "images": {"app": {"ref": "flaskship/dyno:x", "id": "sha256:" + "0" * 64}}}
        (folder / "build.json").write_text(build_json if build_json is not None else json.dumps(record))
        if smoke_json is not None:
            (root / "build/smoke.json").write_text(smoke_json)
    return setup


def _file_at(rel: str, content: str = "not a folder\n") -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / rel).write_text(content)
    return setup


def _remove_manifest(root: Path) -> None:
    (root / "targets.yaml").unlink()


def _manifest_dir(root: Path) -> None:
    (root / "targets.yaml").unlink()
    (root / "targets.yaml").mkdir()


def _fifo(root: Path) -> None:
    (root / "targets.yaml").unlink()
    os.mkfifo(root / "targets.yaml")


def _to_dev_zero(root: Path) -> None:
    (root / "targets.yaml").unlink()
    (root / "targets.yaml").symlink_to("/dev/zero")


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)) + BASE
DEEP_MAPPING = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v: 1\n" + BASE
LONG = "a" * 64

CASES: list[Case] = [
    # -- the file itself ------------------------------------------------------------------------
    Case("file-missing", None, "targets.yaml: not found at {root}/targets.yaml; create it or pass --manifest",
         setup=_remove_manifest),
    Case("file-is-a-folder", None,
         "targets.yaml: is a folder, not a file; pass the manifest file itself with --manifest", setup=_manifest_dir),
    Case("file-is-a-fifo", None,
         "targets.yaml: is not a regular file (a FIFO, device or socket); pass a file with --manifest",
         setup=_fifo, subprocess=True),
    Case("file-is-dev-zero", None,
         "targets.yaml: is not a regular file (a FIFO, device or socket); pass a file with --manifest",
         setup=_to_dev_zero, subprocess=True),
    Case("file-dev-zero-named", None,
         "zero: is not a regular file (a FIFO, device or socket); pass a file with --manifest",
         args=("build", "--manifest", "/dev/zero"), subprocess=True),
    Case("file-huge", "# padding\n" * 120_000 + BASE,
         "targets.yaml: is larger than 1024 KiB, more than any manifest needs; is it the right file?"),
    Case("file-not-utf8", b"\xff\xfetargets: {}\n",
         "targets.yaml: is not UTF-8 text (byte 0xff at offset 0); save it as UTF-8"),
    Case("file-utf16", BASE.encode("utf-16"),
         "targets.yaml: is not UTF-8 text (byte 0xff at offset 0); save it as UTF-8"),
    Case("file-latin1", edit("development}", "d\xe9veloppement}").encode("latin-1"),
         "targets.yaml: is not UTF-8 text (byte 0xe9 at offset 248); save it as UTF-8"),
    Case("file-empty", "", "targets.yaml: is empty; expected a mapping with a 'targets' key at the top level"),
    Case("file-only-comments", "# targets: later\n",
         "targets.yaml: is empty; expected a mapping with a 'targets' key at the top level"),
    Case("file-a-list", "- cloudrun\n- heroku\n",
         "targets.yaml: holds a list; expected a mapping with a 'targets' key at the top level"),
    Case("file-a-string", "cloudrun\n",
         "targets.yaml: holds a str; expected a mapping with a 'targets' key at the top level"),
    Case("file-null", "~\n", "targets.yaml: is empty; expected a mapping with a 'targets' key at the top level"),
    # -- YAML -------------------------------------------------------------------------------
    Case("yaml-unclosed-flow", "targets:\n  api:\n    kind: [cloudrun\n",
         "targets.yaml: invalid YAML at line 4, column 1: expected ',' or ']', but got '<stream end>'"),
    Case("yaml-tab-indent", "targets:\n\tapi: {kind: heroku}\n",
         "targets.yaml: invalid YAML at line 2, column 1: found character '\\t' that cannot start any token"),
    Case("yaml-bad-indent", edit("    region: us-central1\n", "   region: us-central1\n"),
         "targets.yaml: invalid YAML at line 20, column 4: expected <block end>, but found '<block mapping start>'"),
    Case("yaml-two-documents", BASE + "---\ntargets: {}\n",
         "targets.yaml: invalid YAML at line 28, column 1: expected a single document in the stream, but found "
         "another document"),
    Case("yaml-deep-nesting-10000", "a: " + "[" * 10_000 + "]" * 10_000 + "\n" + BASE,
         "targets.yaml: nested deeper than 64 levels; a manifest is a few levels deep"),
    Case("yaml-deep-mapping-100", DEEP_MAPPING,
         "targets.yaml: line 66: nested deeper than 64 levels; a manifest is a few levels deep"),
    Case("yaml-alias-bomb", BOMB,
         "targets.yaml: expands to more than 100000 values (aliases of aliases?); write the values out instead"),
    Case("yaml-recursive-alias", "a: &x [1, *x]\n" + BASE,
         "targets.yaml: line 1: an alias refers to a value that contains it; a manifest cannot be recursive"),
    Case("yaml-undefined-alias", "a: *nope\n" + BASE,
         "targets.yaml: invalid YAML at line 1, column 4: found undefined alias 'nope'"),
    Case("yaml-duplicate-anchor", "a: &x 1\nb: &x 2\n" + BASE,
         "targets.yaml: invalid YAML at line 2, column 4: found duplicate anchor 'x' (first at line 1)"),
    Case("yaml-python-object-apply", "targets: !!python/object/apply:os.system ['touch /tmp/flaskship-pwned']\n",
         "targets.yaml: invalid YAML at line 1, column 10: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/object/apply:os.system'"),
    Case("yaml-python-name", "app: !!python/name:os.system\n" + BASE.replace("app:\n", "x:\n", 1),
         "targets.yaml: invalid YAML at line 1, column 6: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/name:os.system'"),
    Case("yaml-custom-tag", "x: !vault abc\n" + BASE,
         "targets.yaml: invalid YAML at line 1, column 4: could not determine a constructor for the tag '!vault'"),
    Case("yaml-unhashable-key", "? [a, b]\n: 1\n" + BASE,
         "targets.yaml: invalid YAML at line 1, column 3: found unhashable key"),
    # -- structure and types --------------------------------------------------------------------
    Case("type-no-targets", BASE[:BASE.index("targets:")], "targets.yaml: targets: required key is missing"),
    Case("type-targets-empty", BASE[:BASE.index("targets:")] + "targets: {}\n",
         "targets.yaml: line 16: targets: declare at least one target"),
    Case("type-targets-list", BASE[:BASE.index("targets:")] + "targets: [cloudrun, heroku]\n",
         "targets.yaml: line 16: targets: expected a mapping"),
    Case("type-target-null", edit("  fn:\n    kind: functions\n", "  fn:\n"),
         "targets.yaml: line 24: targets.fn.kind: missing (choose from: cloudrun, compose, functions, heroku)"),
    Case("type-app-string", BASE.replace("app:\n  source: app\n  entry: wsgi:app\n  static: demo/static\n"
                                         "  static_url: /static\n", "app: app\n"),
         "targets.yaml: line 1: app: expected a mapping, got 'app'"),
    Case("type-port-string", edit("    kind: compose\n", "    kind: compose\n    port: 80a\n"),
         "targets.yaml: line 28: targets.web.port: expected an integer, got '80a'"),
    Case("type-port-bool", edit("    kind: compose\n", "    kind: compose\n    port: yes\n"),
         "targets.yaml: line 28: targets.web.port: expected an integer, got True"),
    Case("type-port-float", edit("    kind: compose\n", "    kind: compose\n    port: 80.5\n"),
         "targets.yaml: line 28: targets.web.port: expected an integer, got 80.5"),
    Case("type-port-range", edit("    kind: compose\n", "    kind: compose\n    port: 70000\n"),
         "targets.yaml: line 28: targets.web.port: Input should be less than or equal to 65535, got 70000"),
    Case("type-port-zero", edit("    kind: compose\n", "    kind: compose\n    publish: 0\n"),
         "targets.yaml: line 28: targets.web.publish: Input should be greater than or equal to 1, got 0"),
    Case("type-status-range", edit("{name: home, path: /}", "{name: home, path: /, status: 99}"),
         "targets.yaml: line 9: smoke.checks[0].status: Input should be greater than or equal to 100, got 99"),
    Case("type-tags-string", edit("    app: flask-demo\n", "    app: flask-demo\n    tags: latest\n"),
         "targets.yaml: line 24: targets.dyno.tags: expected a list, got 'latest'"),
    Case("type-checks-mapping", edit("  checks:\n    - {name: home, path: /}\n", "  checks: {home: /}\n"),
         "targets.yaml: line 8: smoke.checks: expected a list"),
    Case("type-env-list", edit("env: {APP_ENV: development}", "env: [APP_ENV=development]"),
         "targets.yaml: line 15: environments.development.env: expected a mapping"),
    Case("type-env-int", edit("{APP_ENV: development}", "{APP_ENV: development, WORKERS: 4}"),
         "targets.yaml: line 15: environments.development.env.WORKERS: expected a string, got 4"),
    Case("type-env-yaml11-bool", edit("{APP_ENV: development}", "{APP_ENV: development, DEBUG: no}"),
         "targets.yaml: line 15: environments.development.env.DEBUG: expected a string, got False"),
    Case("type-deterministic-string", edit("{name: home, path: /}", "{name: home, path: /, deterministic: maybe}"),
         "targets.yaml: line 9: smoke.checks[0].deterministic: expected true or false, got 'maybe'"),
    Case("type-python-float", edit('python: "3.12"', "python: 3.10"),
         "targets.yaml: line 11: defaults.python: expected a string, got 3.1; quote it (YAML reads 3.10 as the number 3.1)"),
    Case("type-python-int", edit('python: "3.12"', "python: 3"),
         "targets.yaml: line 11: defaults.python: expected a string, got 3"),
    Case("type-python-shape", edit('python: "3.12"', 'python: "3.x"'),
         "targets.yaml: line 11: defaults.python: invalid value, got '3.x' (must match ^3\\.[0-9]{1,2}$)"),
    Case("type-method", edit("{name: home, path: /}", "{name: home, path: /, method: GTE}"),
         "targets.yaml: line 9: smoke.checks[0].method: expected one of 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', "
         "'HEAD' or 'OPTIONS', got 'GTE'"),
    Case("type-headers-list", edit("{name: home, path: /}", "{name: home, path: /, headers: [X-A]}"),
         "targets.yaml: line 9: smoke.checks[0].headers: expected a mapping"),
    Case("type-server-names-empty", edit("    kind: compose\n", "    kind: compose\n    server_names: []\n"),
         "targets.yaml: line 28: targets.web.server_names: Tuple should have at least 1 item after validation, not 0"),
    Case("type-body-size", edit("    kind: compose\n", "    kind: compose\n    client_max_body_size: 10g\n"),
         "targets.yaml: line 28: targets.web.client_max_body_size: invalid value, got '10g' (must match ^[0-9]{1,6}[km]?$)"),
    Case("type-publish-host-name", edit("    kind: compose\n", "    kind: compose\n    publish_host: localhost\n"),
         "targets.yaml: line 28: targets.web.publish_host: invalid value, got 'localhost' (must match "
         "^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$)"),
    Case("type-auth-no-password", edit("    app: flask-demo\n", "    app: flask-demo\n    auth: {username: _}\n"),
         "targets.yaml: line 24: targets.dyno.auth.password_env: required key is missing"),
    # -- unknown keys at every level, with "did you mean" -----------------------------------------
    Case("key-top", BASE + "smok: {}\n", "targets.yaml: line 28: smok: unknown key (did you mean 'smoke'?)"),
    Case("key-top-no-match", BASE + "zzz: 1\n",
         "targets.yaml: line 28: zzz: unknown key (valid keys here: app, defaults, environments, services, smoke, targets)"),
    Case("key-app", edit("  entry: wsgi:app\n", "  entry: wsgi:app\n  statc: x\n"),
         "targets.yaml: line 4: app.statc: unknown key (did you mean 'static'?)"),
    Case("key-smoke", edit("  health: /healthz\n", "  helth: /healthz\n"),
         "targets.yaml: line 7: smoke.helth: unknown key (did you mean 'health'?)"),
    Case("key-check", edit("{name: home, path: /}", "{name: home, path: /, stauts: 200}"),
         "targets.yaml: line 9: smoke.checks[0].stauts: unknown key (did you mean 'status'?)"),
    Case("key-defaults", edit('  python: "3.12"\n', '  pyhton: "3.12"\n'),
         "targets.yaml: line 11: defaults.pyhton: unknown key (did you mean 'python'?)"),
    Case("key-environment", edit("    env: {APP_ENV: development}\n", "    env: {APP_ENV: development}\n    secret: [X]\n"),
         "targets.yaml: line 16: environments.development.secret: unknown key (did you mean 'secrets'?)"),
    Case("key-cloudrun", edit("    region: us-central1\n", "    region: us-central1\n    regoin: x\n"),
         "targets.yaml: line 21: targets.run.regoin: unknown key (did you mean 'region'?)"),
    Case("key-heroku", edit("    app: flask-demo\n", "    app: flask-demo\n    tag: [stable]\n"),
         "targets.yaml: line 24: targets.dyno.tag: unknown key (did you mean 'tags'?)"),
    Case("key-functions", edit("    kind: functions\n", "    kind: functions\n    entrypoint: main\n"),
         "targets.yaml: line 26: targets.fn.entrypoint: unknown key (did you mean 'entry_point'?)"),
    Case("key-compose", edit("    kind: compose\n", "    kind: compose\n    server_name: [x]\n"),
         "targets.yaml: line 28: targets.web.server_name: unknown key (did you mean 'server_names'?)"),
    Case("key-auth", edit("    app: flask-demo\n", "    app: flask-demo\n    auth: {password_env: K, pasword: x}\n"),
         "targets.yaml: line 24: targets.dyno.auth.pasword: unknown key (did you mean 'password_env'?)"),
    Case("key-kind-typo", edit("    kind: cloudrun\n", "    kind: clodrun\n"),
         "targets.yaml: line 18: targets.run.kind: unknown kind 'clodrun' (did you mean 'cloudrun'? choose from: "
         "cloudrun, compose, functions, heroku)"),
    Case("key-kind-missing", edit("    kind: functions\n", "    entry_point: handler\n"),
         "targets.yaml: line 24: targets.fn.kind: missing (choose from: cloudrun, compose, functions, heroku)"),
    # -- keys written twice -------------------------------------------------------------------------
    Case("dup-top", BASE + "app: {source: app}\n", "targets.yaml: line 28: app is given twice; keep one"),
    Case("dup-nested", edit("    kind: compose\n", "    kind: compose\n    publish: 8000\n    publish: 8001\n"),
         "targets.yaml: line 29: targets.web.publish is given twice; keep one"),
    Case("dup-in-list", edit("{name: home, path: /}", "{name: home, path: /, path: /x}"),
         "targets.yaml: line 9: smoke.checks[0].path is given twice; keep one"),
    Case("dup-target", BASE + "  web:\n    kind: compose\n", "targets.yaml: line 28: targets.web is given twice; keep one"),
    # -- names --------------------------------------------------------------------------------
    Case("name-target-trailing-dash", edit("  fn:\n", "  fn-:\n"),
         "targets.yaml: line 24: targets.fn-: invalid name 'fn-': use lower-case letters, digits and '-', "
         "starting with a letter and not ending with '-'"),
    Case("name-target-all", edit("  fn:\n", "  all:\n"),
         "targets.yaml: line 24: targets.all: invalid name 'all': 'all' is reserved (--target all selects every "
         "target); choose another name"),
    Case("name-target-upper", edit("  fn:\n", "  Fn:\n"),
         "targets.yaml: line 24: targets.Fn: invalid name 'Fn': use lower-case letters, digits and '-', "
         "starting with a letter and not ending with '-'"),
    Case("name-target-too-long", edit("  fn:\n", f"  {LONG}:\n"),
         f"targets.yaml: line 24: targets.{LONG}: invalid name '{LONG}': at most 63 characters"),
    Case("name-target-digit-first", edit("  fn:\n", "  1fn:\n"),
         "targets.yaml: line 24: targets.1fn: invalid name '1fn': use lower-case letters, digits and '-', "
         "starting with a letter and not ending with '-'"),
    Case("name-target-underscore", edit("  fn:\n", "  my_fn:\n"),
         "targets.yaml: line 24: targets.my_fn: invalid name 'my_fn': use lower-case letters, digits and '-', "
         "starting with a letter and not ending with '-'"),
    Case("name-target-path", edit("  fn:\n", "  ../fn:\n"),
         "targets.yaml: line 24: targets.../fn: invalid name '../fn': use lower-case letters, digits and '-', "
         "starting with a letter and not ending with '-'"),
    Case("name-target-unicode", edit("  fn:\n", "  café:\n"),
         "targets.yaml: line 24: targets.café: invalid name 'café': use lower-case letters, digits and '-', "
         "starting with a letter and not ending with '-'"),
    Case("name-env-trailing-dash", edit("  development:\n    env", "  development:\n    env: {}\n  prod-:\n    env"),
         "targets.yaml: line 16: environments.prod-: invalid name 'prod-': use lower-case letters, digits and '-', "
         "starting with a letter and not ending with '-'"),
    Case("name-env-too-long", edit("  development:\n    env", f"  development:\n    env: {{}}\n  {LONG}:\n    env"),
         f"targets.yaml: line 16: environments.{LONG}: invalid name '{LONG}': at most 63 characters"),
    Case("name-entry-point-keyword", edit("    kind: functions\n", "    kind: functions\n    entry_point: class\n"),
         "targets.yaml: line 26: targets.fn.entry_point: 'class' is a Python keyword; a function cannot have that "
         "name, got 'class'"),
    Case("name-entry-point-none", edit("    kind: functions\n", "    kind: functions\n    entry_point: None\n"),
         "targets.yaml: line 26: targets.fn.entry_point: 'None' is a Python keyword; a function cannot have that "
         "name, got 'None'"),
    Case("name-entry-point-digit", edit("    kind: functions\n", "    kind: functions\n    entry_point: 1handler\n"),
         "targets.yaml: line 26: targets.fn.entry_point: invalid value, got '1handler' (must match "
         "^[A-Za-z_][A-Za-z0-9_]{0,62}$)"),
    Case("name-entry-module-keyword", edit("entry: wsgi:app", "entry: class:app"),
         "targets.yaml: line 3: app.entry: the module path holds a Python keyword, got 'class:app'"),
    Case("name-entry-factory-arguments-too-long", edit("entry: wsgi:app", "entry: wsgi:create_app('" + "a" * 199 + "')"),
         "targets.yaml: line 3: app.entry: the factory's arguments are over 200 characters, got "
         "\"wsgi:create_app('" + "a" * 57 + "...'"),
    Case("name-entry-attribute-keyword", edit("entry: wsgi:app", "entry: wsgi:import"),
         "targets.yaml: line 3: app.entry: write module:name or module:factory(...) as gunicorn takes it, "
         "got 'wsgi:import'"),
    Case("name-env-var-lower", edit("{APP_ENV: development}", "{app_env: development}"),
         "targets.yaml: line 15: environments.development.env.app_env: invalid name 'app_env': use lower-case "
         "letters, digits and '-', starting with a letter and not ending with '-'"),
    Case("name-secret-dash", edit("    env: {APP_ENV: development}\n",
                                  "    env: {APP_ENV: development}\n    secrets: [SECRET-KEY]\n"),
         "targets.yaml: line 16: environments.development.secrets[0]: invalid value, got 'SECRET-KEY' (must match "
         "^[A-Z_][A-Z0-9_]*$)"),
    Case("name-check-upper", edit("{name: home, path: /}", "{name: Home, path: /}"),
         "targets.yaml: line 9: smoke.checks[0].name: invalid value, got 'Home' (must match ^[a-z0-9][a-z0-9._-]{0,62}$)"),
    Case("name-service-id-dash", edit("    service_id: flask-demo\n", "    service_id: flask-demo-\n"),
         "targets.yaml: line 19: targets.run.service_id: invalid value, got 'flask-demo-' (must match "
         "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$)"),
    Case("name-region", edit("    region: us-central1\n", "    region: us central1\n"),
         "targets.yaml: line 20: targets.run.region: invalid value, got 'us central1' (must match ^[a-z]+-[a-z]+[0-9]+$)"),
    Case("name-tag-dash", edit("    app: flask-demo\n", "    app: flask-demo\n    tags: [-latest]\n"),
         "targets.yaml: line 24: targets.dyno.tags[0]: invalid value, got '-latest' (must match "
         "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$)"),
    # -- control characters, line separators, bidi overrides: escaped, never echoed ---------------
    Case("ctl-env-newline", edit("{APP_ENV: development}", '{APP_ENV: "dev\\nRUN rm -rf /"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\n'), got 'dev\\nRUN rm -rf /'"),
    Case("ctl-env-escape", edit("{APP_ENV: development}", '{APP_ENV: "\\e[2J\\e[31mdev"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\x1b'), got '\\x1b[2J\\x1b[31mdev'"),
    Case("ctl-env-nel", edit("{APP_ENV: development}", '{APP_ENV: "dev\\Nx"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\x85'), got 'dev\\x85x'"),
    Case("ctl-env-line-separator", edit("{APP_ENV: development}", '{APP_ENV: "dev\\Lx"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\u2028'), got 'dev\\u2028x'"),
    Case("ctl-env-csi", edit("{APP_ENV: development}", '{APP_ENV: "dev\\x9b31m"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\x9b'), got 'dev\\x9b31m'"),
    Case("ctl-env-bidi", edit("{APP_ENV: development}", '{APP_ENV: "dev\\u202etnempoleved"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\u202e'), got 'dev\\u202etnempoleved'"),
    Case("ctl-env-nul", edit("{APP_ENV: development}", '{APP_ENV: "dev\\0"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\x00'), got 'dev\\x00'"),
    Case("ctl-env-del", edit("{APP_ENV: development}", '{APP_ENV: "dev\\x7f"}'),
         "targets.yaml: line 15: environments.development.env.APP_ENV: must be one line without control characters "
         "(found '\\x7f'), got 'dev\\x7f'"),
    Case("ctl-contains", edit("{name: home, path: /}", '{name: home, path: /, contains: "a\\rb"}'),
         "targets.yaml: line 9: smoke.checks[0].contains: must be one line without control characters "
         "(found '\\r'), got 'a\\rb'"),
    Case("ctl-header-value", edit("{name: home, path: /}", '{name: home, path: /, headers: {X-A: "1\\r\\nX-B: 2"}}'),
         "targets.yaml: line 9: smoke.checks[0].headers.X-A: must be one line without control characters "
         "(found '\\r'), got '1\\r\\nX-B: 2'"),
    Case("ctl-form-key", edit("{name: home, path: /}", '{name: home, path: /, form: {"a\\nb": x}}'),
         "targets.yaml: line 9: smoke.checks[0].form.a\\nb: invalid name 'a\\nb': must be one line without control "
         "characters (found '\\n')"),
    Case("ctl-prestart", edit("  entry: wsgi:app\n", '  entry: wsgi:app\n  prestart: "flask init-db\\nrm -rf /"\n'),
         "targets.yaml: line 4: app.prestart: must be one line without control characters (found '\\n'), "
         "got 'flask init-db\\nrm -rf /'"),
    Case("ctl-release-bidi", edit("  entry: wsgi:app\n", '  entry: wsgi:app\n  release: "migrate \\u2066#\\u2069"\n'),
         "targets.yaml: line 4: app.release: must be one line without control characters (found '\\u2066'), "
         "got 'migrate \\u2066#\\u2069'"),
    Case("ctl-auth-username", edit("    app: flask-demo\n", '    app: flask-demo\n    auth: {username: "_\\e]0;x\\a", '
                                                            'password_env: K}\n'),
         "targets.yaml: line 24: targets.dyno.auth.username: must be one line without control characters "
         "(found '\\x1b'), got '_\\x1b]0;x\\x07'"),
    Case("ctl-unknown-key-escape", edit("    region: us-central1\n", '    region: us-central1\n    "\\e[31mred": 1\n'),
         "targets.yaml: line 21: targets.run.\\x1b[31mred: unknown key (valid keys here: auth, base_image, cdn_pages, "
         "firebase_json, kind, port, region, registry, service_id, services, tags)"),
    Case("ctl-unknown-key-forges-a-line", edit("    region: us-central1\n",
                                               '    region: us-central1\n    "x\\nerror: all good": 1\n'),
         "targets.yaml: line 21: targets.run.x\\nerror: all good: unknown key (valid keys here: auth, base_image, "
         "cdn_pages, firebase_json, kind, port, region, registry, service_id, services, tags)"),
    Case("ctl-target-name", edit("  fn:\n", '  "fn\\e[8m":\n'),
         "targets.yaml: line 24: targets.fn\\x1b[8m: invalid name 'fn\\x1b[8m': use lower-case letters, digits "
         "and '-', starting with a letter and not ending with '-'"),
    Case("ctl-service-id-newline", edit("    service_id: flask-demo\n", '    service_id: "flask-demo\\n"\n'),
         "targets.yaml: line 19: targets.run.service_id: invalid value, got 'flask-demo\\n' (must match "
         "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$)"),
    Case("ctl-image-injection", edit('  python: "3.12"\n', '  python: "3.12"\n  base_image: "python:3.12\\nUSER root"\n'),
         "targets.yaml: line 12: defaults.base_image: invalid value, got 'python:3.12\\nUSER root' (must match "
         "^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
         "(@sha256:[a-f0-9]{64})?$)"),
    Case("ctl-health", edit("  health: /healthz\n", '  health: "/healthz\\u2028"\n'),
         "targets.yaml: line 7: smoke.health: invalid value, got '/healthz\\u2028' (must match "
         "^/[A-Za-z0-9._~/%?&=+-]{0,200}$)"),
    # -- paths that leave their folder ---------------------------------------------------------------
    Case("path-static-url-escapes-build", edit("static_url: /static", "static_url: /s/../../../../tmp/x"),
         "targets.yaml: line 5: app.static_url: must not contain '.' or '..' segments, got '/s/../../../../tmp/x'"),
    Case("path-static-url-dotdot", edit("static_url: /static", "static_url: /static/.."),
         "targets.yaml: line 5: app.static_url: must not contain '.' or '..' segments, got '/static/..'"),
    Case("path-static-url-dot", edit("static_url: /static", "static_url: /./static"),
         "targets.yaml: line 5: app.static_url: must not contain '.' or '..' segments, got '/./static'"),
    Case("path-static-url-double-slash", edit("static_url: /static", "static_url: //static"),
         "targets.yaml: line 5: app.static_url: must not contain '//', got '//static'"),
    Case("path-static-url-relative", edit("static_url: /static", "static_url: static"),
         "targets.yaml: line 5: app.static_url: invalid value, got 'static' (must match ^/[A-Za-z0-9._~/-]{0,200}$)"),
    Case("path-static-parent", edit("static: demo/static", "static: ../../outside"),
         "targets.yaml: line 4: app.static: must stay inside the project (the manifest's folder), got '../../outside'"),
    Case("path-static-absolute", edit("static: demo/static", "static: /etc"),
         "targets.yaml: line 4: app.static: invalid value, got '/etc': a folder relative to app.source, e.g. static, "
         "or ../public beside it (the split layout)"),
    Case("path-static-symlink-out", BASE, "targets.yaml: app.static: app/demo/static leads outside the manifest's "
                                          "folder (a symlink to {root_parent}/outside); keep it inside",
         setup=_symlink("app/demo/static", _outside)),
    Case("path-requirements-parent", edit("  entry: wsgi:app\n", "  entry: wsgi:app\n  requirements: ../requirements.txt\n"),
         "targets.yaml: line 4: app.requirements: must stay inside the project (no '..' segments), got "
         "'../requirements.txt'"),
    Case("path-requirements-absolute", edit("  entry: wsgi:app\n", "  entry: wsgi:app\n  requirements: /etc/passwd\n"),
         "targets.yaml: line 4: app.requirements: invalid value, got '/etc/passwd' (must match "
         "^[A-Za-z0-9._][A-Za-z0-9._/-]*$)"),
    Case("path-requirements-symlink-out", BASE, "targets.yaml: app.requirements: requirements.txt leads outside "
                                                "app.source (a symlink to {root_parent}/outside/requirements.txt); "
                                                "keep it inside",
         setup=_symlink("app/requirements.txt", lambda root: _outside(root) / "requirements.txt")),
    Case("path-source-parent", edit("  source: app\n", "  source: ..\n"),
         "targets.yaml: line 2: app.source: must stay inside the project (no '..' segments), got '..'"),
    Case("path-source-root", edit("  source: app\n", "  source: /\n"),
         "targets.yaml: line 2: app.source: invalid value, got '/' (must match ^[A-Za-z0-9._][A-Za-z0-9._/-]*$)"),
    Case("path-source-home", edit("  source: app\n", "  source: ~/app\n"),
         "targets.yaml: line 2: app.source: invalid value, got '~/app' (must match ^[A-Za-z0-9._][A-Za-z0-9._/-]*$)"),
    Case("path-source-symlink-out", BASE, "targets.yaml: app.source: app leads outside the manifest's folder "
                                          "(a symlink to {root_parent}/outside); keep it inside",
         setup=_symlink("app", _outside)),
    Case("path-static-file-parent", edit("  health: /healthz\n", "  health: /healthz\n  static_file: ../../wsgi.py\n"),
         "targets.yaml: line 8: smoke.static_file: must stay inside the project (no '..' segments), got '../../wsgi.py'"),
    Case("path-static-file-symlink-out", edit("  health: /healthz\n", "  health: /healthz\n  static_file: leak.txt\n"),
         "targets.yaml: smoke.static_file: leak.txt leads outside app.static (a symlink to "
         "{root_parent}/outside/secret.txt); keep it inside",
         setup=_symlink("app/demo/static/leak.txt", lambda root: _outside(root) / "secret.txt")),
    Case("path-writable-parent", edit("  entry: wsgi:app\n", "  entry: wsgi:app\n  writable: [../data]\n"),
         "targets.yaml: line 4: app.writable[0]: must stay inside the project (no '..' segments), got '../data'"),
    # -- references -------------------------------------------------------------------------------
    Case("ref-default-environment", edit("  environment: development\n", "  environment: prod\n"),
         "targets.yaml: line 12: defaults.environment: the default environment 'prod' is not declared under "
         "environments (choose from: development); declare it or set defaults.environment"),
    Case("ref-default-environment-implicit", edit("  environment: development\n", "").replace(
        "  development:\n", "  production:\n"),
         "targets.yaml: line 12: environments: the default environment 'development' is not declared under "
         "environments (choose from: production); declare it or set defaults.environment"),
    Case("ref-env-option", BASE, "targets.yaml: no environment named 'qa' (choose from: development)",
         args=("smoke", "--env", "qa")),
    Case("ref-env-option-close", BASE, "targets.yaml: no environment named 'developmnt' (did you mean "
                                       "'development'? choose from: development)",
         args=("smoke", "--env", "developmnt")),
    Case("ref-env-option-escape", BASE, "targets.yaml: no environment named 'qa\\x1b[2J' (choose from: development)",
         args=("smoke", "--env", "qa\x1b[2J")),
    Case("ref-target-option", BASE, "targets.yaml: no target named 'clodrun' (did you mean 'run'? choose from: dyno, fn, run, web, all)",
         args=("build", "--target", "clodrun")),
    Case("ref-target-option-close", BASE, "targets.yaml: no target named 'dynoo' (did you mean 'dyno'? choose "
                                          "from: dyno, fn, run, web, all)",
         args=("build", "--target", "dynoo")),
    Case("ref-target-option-newline", BASE, "targets.yaml: no target named 'run\\nerror: forged' (choose from: "
                                            "dyno, fn, run, web, all)",
         args=("build", "--target", "run\nerror: forged")),
    # -- build/ and its records ---------------------------------------------------------------------
    Case("build-dir-is-a-file", BASE, "{root}/build is a file, not a folder; flaskship writes its output there: "
                                      "move the file away", setup=_file_at("build")),
    Case("build-dir-is-a-file-smoke", BASE, "{root}/build is a file, not a folder; flaskship writes its output "
                                            "there: move the file away",
         args=("smoke", "--target", "dyno"), setup=_file_at("build")),
    Case("build-dir-is-a-file-publish", BASE, "{root}/build is a file, not a folder; flaskship writes its output "
                                              "there: move the file away",
         args=("publish", "--target", "dyno"), setup=_file_at("build")),
    Case("record-empty", BASE, "dyno: {root}/build/dyno/build.json is unreadable (Expecting value: line 1 column 1 "
                               "(char 0)); rebuild with `invoke build --target dyno`",
         args=("publish", "--target", "dyno"), setup=_records(build_json="")),
    Case("record-truncated", BASE, "dyno: {root}/build/dyno/build.json is unreadable (Expecting property name "
                                   "enclosed in double quotes: line 1 column 2 (char 1)); rebuild with "
                                   "`invoke build --target dyno`",
         args=("smoke", "--target", "dyno"), setup=_records(build_json="{")),
    Case("record-a-list", BASE, "dyno: {root}/build/dyno/build.json is not a build record (not a JSON object); "
                                "rebuild with `invoke build --target dyno`",
         args=("publish", "--target", "dyno"), setup=_records(build_json="[]")),
    Case("record-empty-object", BASE, "dyno: {root}/build/dyno/build.json is not a build record (unexpected or "
                                      "missing keys); rebuild with `invoke build --target dyno`",
         args=("publish", "--target", "dyno"), setup=_records(build_json="{}")),
    Case("record-wrong-shape", BASE, "dyno: {root}/build/dyno/build.json is not a build record (images is "
                                     "malformed); rebuild with `invoke build --target dyno`",
         args=("publish", "--target", "dyno"),
         setup=_records(build_json='{"target": "dyno", "kind": "heroku", "images": {"app": "x"}}')),
    Case("record-of-another-target", BASE, "dyno: {root}/build/dyno/build.json is not a build record (it belongs "
                                           "to target 'web'); rebuild with `invoke build --target dyno`",
         args=("publish", "--target", "dyno"), setup=_records(build_json='{"target": "web", "kind": "compose"}')),
    Case("smoke-report-corrupt-publish", BASE, "{root}/build/smoke.json is unreadable (Expecting value: line 1 "
                                               "column 1 (char 0)); run `invoke smoke` to rewrite it",
         args=("publish", "--target", "dyno"), setup=_records(smoke_json="")),
    Case("smoke-report-wrong-shape-publish", BASE, "{root}/build/smoke.json is not a smoke report (no mapping of "
                                                   "targets); run `invoke smoke` to rewrite it",
         args=("publish", "--target", "dyno"), setup=_records(smoke_json='{"targets": []}')),
    Case("smoke-report-corrupt-smoke", BASE, "dyno: build/dyno/ changed since it was built; run "
                                             "`invoke build --target dyno`",
         args=("smoke", "--target", "dyno"), setup=_records(smoke_json="{\"targets\": {", hashed=False)),
    Case("publish-never-smoked", BASE, "dyno: was never smoked; run `invoke smoke --target dyno --env development` "
                                       "(or pass --force to publish anyway)",
         args=("publish", "--target", "dyno"), setup=_records()),
    Case("publish-other-environment", BASE.replace("environments:\n", "environments:\n  qa: {env: {APP_ENV: qa}}\n"),
         "dyno: was smoked for environment development, not for 'qa'; run `invoke smoke --target dyno --env qa` "
         "(or pass --force to publish anyway)",
         args=("publish", "--target", "dyno", "--env", "qa"),
         setup=lambda root: _records(smoke_json=json.dumps({"targets": {"dyno": {
             "passed": True, "env": "development", "inputs": "x", "images": {}, "environments": {
                 "development": {"passed": True, "env": "development", "inputs": "x", "images": {}}}}}}))(root)),
    # -- several problems at once --------------------------------------------------------------------
    Case("several-problems", edit("  entry: wsgi:app\n", "  entyr: wsgi:app\n").replace(
        "    port: 8080\n", "").replace('  python: "3.12"\n', "  python: 3.10\n").replace(
        "    kind: compose\n", "    kind: compose\n    tag: [x]\n    publish: 80a\n"),
         "targets.yaml: 4 problems (each listed above); the first: line 3: app.entyr: unknown key (did you mean "
         "'entry'?)",
         listed=("targets.yaml: line 3: app.entyr: unknown key (did you mean 'entry'?)",
                 "targets.yaml: line 11: defaults.python: expected a string, got 3.1; quote it (YAML reads 3.10 as "
                 "the number 3.1)",
                 "targets.yaml: line 28: targets.web.tag: unknown key (did you mean 'tags'?)",
                 "targets.yaml: line 29: targets.web.publish: expected an integer, got '80a'")),
]

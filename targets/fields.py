"""Validated value types shared by the manifest and every kind's settings.

Every string that can reach a Dockerfile, compose file, nginx config or shell
is constrained by a pattern here. Newlines and control characters are never
allowed, so no manifest value can inject an instruction or directive.
"""

from __future__ import annotations

import ast
import keyword
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


# Characters that end a line somewhere (NEL and U+2028/9 for Unicode-aware
# readers), steer a terminal (C0, DEL and the C1 range: 0x9b is CSI on an
# 8-bit terminal) or reorder what a reader sees (bidi overrides and isolates,
# the "Trojan Source" set). None of them belongs in a one-line value.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe_character(value: str) -> str | None:
    """The first character of `value` that may not appear in a one-line value, or None."""
    for ch in value:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F or ch in "\u2028\u2029" or ch in _BIDI:
            return ch
    return None


def _printable_line(value: str) -> str:
    bad = unsafe_character(value)
    if bad is not None:
        raise ValueError(f"must be one line without control characters (found {bad!r})")
    return value


def _url_path(value: str) -> str:
    # '.' and '..' segments would let a static URL map outside its folder (in
    # build/ and in nginx's alias); an empty segment is a typo that nginx and
    # Hosting read differently.
    segments = value.split("/")[1:]
    if any(s in (".", "..") for s in segments):
        raise ValueError("must not contain '.' or '..' segments")
    if "" in segments[:-1]:
        raise ValueError("must not contain '//'")
    return value


def _not_reserved(value: str) -> str:
    if value in RESERVED_NAMES:
        raise ValueError(f"{value!r} is reserved ({RESERVED_NAMES[value]}); choose another name")
    return value


def _not_keyword(value: str) -> str:
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        raise ValueError(f"{value!r} is a Python keyword; a function cannot have that name")
    return value


def _inside_project(value: str) -> str:
    if ".." in value.split("/"):
        raise ValueError("must stay inside the project (no '..' segments)")
    return value


class Strict(BaseModel):
    """Frozen, typed, and closed: an unknown key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# A name (target, environment) becomes a directory under build/, part of an
# image tag, a compose project name and a Cloud Functions name: a DNS label,
# which may not end with '-'.
Name = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")]
# Words the command line gives a meaning of its own: `--target all`.
RESERVED_NAMES = {"all": "--target all selects every target"}
TargetName = Annotated[Name, AfterValidator(_not_reserved)]
# A Python function name (the functions kind's entry point): not a keyword.
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"), AfterValidator(_not_keyword)]
# Must be a quoted string: YAML reads `python: 3.10` as the float 3.1.
PythonVersion = Annotated[str, StringConstraints(pattern=r"^3\.[0-9]{1,2}$")]
ImageRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
        r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$"
    ),
]
def _entry(value: str) -> str:
    """module.path:name or module.path:factory(<literal args>), exactly what gunicorn's
    import_app accepts: the call's arguments must be Python literals."""
    module, _, call = value.partition(":")
    if any(keyword.iskeyword(part) for part in module.split(".")):
        raise ValueError("the module path holds a Python keyword")
    if len(call.partition("(")[2]) > ENTRY_ARGS + 1:  # the arguments and the closing parenthesis
        raise ValueError(f"the factory's arguments are over {ENTRY_ARGS} characters")
    try:
        expression = ast.parse(call, mode="eval").body
    except SyntaxError:
        raise ValueError("write module:name or module:factory(...) as gunicorn takes it") from None
    if isinstance(expression, ast.Call):
        if not isinstance(expression.func, ast.Name):
            raise ValueError("the factory must be a plain name: module:create_app()")
        try:
            for argument in [*expression.args, *(kw.value for kw in expression.keywords)]:
                ast.literal_eval(argument)
        except ValueError:
            raise ValueError("factory arguments must be literals (strings, numbers, True/False/None)") from None
        if any(kw.arg is None for kw in expression.keywords):
            raise ValueError("factory arguments must be literals, not **kwargs")
    elif not isinstance(expression, ast.Name):
        raise ValueError("write module:name or module:factory(...) as gunicorn takes it")
    return value


# module.path:name or module.path:factory(args), as gunicorn takes it. The
# pattern keeps the text one printable line of safe characters (it is written
# into a JSON CMD and a Python entry module); _entry checks the grammar, and the
# arguments' length: as `{0,200}` in the pattern, 200 copies of Unicode's \w
# class cost 72 ms to compile in every process that loads the manifest.
ENTRY_ARGS = 200
Entry = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\([\w '\".,=+-]*\))?$"),
    AfterValidator(_entry),
    # The schema says what the pattern no longer holds, for editors that read it.
    Field(description=f"module:name or module:factory(args), as gunicorn takes it; the arguments are "
                      f"Python literals, {ENTRY_ARGS} characters at most"),
]
# Relative, inside the project: no absolute paths, no `..` segments.
RelPath = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9._][A-Za-z0-9._/-]*$"),
    AfterValidator(_inside_project),
]
# A folder relative to app.source that may start with `../` segments (and has no
# others): the split layout keeps public files beside the server code.
StaticPath = Annotated[str, StringConstraints(pattern=r"^(\.\./)*[A-Za-z0-9._][A-Za-z0-9._/-]*$"),
                       AfterValidator(lambda v: _inside_project(v.replace("../", "")) and v)]
UrlPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]{0,200}$"), AfterValidator(_url_path)]
CacheControl = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+(=[0-9]+)?(, ?[a-z0-9-]+(=[0-9]+)?)*$")]
EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")]
# A free-text value (env var values, labels): one printable line.
Line = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_printable_line)]
# A key of a free-form mapping (a form field name): one short printable line.
Key = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_printable_line)]
Port = Annotated[int, Field(ge=1, le=65535)]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+[0-9]+$")]
# Cloud Run service ids and Heroku app names share this DNS-label shape.
ServiceId = Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")]

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


def _printable_line(value: str) -> str:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("must be one line without control characters")
    return value


def _inside_project(value: str) -> str:
    if ".." in value.split("/"):
        raise ValueError("must stay inside the project (no '..' segments)")
    return value


class Strict(BaseModel):
    """Frozen, typed, and closed: an unknown key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# A target name becomes a directory under build/ and part of an image tag.
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
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
# into a JSON CMD and a Python entry module); _entry checks the grammar.
Entry = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\([\w '\".,=+-]{0,200}\))?$"),
    AfterValidator(_entry),
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
UrlPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$")]
CacheControl = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+(=[0-9]+)?(, ?[a-z0-9-]+(=[0-9]+)?)*$")]
EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")]
# A free-text value (env var values, labels): one printable line.
Line = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_printable_line)]
Port = Annotated[int, Field(ge=1, le=65535)]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+[0-9]+$")]
# Cloud Run service ids and Heroku app names share this DNS-label shape.
ServiceId = Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")]

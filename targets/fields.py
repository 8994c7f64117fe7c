"""Validated value types shared by the manifest and every kind's settings.

Every string that can reach a Dockerfile, compose file, nginx config or shell
is constrained by a pattern here. Newlines and control characters are never
allowed, so no manifest value can inject an instruction or directive.
"""

from __future__ import annotations

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
# module.path:attribute, as gunicorn and functions-framework take it.
Entry = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
]
# Relative, inside the project: no absolute paths, no `..` segments.
RelPath = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9._][A-Za-z0-9._/-]*$"),
    AfterValidator(_inside_project),
]
UrlPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$")]
CacheControl = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+(=[0-9]+)?(, ?[a-z0-9-]+(=[0-9]+)?)*$")]
EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")]
# A free-text value (env var values, labels): one printable line.
Line = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_printable_line)]
Port = Annotated[int, Field(ge=1, le=65535)]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+[0-9]+$")]
# Cloud Run service ids and Heroku app names share this DNS-label shape.
ServiceId = Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")]

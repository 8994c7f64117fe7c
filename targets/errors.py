"""The project's own exceptions.

Everything the user can cause or fix raises a subclass of FlaskshipError, whose
str() is one line saying what is wrong and how to fix it. tasks.py turns these
into `Exit`, so no traceback reaches the user. docker-py and requests errors
are translated into these at the boundary (engine/, and the platform clients
in each kind's folder).
"""

from __future__ import annotations


def printable(text: str, keep: str = "") -> str:
    """`text` with every character a terminal would act on escaped (\\n, \\x1b,
    \\u2028, bidi overrides ...), so no value from a file or a container can
    forge a line of output or steer the terminal. `keep` names characters left
    as they are (a multi-line log keeps its newlines)."""
    if text.isprintable() and not keep:
        return text
    return "".join(ch if ch.isprintable() or ch in keep else ch.encode("unicode_escape").decode("ascii") for ch in text)


class FlaskshipError(Exception):
    """Root of every error the user should see as one line."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        # Multi-line context (a log tail) printed after the one-line message.
        self.detail = detail
        # Every target that failed in the same run as this error, by name, with its
        # own message (commands/fanout.py): the summary marks each FAIL.
        self.also: dict[str, str] = {}

    def __str__(self) -> str:
        return self.message


class ManifestError(FlaskshipError):
    """targets.yaml is missing, unparsable or invalid."""


class RecordError(FlaskshipError):
    """A build record is missing or unreadable: the target must be (re)built."""


class SourceError(FlaskshipError):
    """A path or entry point named by the manifest does not exist."""


class DaemonUnreachable(FlaskshipError):
    """The Docker engine cannot be reached."""


class BaseImageMissing(FlaskshipError):
    """A base image is neither present nor pullable."""


class BuildFailed(FlaskshipError):
    """An image or zip build failed; detail holds the log tail."""


class SmokeFailed(FlaskshipError):
    """A target did not start or failed a check; detail holds its logs."""


class PublishFailed(FlaskshipError):
    """A push, upload or release failed."""

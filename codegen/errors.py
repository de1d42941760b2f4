"""The one error the generator raises for bad input."""

from __future__ import annotations

__all__ = ["SpecError", "pointer"]


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path segments: ``pointer("definitions", "a/b")``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class SpecError(Exception):
    """The spec cannot be turned into code; ``where`` is a JSON pointer or a file position."""

    def __init__(self, source: str, where: str, message: str) -> None:
        self.source = source
        self.where = where
        self.message = message
        super().__init__(
            f"{source}: {where or '/'}: {message}" if where else f"{source}: {message}"
        )

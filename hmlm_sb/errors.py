"""Errors that reach the user as one clear line (exit code 2 from the CLI)."""
from __future__ import annotations

VALUE_LIMIT = 200  # characters of a user's value shown in a message
LINE_LIMIT = 1000  # characters of one error line


def shorten(text: object, limit: int = VALUE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis and the full length."""
    value = str(text)
    if len(value) <= limit:
        return value
    return f"{value[:limit]}... ({len(value):,} characters)"


class HmlmError(Exception):
    """An error the user can act on. The CLI prints ``str(err)`` and exits with code 2."""

    exit_code = 2


class InputError(HmlmError):
    """Bad input: names the file and, where known, the element at fault."""

    def __init__(self, message: str, *, file: str | None = None, element: str | None = None):
        self.file = file
        self.element = element
        self.message = message
        parts = []
        if file:
            parts.append(shorten(file))
        if element:
            parts.append(shorten(element))
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StoreError(HmlmError):
    """The graph store cannot do what was asked (unreachable, locked, wrong schema...)."""


class SchemaVersionError(StoreError):
    """The store was written with another schema version."""

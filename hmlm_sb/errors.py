"""Errors that reach the user as one clear line (exit code 2 from the CLI)."""
from __future__ import annotations


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
            parts.append(str(file))
        if element:
            parts.append(str(element))
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StoreError(HmlmError):
    """The graph store cannot do what was asked (unreachable, locked, wrong schema...)."""


class SchemaVersionError(StoreError):
    """The store was written with another schema version."""

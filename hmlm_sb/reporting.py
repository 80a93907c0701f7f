"""How long work tells what it is doing, without knowing about the terminal.

:class:`Reporter` says nothing; ``hmlm_sb.cli.reporting.ConsoleReporter`` prints with
rich. Models report steps through :data:`hmlm_sb.models.base.ProgressCallback`, which
:meth:`Reporter.progress` hands out.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

ProgressCallback = Callable[[int, int, str], None]  # (step, total, message)


class Reporter:
    """The silent reporter; subclasses print."""

    def say(self, message: str) -> None:
        """One line of news."""

    def section(self, title: str) -> None:
        """A new stage of a long job."""

    def table(self, frame, title: str = "") -> None:
        """A small DataFrame worth showing."""

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        """Work of unknown length under ``message``."""
        yield

    @contextmanager
    def progress(self, label: str) -> Iterator[ProgressCallback | None]:
        """A callback for (step, total, message) updates of work labelled ``label``."""
        yield None

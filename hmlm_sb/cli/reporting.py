"""The terminal side of :class:`hmlm_sb.reporting.Reporter`: rich output on a console."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from hmlm_sb.cli.common import progress_bar
from hmlm_sb.reporting import ProgressCallback, Reporter


class ConsoleReporter(Reporter):
    """Lines, rules, spinners and progress bars on a rich ``console``."""

    def __init__(self, console=None):
        from rich.console import Console

        self.console = console or Console(stderr=True)

    def say(self, message: str) -> None:
        self.console.print(message, soft_wrap=True)  # one line stays one line

    def section(self, title: str) -> None:
        self.console.rule(f"[bold]{title}")

    def table(self, frame, title: str = "") -> None:
        from rich.table import Table

        table = Table(title=title or None)
        for col in frame.columns:
            table.add_column(str(col))
        for row in frame.itertuples(index=False):
            table.add_row(*("" if v is None else str(v) for v in row))
        self.console.print(table)

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        with self.console.status(message):
            yield

    @contextmanager
    def progress(self, label: str) -> Iterator[ProgressCallback | None]:
        with progress_bar(self.console) as bar:
            task = bar.add_task(label, total=None)

            def update(step: int, total: int, message: str) -> None:
                bar.update(task, completed=step, total=total, description=f"{label} {message}")

            yield update

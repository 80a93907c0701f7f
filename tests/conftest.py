"""Shared fixtures. Real inputs are read from ../shared/data (never copied here).

With CI=true a missing input or tool fails the test instead of skipping it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HMLM_SHARED_DATA", ROOT.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI, when something the suite needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI needs it: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    need(SHARED_DATA.is_dir(), f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def rogers_xlsx(shared_data: Path) -> Path:
    path = shared_data / "netflux" / "Rogers2022_snm_1_1_rev4.xlsx"
    need(path.is_file(), f"missing {path}")
    return path


def run_cli_captured(args: list[str], capsys) -> tuple[int, str, str]:
    """`hmlm ARGS...` in this process: (exit code, stdout, stderr) as ``capsys`` caught them."""
    from hmlm_sb.cli.main import cli

    try:
        cli(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def run_cli(db: Path, *args: str) -> int:
    """`hmlm --db DB ARGS...` in this process; its exit code."""
    from hmlm_sb.cli.main import cli

    try:
        cli(["--db", str(db), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0

"""Fixtures for the simulator tests: the Rogers 2022 network read once."""
from __future__ import annotations

from pathlib import Path

import pytest

from hmlm_sb.io.netflux import read_netflux
from hmlm_sb.network import Network


@pytest.fixture(scope="session")
def rogers(rogers_xlsx: Path) -> Network:
    return read_netflux(rogers_xlsx)

"""The graph schema as data (schema.yaml); hmlm_sb.store.schema turns it into DDL."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


@lru_cache(maxsize=1)
def load_schema() -> dict:
    import yaml

    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)

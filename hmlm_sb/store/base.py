"""The one interface both graph stores implement (LadybugDB embedded, Neo4j server).

Every method that writes is all-or-nothing: it runs in one transaction and leaves the
store as it was when it fails.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:  # pandas loads where a DataFrame is made (a plain query does without it)
    import pandas as pd

    from hmlm_sb.network import Network


@dataclass
class ImportResult:
    model_id: str
    status: str  # "imported" | "unchanged" | "replaced"
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class TrainingRunRecord:
    """What a TrainingRun node holds."""

    id: str
    model_kind: str  # hmlm | rf-ensemble | gnn | ...
    cell: str = ""
    fingerprint: str = ""  # Network.fingerprint() of the subgraph trained on
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    checkpoint: str = ""
    created_at: str = ""  # ISO 8601; the store fills it in when empty
    model_ids: list[str] = field(default_factory=list)  # models the subgraph spans


@dataclass
class CrosstalkEdge:
    """One learned edge, species-to-species or pathway-to-pathway (graph: ``CROSSTALK``)."""

    source: str  # uid of a Species or Pathway node
    target: str
    level: str  # "species" | "pathway"
    weight: float
    rank: int
    condition: str
    known: bool
    sign: int | None = None  # +1 / -1 / 0; None: not computed
    confidence: float | None = None  # fraction of ensemble members with the edge in their top k
    identifiable: bool | None = None  # the design can tell this source from other candidates
    method: str | None = None  # how the influence was read (jacobian, attention, ...)


class GraphStore(ABC):
    """A graph database holding networks, training runs and learned crosstalk."""

    url: str

    # ---- lifecycle ----------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def schema_version(self) -> str:
        """The schema version stored in the database."""

    # ---- networks -------------------------------------------------------------------
    @abstractmethod
    def save_network(self, network: Network, *, replace: bool = False, cell: str | None = None,
                     cell_type: str = "", organism: str = "") -> ImportResult:
        """Write one single-model network in one transaction.

        Same model id and same sha256: nothing changes (``status="unchanged"``). Same id,
        other content: refused unless ``replace``, which swaps the old model out in the
        same transaction. ``cell`` attaches the model's pathways to that Cell node.
        """

    @abstractmethod
    def remove_model(self, model_id: str) -> None: ...

    @abstractmethod
    def list_models(self) -> pd.DataFrame:
        """One row per Model node: id, name, format, source_file, sha256, imported_at."""

    @abstractmethod
    def load_network(self, *, model: str | None = None, cell: str | None = None,
                     pathways: Sequence[str] | None = None) -> Network:
        """The subgraph selected by the store (by model, cell or pathways) as a Network.

        A selection spanning several models uses uids (``model/local``) as ids.
        """

    # ---- queries ---------------------------------------------------------------------
    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *,
              write: bool = False) -> pd.DataFrame:
        """Run Cypher with parameters. Without ``write``, a statement that writes is refused."""
        import pandas as pd

        columns, rows = self.query_rows(cypher, params, write=write)
        return pd.DataFrame(rows, columns=columns)

    @abstractmethod
    def query_rows(self, cypher: str, params: Mapping[str, Any] | None = None, *,
                   write: bool = False) -> tuple[list[str], list[dict[str, Any]]]:
        """:meth:`query` as (column names, rows as dicts), without pandas."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Count per node label and relationship type (every type of the schema)."""

    # ---- training runs and crosstalk ------------------------------------------------------
    @abstractmethod
    def record_training_run(self, run: TrainingRunRecord) -> None: ...

    @abstractmethod
    def training_runs(self, cell: str | None = None) -> pd.DataFrame:
        """TrainingRun rows, newest first."""

    @abstractmethod
    def write_crosstalk(self, run: TrainingRunRecord, edges: Sequence[CrosstalkEdge], *,
                        keep_history: bool = False) -> int:
        """Record ``run`` and its edges in one transaction.

        Unless ``keep_history``, CROSSTALK edges of earlier runs for the same cell and
        condition are removed first (their TrainingRun nodes stay).
        """

    # ---- experiments (hmlm_sb.store.experiments) -------------------------------------------------
    def save_experiments(self, experiments: Any, network: Network, *, cell: str | None = None,
                         replace: bool = False) -> Any:
        """Write an ExperimentSet mapped to ``network``'s species in one transaction."""
        from hmlm_sb.store.experiments import save_experiments

        return save_experiments(self, experiments, network, cell=cell, replace=replace)

    def load_experiments(self, *, cell: str | None = None, ids: Sequence[str] | None = None,
                         dataset: str | None = None) -> list[Any]:
        """StoredExperiment records (species as uids)."""
        from hmlm_sb.store.experiments import load_experiments

        return load_experiments(self, cell=cell, ids=ids, dataset=dataset)

    def list_experiments(self, cell: str | None = None) -> pd.DataFrame:
        from hmlm_sb.store.experiments import list_experiments

        return list_experiments(self, cell)

    def remove_experiments(self, dataset: str) -> int:
        from hmlm_sb.store.experiments import remove_experiments

        return remove_experiments(self, dataset)

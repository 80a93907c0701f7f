"""The one contract every predictive model follows (HMLM and every baseline).

As scikit-learn's estimators: hyper-parameters in ``__init__`` (stored as attributes of
the same name), learning in ``fit``, and a shared test suite
(``tests/models/test_contract.py``) that runs every registered model.

Hyper-parameter hooks (optional classmethods returning ``__init__`` keyword arguments):
``test_params()`` small settings that fit the contract suite's tiny network in a second
or two (the suite uses them for every model that has them); ``quick_params()`` settings
for ``hmlm benchmark --quick``. Without a hook the defaults are used.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hmlm_sb.network import Network
from hmlm_sb.reporting import ProgressCallback  # (step, total, message)
from hmlm_sb.trajectories import Trajectories


class DynamicsModel(ABC):
    """Learns a network's dynamics from sparse time courses.

    ``fit`` sees only the measured entries of ``train`` (``train.measured``: observed time
    points with a value; NaN marks a species not measured), each condition's stimuli,
    perturbations (``train.inhibit``, ``train.knockdown``) and initial state, and the prior
    network (hidden edges removed). ``predict`` returns every species at any requested time
    for any stimulus and perturbation pattern, including conditions never seen in training.
    """

    name: ClassVar[str] = ""
    # a mechanistic model applies perturbations in its equations: a knockout must change
    # its predictions (check_model tests it); black-box models take them as inputs
    mechanistic: ClassVar[bool] = False

    # ---- hyper-parameters (scikit-learn style) ---------------------------------------
    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- learning -------------------------------------------------------------------------
    @abstractmethod
    def fit(self, train: Trajectories, prior: Network, *, seed: int = 0,
            progress: ProgressCallback | None = None) -> "DynamicsModel":
        """Learn from ``train.values[c, t]`` where ``train.observed[c, t]``; return self."""

    @abstractmethod
    def predict(self, stimuli: np.ndarray, initial: np.ndarray, times: np.ndarray,
                conditions: list[str] | None = None, *, inhibit: np.ndarray | None = None,
                knockdown: np.ndarray | None = None) -> np.ndarray:
        """Trajectories ``(C, T, S)`` for stimuli ``(C, I)`` and initial states ``(C, S)``.

        ``conditions`` names the rows where they match training conditions (a model may
        use what it saw of them, as interpolation does); unknown names are new conditions.
        ``inhibit`` and ``knockdown`` ``(C, S)`` are the perturbation factors of
        :class:`~hmlm_sb.trajectories.Trajectories` (None: untouched). Species order is
        that of the training data; NaN in ``initial`` means not measured.
        """

    def crosstalk(self, condition: str | None = None) -> np.ndarray | None:
        """Learned species-by-species influence ``(S, S)``, ``[i, j]`` = j acts on i.

        None for models without one (the benchmark then uses input-gradient sensitivity).
        """
        return None

    # ---- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """A checkpoint as data (:mod:`hmlm_sb.models.checkpoint`): params JSON, arrays,
        torch state dicts and a format version."""
        from hmlm_sb.models.checkpoint import save_model

        save_model(self, path)

    @classmethod
    def load(cls, path: str | Path) -> "DynamicsModel":
        """The model saved at ``path``; an older or foreign format is one clear InputError."""
        from hmlm_sb.models.checkpoint import load_model

        model = load_model(path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    @property
    def is_fitted(self) -> bool:
        return getattr(self, "species_", None) is not None


def perturbation_factors(inhibit: np.ndarray | None, knockdown: np.ndarray | None,
                         shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(inhibit, knockdown) as ``shape`` (C, S) float arrays, ones where None."""
    def factors(value: np.ndarray | None) -> np.ndarray:
        return np.ones(shape) if value is None else np.broadcast_to(np.asarray(value, dtype=float), shape).copy()
    return factors(inhibit), factors(knockdown)


# name -> "module:Class"; modules import lazily so that `hmlm --help` never loads torch.
MODEL_REGISTRY: dict[str, str] = {
    "hmlm": "hmlm_sb.models.hmlm:HMLM",
    "rf-ensemble": "hmlm_sb.models.rf_ensemble:RandomForestEnsemble",
    "interp": "hmlm_sb.models.baselines.interpolation:LinearInterpolation",
    "ode-default": "hmlm_sb.models.baselines.logic_ode:DefaultLogicODE",
    "ode-fitted": "hmlm_sb.models.baselines.logic_ode:FittedLogicODE",
    "cellbox": "hmlm_sb.models.baselines.cellbox:CellBox",
    "gnn": "hmlm_sb.models.baselines.gnn:GraphODE",
    "dbn": "hmlm_sb.models.baselines.dbn:DynamicBayesianNetwork",
}


def model_class(name: str) -> type[DynamicsModel]:
    try:
        target = MODEL_REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(MODEL_REGISTRY)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def make_model(name: str, **params: Any) -> DynamicsModel:
    return model_class(name)(**params)


def available_models() -> list[str]:
    """Registered models whose module is present."""
    out = []
    for name, target in MODEL_REGISTRY.items():
        try:
            found = importlib.util.find_spec(target.split(":")[0]) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            out.append(name)
    return out

"""``ude-mlp``: the HMLM's backbone with a dense MLP correction, a standard universal
differential equation (Rackauckas et al. 2020), trained by the same trainer with the
same budget knobs. The baseline that keeps the attention honest (docs/hmlm.md)."""
from __future__ import annotations

from typing import Any, ClassVar

from hmlm_sb.models.hmlm import HybridModel
from hmlm_sb.network import Network


class UDEMLP(HybridModel):
    """dy/dt = (ymax * knockdown * OR(prior rules on y * inhibit) + MLP(y, stimuli, inhibit, knockdown) - y) / tau."""

    name: ClassVar[str] = "ude-mlp"

    def __init__(self, hidden: int = 64, depth: int = 2,
                 n_steps: int = 30, grid_power: float = 2.0, iterations: int = 3,
                 shift_units: str = "activity", shift_every_stage: bool = False,
                 max_epochs: int = 250, patience: int = 60, min_epochs: int = 100, lr: float = 0.03,
                 lr_correction: float = 0.005, weight_decay: float = 1e-4,
                 correction_penalty: float = 1e-2, prior_penalty: float = 1e-3,
                 val_fraction: float = 0.2, threads: int | None = 1, clip_grad: float | None = None):
        for key, value in locals().items():
            if key not in ("self", "__class__"):
                setattr(self, key, value)
        self.species_: list[str] | None = None

    @classmethod
    def test_params(cls) -> dict[str, Any]:
        return {"hidden": 16, "n_steps": 8, "iterations": 2, "max_epochs": 10, "patience": 5, "min_epochs": 0,
                "threads": 1}

    def _hybrid(self, prior: Network, species: list[str], inputs: list[str]):
        from hmlm_sb.nn.hybrid import build_hybrid

        module, names, _ = build_hybrid(prior, species, inputs, correction="mlp", hidden=self.hidden,
                                        depth=self.depth)
        return module, names

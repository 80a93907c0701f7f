"""Named conditions: bundled file, user files, --set, and the errors they raise."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network, Participant, Reaction, Species
from hmlm_sb.sim.conditions import (Condition, input_weights, load_conditions, parse_assignments,
                                    simulate_conditions)
from hmlm_sb.sim.netflux_ode import compile_network


def test_bundled_conditions(rogers: Network) -> None:
    named = load_conditions()
    assert list(named)[:4] == ["control", "TGFB", "strain", "combined"]
    compiled = compile_network(rogers)
    order = compiled.input_species
    control = input_weights(compiled, named["control"])
    assert np.allclose(control, 0.1)
    combined = input_weights(compiled, named["combined"])
    assert combined[order.index("TGFB")] == 0.7 and combined[order.index("tension")] == 0.7
    assert input_weights(compiled, Condition("by-id", {"i2": 0.5}))[order.index("TGFB")] == 0.5


def test_user_file_extends_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[conditions.IL1]\nweights = { IL1 = 0.9 }\n[conditions.control]\nweights = { NP = 0.2 }\n')
    named = load_conditions(path)
    assert named["IL1"].weights == {"IL1": 0.9} and named["control"].weights == {"NP": 0.2}
    assert "TGFB" in named


@pytest.mark.parametrize("text, needle", [
    ('[conditions.x]\nweights = { TGFB = -1 }\n', "non-negative"),
    ('[conditions.x]\nweights = { TGFB = nan }\n', "non-negative"),
    ('[conditions\n', "not valid TOML"),
    ('title = "no conditions"\n', "no [conditions.NAME]"),
])
def test_bad_condition_files(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=needle.replace("[", r"\[")) as err:
        load_conditions(path)
    assert "bad.toml" in str(err.value)


def test_assignments_and_unknown_inputs(rogers: Network) -> None:
    assert parse_assignments(["TGFB=0.9", " tension = 0.3 "]) == {"TGFB": 0.9, "tension": 0.3}
    for bad in ("TGFB", "=1", "TGFB=abc", "TGFB=-0.1", "TGFB=nan"):
        with pytest.raises(InputError):
            parse_assignments([bad])
    compiled = compile_network(rogers)
    with pytest.raises(InputError, match="'smad3' is not an input"):
        input_weights(compiled, Condition("x", {"smad3": 0.5}))
    with pytest.raises(InputError, match="unknown species 'nope'"):
        simulate_conditions(compiled, [Condition("kd", {}, {"nope": 0.1})], np.linspace(0, 1, 3))


def test_network_without_inputs_is_a_clear_error() -> None:
    net = Network()
    net.add_species(Species("A"))
    net.add_species(Species("B"))
    net.add_reaction(Reaction("r1", "netflux", [Participant("A", "input", 1), Participant("B", "output", 1)],
                              [(1, __import__("hmlm_sb.logic", fromlist=["Literal"]).Literal("A"))]))
    with pytest.raises(InputError, match="no input reactions"):
        simulate_conditions(net, [Condition("control")], np.linspace(0, 1, 3))

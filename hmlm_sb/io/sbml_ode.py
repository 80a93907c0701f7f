"""Write a Netflux network as SBML core L3V2 whose rate rules are the logic-based ODE.

Any SBML simulator (libRoadRunner, COPASI) then integrates the same model as
:mod:`hmlm_sb.sim.netflux_ode`: the independent check of our simulator. Every species is
an SBML species (amount in a unit compartment) with a rate rule; every reaction row has
parameters ``w_<row>``, ``n_<row>``, ``EC50_<row>``, every species ``tau_<id>`` and
``ymax_<id>``. Input weights are the ``w_`` parameters of the input reactions, so a
condition is set by changing them (``rr["w_i2"] = 0.7`` in libRoadRunner).

The Hill function is the published ``beta * x^n / (beta - 1 + x^n)`` with
``beta = (EC50^n - 1) / (2 EC50^n - 1)``, multiplied through by ``2 EC50^n - 1`` as the
simulator does (finite where beta is not), and ``x`` is clamped at 0 first as in the
simulator: a solver's trial state can be slightly negative, and ``x^n`` of a negative
``x`` is NaN for non-integer ``n`` (CVODE then fails on about a third of random
parameter sets). The clamp is ``(x + abs(x)) / 2``: libRoadRunner stalls on the same
clamp written as a ``piecewise``.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hmlm_sb.errors import InputError
from hmlm_sb.network import Network
from hmlm_sb.sim.netflux_ode import CompiledNetwork, OdeParams, compile_network

_CLAMPED = "((x + abs(x)) / 2)"  # max(x, 0)
_HILL = (f"lambda(x, n, EC50, (1 - EC50^n) * {_CLAMPED}^n / "
         f"(EC50^n + (1 - 2 * EC50^n) * {_CLAMPED}^n))")


def sbml_id(text: str, prefix: str = "") -> str:
    """A valid SBML SId from any text (other characters become '_')."""
    ident = prefix + re.sub(r"[^A-Za-z0-9_]", "_", text)
    return ident if re.match(r"^[A-Za-z_]", ident) else "_" + ident


def write_sbml_ode(network: Network, path: str | Path, *, input_weights: dict[str, float] | None = None) -> dict[str, str]:
    """Write the ODE model; returns the species id -> SBML id map.

    ``input_weights`` (input reaction id -> w) overrides the network's input weights."""
    import libsbml

    compiled = compile_network(network)
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId(sbml_id(network.models[0].id if network.models else "netflux_model"))
    model.setName("Netflux logic-based ODE (written by hmlm-sb)")
    comp = model.createCompartment()
    comp.setId("cell"); comp.setConstant(True); comp.setSize(1.0); comp.setSpatialDimensions(3)
    for name, formula in (("hill", _HILL), ("inhib", "lambda(x, n, EC50, 1 - hill(x, n, EC50))")):
        fd = model.createFunctionDefinition()
        fd.setId(name)
        fd.setMath(_math(formula))
    ids = {s: sbml_id(s) for s in compiled.species}
    if len(set(ids.values())) != len(ids):
        raise InputError("species ids collide after conversion to SBML ids")
    row_ids = [sbml_id(r) for r in compiled.reactions]
    weights = compiled.weight.copy()
    for rid, value in (input_weights or {}).items():
        rows = [i for i in compiled.input_rows if compiled.reactions[i] == rid]
        if not rows:
            raise InputError(f"unknown input reaction {rid!r}")
        weights[rows[0]] = value
    for r, rid in enumerate(row_ids):
        _parameter(model, f"w_{rid}", weights[r])
        _parameter(model, f"n_{rid}", compiled.n[r])
        _parameter(model, f"EC50_{rid}", compiled.ec50[r])
    for s, sid in enumerate(compiled.species):
        species = model.createSpecies()
        species.setId(ids[sid]); species.setName(network.species[sid].name or sid)
        species.setCompartment("cell"); species.setInitialAmount(float(compiled.y0[s]))
        species.setHasOnlySubstanceUnits(True); species.setBoundaryCondition(False)
        species.setConstant(False)
        _parameter(model, f"tau_{ids[sid]}", compiled.tau[s])
        _parameter(model, f"ymax_{ids[sid]}", compiled.ymax[s])
    for s, sid in enumerate(compiled.species):
        rule = model.createRateRule()
        rule.setVariable(ids[sid])
        rule.setMath(_math(_rate_formula(compiled, s, ids, row_ids)))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not libsbml.writeSBMLToFile(doc, str(path)):
        raise InputError("could not write SBML", file=str(path))
    return ids


def _parameter(model, pid: str, value: float) -> None:
    param = model.createParameter()
    param.setId(pid); param.setValue(float(value)); param.setConstant(True)


def _math(formula: str):
    import libsbml

    ast = libsbml.parseL3Formula(formula)
    if ast is None:
        raise ValueError(f"cannot parse {formula!r}: {libsbml.getLastParseL3Error()}")
    return ast


def _row_formula(compiled: CompiledNetwork, r: int, ids: dict[str, str], row_ids: list[str]) -> str:
    rid = row_ids[r]
    factors = [f"w_{rid}"]
    for j in compiled.row_literals[r]:
        if j >= len(compiled.lit_species):
            continue
        x = ids[compiled.species[compiled.lit_species[j]]]
        fn = "inhib" if compiled.lit_negated[j] else "hill"
        factors.append(f"{fn}({x}, n_{rid}, EC50_{rid})")
    return " * ".join(factors)


def _rate_formula(compiled: CompiledNetwork, s: int, ids: dict[str, str], row_ids: list[str]) -> str:
    sid = ids[compiled.species[s]]
    rows = [compiled.edge_row[e] for e in compiled.species_edges[s] if e < len(compiled.edge_row)]
    if rows:
        production = "1 - " + " * ".join(f"(1 - {_row_formula(compiled, r, ids, row_ids)})" for r in rows)
    else:
        production = "0"
    return f"(({production}) * ymax_{sid} - {sid}) / tau_{sid}"


def roadrunner_parameters(rr, compiled: CompiledNetwork, ids: dict[str, str], params: OdeParams) -> np.ndarray:
    """(B, G) values of a libRoadRunner model's global parameters (``getGlobalParameterIds``
    order) for each parameter set of ``params``; ``ids`` as returned by :func:`write_sbml_ode`.
    Inhibitions are not part of the export and must be all ones."""
    if not np.all(params.inhibit == 1.0):
        raise InputError("the SBML export has no inhibitions (inhibit must be all ones)")
    index = {name: k for k, name in enumerate(rr.model.getGlobalParameterIds())}
    out = np.tile(np.asarray(rr.model.getGlobalParameterValues(), dtype=float), (params.batch, 1))
    for key, prefix in (("weight", "w_"), ("n", "n_"), ("ec50", "EC50_")):
        out[:, [index[prefix + sbml_id(r)] for r in compiled.reactions]] = getattr(params, key)
    for key, prefix in (("tau", "tau_"), ("ymax", "ymax_")):
        out[:, [index[prefix + ids[s]] for s in compiled.species]] = getattr(params, key)
    return out


def simulate_roadrunner(rr, compiled: CompiledNetwork, ids: dict[str, str], params: OdeParams,
                        t_end: float, points: int) -> tuple[np.ndarray, int]:
    """(values (B, T, S) over ``points`` times 0..t_end from the exported y0, failures): one
    libRoadRunner run per parameter set; a set whose solver fails is a NaN row and a failure."""
    vectors = roadrunner_parameters(rr, compiled, ids, params)
    rr.timeCourseSelections = ["time"] + [ids[s] for s in compiled.species]
    out = np.full((params.batch, points, len(compiled.species)), np.nan)
    failures = 0
    for b in range(params.batch):
        rr.resetAll()
        rr.model.setGlobalParameterValues(vectors[b])
        try:
            out[b] = np.asarray(rr.simulate(0.0, t_end, points))[:, 1:]
        except RuntimeError:
            failures += 1
    return out, failures

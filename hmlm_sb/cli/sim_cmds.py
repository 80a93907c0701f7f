"""`hmlm simulate`, `hmlm dataset make`, `hmlm validate literature`."""
from __future__ import annotations

import json
from pathlib import Path

import click

from hmlm_sb.cli.network_source import network_options, resolve_network


def _condition(name: str, conditions_file: str | None, assignments: tuple[str, ...],
               inhibit: tuple[str, ...] = (), knockdown: tuple[str, ...] = ()):
    from hmlm_sb.errors import InputError
    from hmlm_sb.sim.conditions import parse_assignments, load_conditions

    named = load_conditions(conditions_file)
    if name not in named:
        raise InputError(f"unknown condition {name!r} (known: {', '.join(named)})")
    extra = parse_assignments(assignments)
    inhibited = parse_assignments(inhibit, "--inhibit", "SPECIES=F")
    knocked = parse_assignments(knockdown, "--knockdown", "SPECIES=F")
    changes = [f"{k}={v:g}" for k, v in extra.items()] + [f"{k}i={v:g}" for k, v in inhibited.items()] \
        + [f"{k}kd={v:g}" for k, v in knocked.items()]
    label = name if not changes else f"{name}+" + ",".join(changes)
    return named[name].with_weights(extra, label).with_perturbations(inhibited, knocked, label)


@click.command()
@click.option("--condition", "condition_names", multiple=True, default=("control",), show_default=True,
              help="Named condition (repeatable): control, TGFB, strain, combined, or from --conditions.")
@click.option("--set", "assignments", multiple=True, metavar="INPUT=W",
              help="Set an input weight on top of the condition (repeatable), e.g. --set TGFB=0.9.")
@click.option("--inhibit", "inhibit", multiple=True, metavar="SPECIES=F",
              help="Inhibit a species: the rules read F x its state (0 = complete; repeatable).")
@click.option("--knockdown", "knockdown", multiple=True, metavar="SPECIES=F",
              help="Knock a species down: ymax times F (0 = knockout; repeatable).")
@click.option("--conditions", "conditions_file", type=click.Path(dir_okay=False),
              help="TOML file with more [conditions.NAME] tables.")
@network_options()
@click.option("--t-end", type=float, default=80.0, show_default=True, help="End time (model time units).")
@click.option("--points", type=int, default=101, show_default=True, help="Output time points.")
@click.option("--out", type=click.Path(dir_okay=False), help="Tidy CSV: condition,time,species,value.")
@click.option("--plot", type=click.Path(dir_okay=False), help="PNG of the trajectories of --species.")
@click.option("--species", "species_list", default="", help="Comma-separated species to plot "
              "(default: the ECM outputs proCI, proCIII, fibronectin, aSMA, periostin, CTGF if present).")
@click.pass_context
def simulate(ctx, condition_names, assignments, inhibit, knockdown, conditions_file, source, t_end, points, out, plot, species_list):
    """Simulate the logic-based ODE from the network's y0 under named conditions (no noise)."""
    import numpy as np

    from hmlm_sb.errors import InputError
    from hmlm_sb.sim.conditions import simulate_conditions

    if t_end <= 0 or points < 2:
        raise InputError("--t-end must be positive and --points at least 2")
    net = resolve_network(ctx, source)
    conditions = [_condition(n, conditions_file, assignments, inhibit, knockdown) for n in condition_names]
    traj = simulate_conditions(net, conditions, np.linspace(0.0, t_end, points))
    frame = traj.to_frame()[["condition", "time", "species", "value"]]
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        click.echo(f"wrote {out} ({len(conditions)} conditions x {points} times x {len(traj.species)} species)")
    if plot:
        from hmlm_sb.sim.plots import plot_trajectories

        chosen = [s.strip() for s in species_list.split(",") if s.strip()]
        unknown = [s for s in chosen if s not in traj.species]
        if unknown:
            raise InputError(f"unknown species to plot: {', '.join(unknown)}")
        plot_trajectories(traj, chosen or None, plot, title=net.models[0].name or net.models[0].id)
        click.echo(f"wrote {plot}")
    if not out and not plot:
        final = frame[frame["time"] == frame["time"].max()].pivot(index="species", columns="condition", values="value")
        click.echo(final.round(3).to_string())


@click.group()
def dataset():
    """Ground-truth datasets for training and benchmarks."""


@dataset.command("make")
@network_options()
@click.option("--out", "out_dir", default="datasets/rogers2022", show_default=True, type=click.Path(file_okay=False))
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--hidden-fraction", type=float, default=0.2, show_default=True,
              help="Fraction of (reaction, source) edges hidden from the prior network.")
@click.option("--noise", type=float, default=0.02, show_default=True, help="Gaussian measurement noise sd.")
@click.option("--protocol", type=click.Choice(["zero", "steady"]), default="zero", show_default=True,
              help="zero: start from y0 = 0; steady: from the control steady state, stimulus at t=0.")
@click.option("--condition", "condition_names", multiple=True, help="Conditions (default: control, TGFB, strain, combined).")
@click.option("--conditions", "conditions_file", type=click.Path(dir_okay=False), help="TOML with more conditions.")
@click.option("--single-inputs", is_flag=True, help="Add one condition per input stimulated alone.")
@click.option("--knockdown", "knockdowns", multiple=True, help="Add a knockdown (ymax 0.1) of SPECIES under 'combined'.")
@click.option("--replicates", type=int, default=1, show_default=True)
@click.option("--points", type=int, default=100, show_default=True, help="Time points of the dense grid.")
@click.option("--t-end", type=float, default=None, help="End time (default: settling time of the truth).")
@click.pass_context
def make(ctx, source, out_dir, seed, hidden_fraction, noise, protocol, condition_names, conditions_file,
         single_inputs, knockdowns, replicates, points, t_end):
    """Simulate perturbed truth, hide edges from the prior, add noise; write tidy tables."""
    from hmlm_sb.sim.conditions import STANDARD_CONDITIONS, load_conditions
    from hmlm_sb.sim.datasets import DatasetSpec, make_dataset

    spec = DatasetSpec(seed=seed, hidden_fraction=hidden_fraction, noise_sd=noise, protocol=protocol,
                       n_times=points, t_end=t_end, conditions=list(condition_names or STANDARD_CONDITIONS),
                       single_inputs=single_inputs, knockdowns=list(knockdowns), replicates=replicates)
    data = make_dataset(resolve_network(ctx, source), spec, load_conditions(conditions_file))
    folder = data.save(out_dir)
    click.echo(f"wrote {folder}: {len(data.truth.conditions)} conditions, {len(data.truth.times)} times "
               f"(0..{data.truth.times[-1]:g}), {len(data.truth.species)} species, "
               f"{len(data.hidden_edges)} hidden edges")


@click.group()
def validate():
    """Score predictions against published experiments."""


@validate.command("literature")
@click.argument("table", type=click.Path(dir_okay=False))
@network_options()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--threshold", type=float, default=0.05, show_default=True,
              help="|activity change| above which a change is an Increase / Decrease.")
@click.option("--stimulus", type=float, default=0.8, show_default=True, help="Weight of the stimulated input.")
@click.option("--baseline", "baseline", multiple=True, metavar="INPUT=W",
              help="Baseline input weight overrides (default: the network's own weights).")
@click.pass_context
def literature(ctx, table, source, fmt, threshold, stimulus, baseline):
    """Stimulate each experiment's input; compare the output's change with the measurement."""
    from hmlm_sb.cli.common import print_frame
    from hmlm_sb.errors import InputError
    from hmlm_sb.sim.conditions import parse_assignments
    from hmlm_sb.sim.literature import LiteratureProtocol, validate_network

    if not (threshold >= 0) or not (stimulus >= 0):
        raise InputError("--threshold and --stimulus must be non-negative")
    protocol = LiteratureProtocol(stimulus_weight=stimulus, threshold=threshold,
                                  baseline_weights=parse_assignments(baseline))
    score = validate_network(resolve_network(ctx, source), table, protocol)
    if fmt == "json":
        click.echo(json.dumps(score.to_json(), indent=2))
        return
    click.echo(f"agreement: {score.agreement:.3f} ({int(score.table['match'].sum())}/{len(score.table)} "
               f"experiments; {len(score.skipped)} skipped; threshold {threshold:g})")
    print_frame(score.per_input(), "table", title="per input")
    print_frame(score.confusion().reset_index(), "table", title="confusion (rows measured, columns predicted)")
    if len(score.skipped):
        print_frame(score.skipped, "table", title="skipped")

"""Checks every reader's network passes before it leaves :mod:`hmlm_sb.io`."""
from __future__ import annotations

from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.io.limits import check_id, check_name, xml_limits
from hmlm_sb.network import Network


def check_network(net: Network, path: str | Path) -> None:
    """Ids and names within the limits, then every reference resolved."""
    check_names(net, path)
    try:
        net.check()
    except ValueError as exc:
        element, _, message = str(exc).partition(" refers to ")
        raise InputError(f"refers to {message}" if message else str(exc), file=str(path),
                         element=element if message else None) from None


def check_names(net: Network, path: str | Path) -> None:
    """Refuse ids and names over the length limits or holding control / format characters."""
    file, limits = str(path), xml_limits()
    for info in net.models:
        check_id(info.id, "model id", file=file, element="model", limits=limits)
        check_name(info.name, "model name", file=file, element="model", limits=limits)
    for kind, items in (("compartment", net.compartments), ("species", net.species),
                        ("reaction", net.reactions), ("pathway", net.pathways)):
        for key, item in items.items():
            check_id(key, f"{kind} id", file=file, element=kind, limits=limits)
            check_name(item.name or "", f"{kind} name", file=file, element=f"{kind} {key}", limits=limits)

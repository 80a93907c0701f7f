"""SBML groups through libsbml: each group a Pathway, its members expanded to species."""
from __future__ import annotations

from pathlib import Path

from hmlm_sb.errors import InputError
from hmlm_sb.io.annotations import xrefs_of
from hmlm_sb.io.sbml_common import hmlm_data, sbo_of
from hmlm_sb.io.sbml_network import MemberResolver, Renames
from hmlm_sb.network import Network, Pathway


def read_groups(model, net: Network, mid: str, path: Path, renames: Renames) -> None:
    plugin = model.getPlugin("groups")
    if plugin is None or plugin.getNumGroups() == 0:
        return
    groups: dict[str, list[str | None]] = {}
    elements = []
    for i, group in enumerate(plugin.getListOfGroups()):
        gid = group.getId() or f"group{i + 1}"
        refs: list[str | None] = []
        for member in group.getListOfMembers():
            ref = member.getIdRef() if member.isSetIdRef() else None
            if ref is None and member.isSetMetaIdRef():
                element = model.getElementByMetaId(member.getMetaIdRef())
                if element is None:
                    raise InputError(f"member refers to unknown metaid {member.getMetaIdRef()!r}",
                                     file=str(path), element=f"group {gid}")
                ref = element.getId()
            refs.append(ref)
        groups[gid] = refs
        elements.append((gid, group))
    resolver = MemberResolver(net, groups, path, lambda ref: model.getElementBySId(ref) is not None)
    for gid, group in elements:
        data = hmlm_data(group) or {}
        if data.get("id"):
            renames["pathways"][gid] = data["id"]
        net.pathways[gid] = Pathway(id=gid, name=group.getName(), members=resolver.species_of_group(gid),
                                    sbo=sbo_of(group), xrefs=xrefs_of(group), model=data.get("model") or mid)

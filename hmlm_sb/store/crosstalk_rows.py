"""Reading learned crosstalk back from a store as plain rows (no pandas, no numpy):
what `hmlm crosstalk` runs, so that the command costs little more than its Cypher."""
from __future__ import annotations

from typing import Any

CROSSTALK_COLUMNS = ["condition", "level", "source", "source_name", "target", "target_name",
                     "weight", "rank", "known", "sign", "confidence", "identifiable", "method", "model_kind", "run"]
ATTENTION = "attention"  # the raw attention view: shown only when asked for


def crosstalk_query(*, level: str = "species", end: str | None = None, condition: str | None = None,
                    novel: bool = False, top: int = 20, min_confidence: float | None = None,
                    method: str | None = None) -> tuple[str, dict[str, object]]:
    """Cypher and parameters for the ranked crosstalk table (runs on both stores).

    ``end`` ("source" or "target") restricts that end to the node whose uid is the
    parameter ``$node`` (a key lookup, fast on a million edges); fill it in the params.
    ``min_confidence`` keeps edges whose ensemble confidence is at least that; ``method``
    keeps edges read that way (``attention``: the raw attention view); None keeps every
    edge but the attention view.
    """
    if level not in ("species", "pathway"):
        raise ValueError(f"level must be 'species' or 'pathway', not {level!r}")
    if end not in (None, "source", "target"):
        raise ValueError(f"end must be 'source' or 'target', not {end!r}")
    if top < 1:
        raise ValueError("top must be at least 1")
    label = "Species" if level == "species" else "Pathway"
    where, params = [], {"top": int(top)}
    if end is not None:
        where.append(f"{'s' if end == 'source' else 't'}.uid = $node")
    if condition is not None:
        where.append("c.condition = $condition")
        params["condition"] = condition
    if novel:
        where.append("c.known = false")
    if min_confidence is not None:
        where.append("c.confidence >= $min_confidence")
        params["min_confidence"] = float(min_confidence)
    if method is None:
        where.append("(c.method IS NULL OR c.method <> $attention)")
        params["attention"] = ATTENTION
    else:
        where.append("c.method = $method")
        params["method"] = method
    cypher = (
        f"MATCH (s:{label})-[c:CROSSTALK]->(t:{label})"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" RETURN c.condition AS condition, '{level}' AS level, s.uid AS source, s.name AS source_name,"
        " t.uid AS target, t.name AS target_name, c.weight AS weight, c.rank AS rank,"
        " c.known AS known, c.sign AS sign, c.confidence AS confidence, c.identifiable AS identifiable,"
        " c.method AS method, c.model_kind AS model_kind, c.run AS run"
        " ORDER BY weight DESC, condition, source, target LIMIT $top"
    )
    return cypher, params


def resolve_nodes(store, level: str, name: str) -> list[str]:
    """uids of the Species (or Pathway) nodes whose uid, local id or name is ``name``."""
    label = "Species" if level == "species" else "Pathway"
    _, rows = store.query_rows(f"MATCH (n:{label}) WHERE n.uid = $name OR n.id = $name OR n.name = $name "
                               "RETURN n.uid AS uid ORDER BY uid", {"name": name})
    return [str(row["uid"]) for row in rows]


def crosstalk_rows(store, *, level: str = "species", species: str | None = None, pathway: str | None = None,
                   condition: str | None = None, novel: bool = False, top: int = 20,
                   min_confidence: float | None = None, method: str | None = None) -> list[dict[str, Any]]:
    """The ranked crosstalk edges, strongest first (ties: condition, source, target);
    ``species`` / ``pathway`` match a node's uid, local id or name at either end;
    ``min_confidence`` and ``method`` as :func:`crosstalk_query`."""
    name = species if species is not None else pathway
    filters = {"level": level, "condition": condition, "novel": novel, "top": top,
               "min_confidence": min_confidence, "method": method}
    if name is None:
        cypher, params = crosstalk_query(**filters)
        found = store.query_rows(cypher, params)[1]
    else:
        found = []
        for uid in resolve_nodes(store, level, name):
            for end in ("source", "target"):
                cypher, params = crosstalk_query(end=end, **filters)
                found.extend(store.query_rows(cypher, {**params, "node": uid})[1])
    unique: dict[tuple, dict[str, Any]] = {}
    for row in found:  # an edge from the node to itself comes back once per end
        unique.setdefault((row["condition"], row["source"], row["target"], row["run"]), row)
    ranked = sorted(unique.values(), key=lambda r: (r["condition"], r["source"], r["target"]))
    ranked.sort(key=lambda r: r["weight"], reverse=True)  # stable: ties keep the order above
    return [{col: row[col] for col in CROSSTALK_COLUMNS} for row in ranked[:top]]


def unidentifiable_note(rows) -> str | None:
    """One line when most shown edges (rows of :func:`crosstalk_rows`, or a DataFrame's
    records) have a source the training design could not tell from other candidates
    (``identifiable = false``), else None."""
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    flags = [bool(r["identifiable"]) for r in rows if r.get("identifiable") is not None
             and r.get("identifiable") == r.get("identifiable")]  # NaN from a DataFrame: not checked
    if not flags:
        return None
    unknown = flags.count(False)
    if unknown * 2 < len(flags):
        return None
    return (f"warning: {unknown} of the {len(flags)} edges shown have a source the training design cannot tell "
            "apart from other candidates (identifiable = false): train with single-input or perturbation "
            "conditions before reading them as findings")

"""An entity's neighbourhood for the graph view: who claims what about whom, capped.

Nodes are entities; an edge runs from a claimant to what its claim is about (or its stance
target), labelled with the stance and counted. The view asks for a node's own neighbourhood to
expand it, so no answer needs to hold more than CAP nodes.
"""

from __future__ import annotations

from typing import Any

from .data import short_entity

CAP = 40


def neighbourhood(page: dict[str, Any], entity_id: str) -> dict[str, Any]:
    e = page["entity"]
    nodes: dict[str, dict[str, Any]] = {entity_id: {"id": entity_id, "label": e.get("label") or entity_id,
                                                     "type": e.get("entityType") or "", "root": True}}
    edges: dict[tuple[str, str, str], int] = {}
    truncated = False
    for c in {c["id"]: c for c in page["made"] + page["about"]}.values():
        source = c.get("claimant") or {}
        targets = (c.get("about") or []) + c["towards"]
        for t in targets:
            a, b = short_entity(source.get("id", "")), short_entity(t.get("id", ""))
            if not a or not b or a == b:
                continue
            for rid, ref in ((a, source), (b, t)):
                if rid not in nodes:
                    if len(nodes) >= CAP:
                        truncated = True
                        break
                    nodes[rid] = {"id": rid, "label": ref.get("label") or rid, "type": ""}
            if a in nodes and b in nodes:
                key = (a, b, c.get("stance") or "")
                edges[key] = edges.get(key, 0) + 1
    return {"nodes": list(nodes.values()),
            "edges": [{"source": a, "target": b, "stance": s, "claims": n} for (a, b, s), n in edges.items()],
            "truncated": truncated}

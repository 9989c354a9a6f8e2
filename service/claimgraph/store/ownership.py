"""What the build owns: every named graph it makes from `data/`.

Those are `<base>graph/article/<slug>` for every article (present or since removed) and
the fixed graphs of GraphNames (ontology, entities, links, source-context, inferred,
dataset); other names under `<base>graph/` are free for the user.

A rebuild replaces those graphs wholesale, so the API refuses writes to them (409) rather
than acknowledge a write the next build would discard. Every other graph (the store's
default graph, graphs under `<public url>/store/`, any IRI of the user's) belongs to the
users who write through the API, and a rebuild carries it into the new version unchanged.
"""

from __future__ import annotations

import pyoxigraph as ox


BUILD_GRAPHS = ("ontology", "entities", "links", "source-context", "inferred", "dataset")


class Ownership:
    def __init__(self, base_iri: str):
        self.prefix = f"{base_iri}graph/"
        self.articles = f"{self.prefix}article/"
        self.fixed = frozenset(f"{self.prefix}{name}" for name in BUILD_GRAPHS)

    def owns(self, graph: str) -> bool:
        return graph in self.fixed or graph.startswith(self.articles)

    def describe(self) -> str:
        return f"{self.articles}…, " + ", ".join(f"<{g}>" for g in sorted(self.fixed))

    def carry(self, live: ox.Store, new: ox.Store) -> int:
        """Copy every graph the build does not own (the default graph too, and empty named
        graphs) from `live` into `new`; returns how many quads were carried. Streams the
        quads, so memory does not grow with them."""
        graphs = [g for g in live.named_graphs()
                  if not (isinstance(g, ox.NamedNode) and self.owns(g.value))]
        count = [0]

        def quads():  # noqa: ANN202 - a generator of pyoxigraph Quads
            for g in [ox.DefaultGraph(), *graphs]:
                for q in live.quads_for_pattern(None, None, None, g):
                    count[0] += 1
                    yield q

        new.bulk_extend(quads())
        for g in graphs:
            new.add_graph(g)  # a graph created empty is kept as one
        return count[0]

    def drop(self, new: ox.Store) -> None:
        """Empty `new` of every graph the build does not own: a version started as a copy of
        the live one holds them as they were at the copy, which carry() then replaces."""
        new.clear_graph(ox.DefaultGraph())
        for g in list(new.named_graphs()):
            if not (isinstance(g, ox.NamedNode) and self.owns(g.value)):
                new.remove_graph(g)

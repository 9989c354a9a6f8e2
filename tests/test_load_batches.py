"""The build loads its quads in batches (stream/assemble.py batches): memory flat at any corpus
size, and the store the same as one load of everything."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from claimgraph.build import build
from claimgraph.store.swap import current_version_dir
from claimgraph.stream import assemble
from conftest import make_settings


def test_files_are_grouped_in_order_within_the_limit(tmp_path: Path):
    sizes = [5, 5, 5, 20, 1, 1]
    files = []
    for i, n in enumerate(sizes):
        f = tmp_path / f"{i}.nq"
        f.write_bytes(b"x" * n)
        files.append(f)
    groups = assemble.batches(files, limit=10)
    assert [f for g in groups for f in g] == files  # every file once, in order
    assert [[f.name for f in g] for g in groups] == [["0.nq", "1.nq"], ["2.nq"], ["3.nq"], ["4.nq", "5.nq"]]
    assert assemble.batches([], limit=10) == []


def test_a_store_loaded_file_by_file_holds_what_one_load_holds(tmp_path: Path, monkeypatch, built_settings,
                                                                built_report):
    monkeypatch.setattr(assemble, "LOAD_BATCH_BYTES", 1)  # every file its own bulk load
    settings = make_settings(tmp_path, reasoner="hermit")
    build(settings)
    one = set(ox.Store.read_only(str(current_version_dir(built_settings.store))))
    many = set(ox.Store.read_only(str(current_version_dir(settings.store))))

    def named(quads: set) -> set:  # blank nodes (the ontology's) are labelled per load
        return {q for q in quads if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))}

    assert len(many) == len(one) and named(many) == named(one)

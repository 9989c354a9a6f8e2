"""Per-article entailments by rules give exactly what HermiT gives over the whole corpus,
and an inconsistent article is still caught (by the rules, and by HermiT where it runs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from claimgraph.build import BuildFailed, build
from claimgraph.checks.reasoning import InconsistentOntology, java_available, reason
from claimgraph.checks.rules import OutsideRules, materialise, tbox
from claimgraph.namespaces import CG, Minter
from claimgraph.reading import load_corpus
from claimgraph.triples.dataset import GraphNames, build_dataset, union
from support import scale_corpus

ROOT = Path(__file__).resolve().parents[1]
TTL = ROOT / "ontology" / "claimgraph.ttl"
pytestmark = pytest.mark.skipif(not java_available(), reason="HermiT needs java")  # .ci/run installs it




@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed reading and three synthetic copies whose stances differ."""
    return scale_corpus.make_corpus(tmp_path_factory.mktemp("sample") / "data", 3, keep_seed=True)


def inferred_in(store: Path, base: str) -> set[tuple[str, str, str]]:
    s = ox.Store.read_only(str(store.resolve()))
    g = ox.NamedNode(Minter(base).graph("inferred"))
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in s.quads_for_pattern(None, None, None, g)}


def test_the_build_infers_what_hermit_infers_over_the_whole_corpus(sample: Path, settings_for, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, data_dir=sample, reasoner="hermit")
    report = build(settings)
    assert "4 article(s) by rules, 0 by HermiT" in report.reasoner
    got = inferred_in(settings.store, settings.base_iri)

    corpus, _ = load_corpus(sample)
    names = GraphNames(Minter(settings.base_iri))
    ds = build_dataset(corpus, TTL, names.mint)
    whole = reason(ds.graph(names.ontology), union(ds, exclude=(names.ontology, names.meta)))
    expected = {(s.n3(), p.n3(), o.n3()) for s, p, o in whole.inferred}
    assert len(expected) > 4000
    assert got == expected


def test_hermit_on_every_article_gives_the_same_store(sample: Path, settings_for, tmp_path: Path) -> None:
    rules = settings_for(tmp_path / "rules", data_dir=sample, reasoner="hermit")
    hermit = settings_for(tmp_path / "hermit", data_dir=sample, reasoner="hermit-all")
    build(rules)
    report = build(hermit)
    assert "0 article(s) by rules, 4 by HermiT" in report.reasoner
    assert inferred_in(rules.store, rules.base_iri) == inferred_in(hermit.store, hermit.base_iri)


@pytest.fixture()
def inconsistent(sample: Path, tmp_path: Path) -> Path:
    """A claim whose claimant is a policy: claimants are actors, actors are never policies."""
    data = tmp_path / "data"
    shutil.copytree(sample, data)
    reading = data / "articles" / "synthetic-00002" / "reading.yaml"
    text = reading.read_text()
    assert "claimant: the-national-interest" in text
    reading.write_text(text.replace("claimant: the-national-interest", "claimant: us-sanctions-against-russia", 1))
    return data


@pytest.mark.parametrize("reasoner", ["hermit", "hermit-all"])
def test_an_inconsistent_article_is_caught(inconsistent: Path, settings_for, tmp_path: Path, reasoner: str) -> None:
    settings = settings_for(tmp_path, data_dir=inconsistent, reasoner=reasoner)
    with pytest.raises(BuildFailed) as err:
        build(settings)
    assert err.value.stage == "OWL consistency"
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith("data/articles/synthetic-00002/reading.yaml: ")
    assert not settings.store.exists(), "a failed build leaves no store behind"


A = "http://example.org/a/"


@pytest.mark.parametrize("case", ["state-and-policy", "two-attributions", "state-and-organisation"])
def test_rules_refuse_what_hermit_refuses(case: str) -> None:
    onto = Graph().parse(TTL, format="turtle")
    x = URIRef(A + "x")
    data = Graph()
    if case == "state-and-policy":
        data += [(x, RDF.type, CG.State), (x, RDF.type, CG.Policy)]
    elif case == "two-attributions":
        data += [(x, RDF.type, CG.Claim), (x, CG.attribution, CG.OwnVoice), (x, CG.attribution, CG.Reported)]
    else:
        data += [(x, RDF.type, CG.State), (x, RDF.type, CG.MediaOutlet)]
    with pytest.raises(InconsistentOntology):
        reason(onto, data)
    with pytest.raises(InconsistentOntology):
        materialise(onto, tbox(onto), data)


def test_what_the_rules_do_not_decide_goes_to_hermit() -> None:
    """Two stances of one claim: HermiT would equate them (owl:sameAs); the rules say so."""
    onto = Graph().parse(TTL, format="turtle")
    x = URIRef(A + "x")
    data = Graph()
    data += [(x, RDF.type, CG.Claim), (x, CG.stance, CG.Critical), (x, CG.stance, CG.Favourable)]
    with pytest.raises(OutsideRules):
        materialise(onto, tbox(onto), data)
    extended = Graph().parse(TTL, format="turtle")
    extended.add((CG.about, RDF.type, URIRef("http://www.w3.org/2002/07/owl#TransitiveProperty")))
    with pytest.raises(OutsideRules):
        tbox(extended)

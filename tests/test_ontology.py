"""The ontology and its checks: documented terms, HermiT consistency and
inference, and SHACL shapes that accept the build and catch broken data."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS

from claimgraph.checks.reasoning import InconsistentOntology, java_available, reason
from claimgraph.checks.shacl import check_shapes
from claimgraph.namespaces import CG, ENTITY_TYPES, NIF, SCHEMA

from conftest import ONTOLOGY, SLUG

TTL = ONTOLOGY / "claimgraph.ttl"
SHAPES = ONTOLOGY / "shapes.ttl"
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(TTL, format="turtle")


def cg_terms(onto: Graph, types) -> set[URIRef]:
    return {s for t in types for s in onto.subjects(RDF.type, t) if isinstance(s, URIRef) and s.startswith(str(CG))}


# --- the vocabulary -----------------------------------------------------------

def test_ontology_parses_and_declares_itself(onto):
    assert len(onto) > 100
    assert (URIRef("https://w3id.org/claimgraph/ontology"), RDF.type, OWL.Ontology) in onto
    assert onto.value(URIRef("https://w3id.org/claimgraph/ontology"), OWL.versionInfo) is not None


def test_every_entity_type_the_service_offers_is_a_class_of_the_ontology(onto):
    # REST, reconciliation and OpenAPI offer ENTITY_TYPES; each must be a class users can query.
    for name in ENTITY_TYPES:
        assert (CG[name], RDF.type, OWL.Class) in onto, name


def test_every_cg_class_and_property_is_labelled_and_defined(onto):
    classes = cg_terms(onto, (OWL.Class,))
    props = cg_terms(onto, PROPERTY_TYPES)
    assert CG.Claim in classes and CG.claimant in props
    for term in sorted(classes | props):
        labels = list(onto.objects(term, RDFS.label))
        assert labels and all(isinstance(x, Literal) and x.language == "en" for x in labels), term
        assert (term, SKOS.definition, None) in onto or (term, RDFS.comment, None) in onto, term


def test_every_controlled_value_is_labelled_and_in_its_scheme(onto):
    for cls in (CG.Stance, CG.Attribution, CG.MentionRole, CG.TimePrecision):
        members = set(onto.subjects(RDF.type, cls))
        assert members, cls
        for m in members:
            assert (m, RDFS.label, None) in onto and (m, SKOS.inScheme, None) in onto, m


def test_every_cg_term_the_build_and_shapes_use_is_declared(onto, built_store):
    declared = {s for s in onto.subjects() if isinstance(s, URIRef)}
    used = set()
    for row in built_store.query("SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } }"):
        used.add(URIRef(row["p"].value))
    for row in built_store.query("SELECT DISTINCT ?c WHERE { GRAPH ?g { ?s a ?c } }"):
        used.add(URIRef(row["c"].value))
    shapes = Graph().parse(SHAPES, format="turtle")
    used |= {t for triple in shapes for t in triple if isinstance(t, URIRef)}
    missing = sorted(t for t in used if t.startswith(str(CG)) and t not in declared)
    assert missing == []


def test_disjointness_axioms_are_present(onto):
    assert (CG.Actor, OWL.disjointWith, CG.Policy) in onto
    assert (CG.State, RDFS.subClassOf, CG.Actor) in onto
    assert (CG.OwnVoiceClaim, OWL.disjointWith, CG.ReportedClaim) in onto


# --- HermiT ---------------------------------------------------------------------

def test_java_is_available_for_hermit():
    assert java_available(), "HermiT needs a JRE (default-jre-headless)"


def test_hermit_finds_the_ontology_consistent(onto):
    result = reason(onto, Graph())
    assert result.ran and result.consistent


A = "http://example.org/t/"


@pytest.fixture(scope="module")
def small_inference(onto):
    """HermiT over a handful of asserted facts, to see exactly what follows."""
    data = Graph()
    claim, author, outlet, sentence, mention, russia = (URIRef(A + n) for n in
                                                       ("claim", "author", "outlet", "sentence", "mention", "russia"))
    data.add((claim, RDF.type, CG.FactualClaim))
    data.add((claim, CG.claimant, author))
    data.add((claim, CG.attribution, CG.OwnVoice))
    data.add((claim, CG.about, russia))
    data.add((russia, RDF.type, CG.State))
    data.add((outlet, RDF.type, CG.MediaOutlet))
    data.add((sentence, CG.hasMention, mention))
    data.add((mention, URIRef("http://www.w3.org/2005/11/its/rdf#taIdentRef"), russia))
    return reason(onto, data).inferred


@pytest.mark.parametrize("triple", [
    (A + "claim", PROV.wasAttributedTo, A + "author"),        # cg:claimant ⊑ prov:wasAttributedTo
    (A + "claim", SCHEMA.about, A + "russia"),                # cg:about ⊑ schema:about
    (A + "claim", RDF.type, CG.OwnVoiceClaim),                # attribution hasValue OwnVoice
    (A + "claim", RDF.type, CG.Claim),                        # FactualClaim ⊑ Claim
    (A + "claim", RDF.type, SCHEMA.Claim),
    (A + "author", RDF.type, CG.Actor),                       # range of cg:claimant
    (A + "russia", RDF.type, SCHEMA.Country),                 # State ⊑ schema:Country
    (A + "outlet", RDF.type, CG.Organization),                # MediaOutlet ⊑ Organization
    (A + "outlet", RDF.type, PROV.Agent),
    (A + "sentence", CG.mentions, A + "russia"),              # hasMention ∘ taIdentRef
    (A + "russia", CG.mentionedIn, A + "sentence"),           # inverse of cg:mentions
], ids=lambda t: f"{t[0].rsplit('/', 1)[-1]}-{t[1].rsplit('/', 1)[-1].rsplit('#', 1)[-1]}-{t[2].rsplit('/', 1)[-1].rsplit('#', 1)[-1]}")
def test_hermit_infers_what_follows(small_inference, triple):
    s, p, o = (URIRef(x) for x in triple)
    assert (s, p, o) in small_inference


def test_hermit_infers_nothing_unwarranted(small_inference):
    claim = URIRef(A + "claim")
    assert (claim, RDF.type, CG.ReportedClaim) not in small_inference
    assert (claim, RDF.type, CG.HedgedClaim) not in small_inference
    # Only properties and classes appear in their places: no owlready bookkeeping.
    for _s, p, o in small_inference:
        assert p not in (OWL.ObjectProperty, RDF.Property, OWL.FunctionalProperty)
        if p == RDF.type:
            assert o not in (OWL.NamedIndividual, OWL.Thing)


@pytest.mark.parametrize("case", ["state-and-policy", "two-attributions", "state-and-organisation"])
def test_inconsistent_data_is_refused(onto, case):
    x = URIRef(A + "x")
    data = Graph()
    if case == "state-and-policy":
        data.add((x, RDF.type, CG.State))
        data.add((x, RDF.type, CG.Policy))
    elif case == "two-attributions":  # functional property, values declared different
        data.add((x, RDF.type, CG.Claim))
        data.add((x, CG.attribution, CG.OwnVoice))
        data.add((x, CG.attribution, CG.Reported))
    else:
        data.add((x, RDF.type, CG.State))
        data.add((x, RDF.type, CG.MediaOutlet))
    with pytest.raises(InconsistentOntology):
        reason(onto, data)


# --- what the build inferred ---------------------------------------------------

def pairs(store, query: str) -> set[tuple[str, ...]]:
    res = store.query(query)
    names = [v.value for v in res.variables]
    return {tuple(sol[n].value for n in names) for sol in res}


def test_inferred_graph_has_the_entailments_of_the_asserted_data(built_store, mint, reading):
    inferred = mint.graph("inferred")
    article = mint.article_graph(SLUG)
    claim = lambda cid: mint.claim(SLUG, cid)  # noqa: E731
    # schema:about for every cg:about, from cg:about ⊑ schema:about
    about = pairs(built_store, f"SELECT ?c ?x WHERE {{ GRAPH <{inferred}> {{ ?c <{SCHEMA.about}> ?x }} }}")
    want_about = {(claim(c["id"]), mint.entity(x)) for c in reading["claims"] for x in c["about"]}
    assert want_about <= about
    # OwnVoiceClaim / ReportedClaim / HedgedClaim typings, none of them asserted
    for cls, pick in ((CG.OwnVoiceClaim, lambda c: c["attribution"] == "own-voice"),
                      (CG.ReportedClaim, lambda c: c["attribution"] == "reported"),
                      (CG.HedgedClaim, lambda c: bool(c["hedges"]))):
        got = {x for (x,) in pairs(built_store, f"SELECT ?c WHERE {{ GRAPH <{inferred}> {{ ?c a <{cls}> }} }}")}
        assert got == {claim(c["id"]) for c in reading["claims"] if pick(c)}, cls
        assert not pairs(built_store, f"SELECT ?c WHERE {{ GRAPH <{article}> {{ ?c a <{cls}> }} }}")
    # cg:mentions from the property chain hasMention ∘ taIdentRef
    mentions = pairs(built_store, f"SELECT ?s ?e WHERE {{ GRAPH <{inferred}> {{ ?s <{CG.mentions}> ?e }} }}")
    want = {(mint.sentence(SLUG, s["id"]), mint.entity(m["entity"]))
            for s in reading["sentences"] for m in (s.get("mentions") or [])}
    assert mentions == want
    # prov:wasAttributedTo holds for every claimant (asserted alongside cg:claimant)
    missing = pairs(built_store, f"""SELECT ?c ?w WHERE {{ ?c <{CG.claimant}> ?w
                                     FILTER NOT EXISTS {{ ?c <{PROV.wasAttributedTo}> ?w }} }}""")
    assert missing == set()


def test_inferred_graph_uses_only_ontology_terms(built_store, mint, onto):
    inferred = mint.graph("inferred")
    props = set(onto.subjects(RDF.type, OWL.ObjectProperty))
    classes = set(onto.subjects(RDF.type, OWL.Class))
    preds = {URIRef(p) for (p,) in pairs(built_store, f"SELECT DISTINCT ?p WHERE {{ GRAPH <{inferred}> {{ ?s ?p ?o }} }}")}
    assert preds - {RDF.type} <= props, preds - {RDF.type} - props
    types = {URIRef(c) for (c,) in pairs(built_store, f"SELECT DISTINCT ?c WHERE {{ GRAPH <{inferred}> {{ ?s a ?c }} }}")}
    assert types <= classes, types - classes


# --- SHACL ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def asserted(built_settings) -> Graph:
    """What SHACL sees during a build: every asserted graph, before the store."""
    from claimgraph.namespaces import Minter
    from claimgraph.reading import load_corpus
    from claimgraph.triples.dataset import build_dataset, union

    corpus, _ = load_corpus(built_settings.data_dir)
    return union(build_dataset(corpus, TTL, Minter(built_settings.base_iri)))


def test_shacl_accepts_the_built_data(asserted):
    report = check_shapes(asserted, SHAPES)
    assert report.conforms, report.violations
    assert report.violations == []


def test_stored_data_still_meets_the_shapes(built_store):
    """What the store holds (Oxigraph normalises xsd:nonNegativeInteger to xsd:integer) still conforms."""
    import pyoxigraph as ox

    data = built_store.raw.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }").serialize(
        format=ox.RdfFormat.N_TRIPLES)
    stored = Graph().parse(data=data, format="nt")
    res = built_store.query(
        "SELECT DISTINCT ?dt WHERE { { ?x <%sbeginIndex> ?v } UNION { ?x <%sendIndex> ?v } BIND(DATATYPE(?v) AS ?dt) }"
        % (NIF, NIF))
    assert {sol["dt"].value for sol in res} <= {"http://www.w3.org/2001/XMLSchema#integer",
                                               "http://www.w3.org/2001/XMLSchema#nonNegativeInteger"}
    report = check_shapes(stored, SHAPES)
    assert report.conforms, report.violations[:5]


@pytest.fixture(scope="module")
def broken_report(asserted, mint, article_text):
    """One SHACL run over data with several independent defects."""
    g = Graph()
    for t in asserted:
        g.add(t)
    c25 = URIRef(mint.claim(SLUG, "c25"))
    # 1. a claim loses its claimant
    assert (c25, CG.claimant, None) in g
    g.remove((c25, CG.claimant, None))
    # 2. a span's anchorOf no longer matches the text at its offsets (same length)
    span = g.value(c25, CG.quote)
    words = str(g.value(span, NIF.anchorOf))
    g.remove((span, NIF.anchorOf, None))
    g.add((span, NIF.anchorOf, Literal(words.upper())))
    assert words.upper() != words and len(words.upper()) == len(words)
    # 3. a state without its Wikidata link
    russia = URIRef(mint.entity("russia"))
    g.remove((russia, CG.wikidata, None))
    # 4. a state with a malformed Wikidata link
    china = URIRef(mint.entity("china"))
    g.remove((china, CG.wikidata, None))
    g.add((china, CG.wikidata, URIRef("http://www.wikidata.org/wiki/Q148")))
    # 5. a sentence whose offsets run past the end of the text
    s31 = URIRef(mint.sentence(SLUG, "s31"))
    g.remove((s31, NIF.endIndex, None))
    g.add((s31, NIF.endIndex, Literal(len(article_text) + 5, datatype=URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger"))))
    # 6. an own-voice claim reported as someone else's (claimant swapped, attribution kept)
    c1 = URIRef(mint.claim(SLUG, "c1"))
    assert (c1, CG.attribution, CG.OwnVoice) in g
    g.remove((c1, CG.attribution, None))
    g.add((c1, CG.attribution, CG.Reported))
    # 7. a claim flagged hedged without its hedge cue
    c2 = URIRef(mint.claim(SLUG, "c2"))
    assert g.value(c2, CG.hedgeCue) is None
    g.remove((c2, CG.hedged, None))
    g.add((c2, CG.hedged, Literal(True)))
    # 8. a claim whose quote lies outside its sentence
    c3 = URIRef(mint.claim(SLUG, "c3"))
    g.remove((c3, CG.inSentence, None))
    g.add((c3, CG.inSentence, s31))
    report = check_shapes(g, SHAPES)
    return report, {"c25": str(c25), "span": str(span), "russia": str(russia), "china": str(china), "s31": str(s31),
                    "c1": str(c1), "c2": str(c2), "c3": str(c3)}


@pytest.mark.parametrize("defect,node,needle", [
    ("claim without claimant", "c25", "a claim has exactly one claimant"),
    ("anchorOf differs from the text", "span", "nif:anchorOf is not the text found"),
    ("state without Wikidata", "russia", "every state has exactly one well-formed Wikidata link"),
    ("state with a malformed Wikidata IRI", "china", "every state has exactly one well-formed Wikidata link"),
    ("offsets past the end of the text", "s31", "nif:anchorOf is not the text found"),
    ("own-voice claim marked reported", "c1", "own-voice claims belong to the article's author"),
    ("hedged without a cue", "c2", "a hedged claim needs its hedge cue"),
    ("quote outside its sentence", "c3", "the claim's quote lies outside its sentence"),
])
def test_shacl_catches(broken_report, defect, node, needle):
    report, nodes = broken_report
    assert not report.conforms
    hits = [v for v in report.violations if v.startswith(nodes[node] + " ") or v.startswith(nodes[node] + ":")]
    assert any(needle in v for v in hits), (defect, report.violations)


def test_shacl_blames_only_the_broken_nodes(broken_report):
    report, nodes = broken_report
    focus = {v.split(" ", 1)[0].rstrip(":") for v in report.violations}
    assert focus <= set(nodes.values()), focus - set(nodes.values())

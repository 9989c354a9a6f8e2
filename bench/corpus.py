"""A synthetic corpus shaped like claimgraph's own data, for benchmarks.

Articles with their verbatim text (nif:Context), sentences and mentions
anchored by NIF offsets, and claims with claimant, kind, stance, hedging and
what they are about, each in its own named graph, plus a register of
entities in graph/entities. Offsets are computed from the generated text
(Unicode code points, as NIF counts them), so `text[begin:end] == anchorOf`
holds for every span, exactly as in a real build.

The seed graph (our curated article, ontology, inferences, links) can be
prepended from a built store, so the benchmark also exercises real data.

    python bench/corpus.py --articles 100 -o bench/out/corpus.nq [--seed-store var/store]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

CG = "https://w3id.org/claimgraph/ontology#"
SCHEMA = "https://schema.org/"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
ITSRDF = "http://www.w3.org/2005/11/its/rdf#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
WD = "http://www.wikidata.org/entity/"
DEFAULT_BASE = "http://127.0.0.1:8000/id/"

KINDS = ("factual", "causal", "evaluative", "predictive", "normative")
STANCES = ("Favourable", "Critical", "Neutral", "Mixed")
ROLES = ("ActorRole", "TargetRole", "PartnerRole", "SubjectRole", "SourceRole", "LocationRole", "OtherRole")
ENTITY_TYPES = (("State", SCHEMA + "Country"), ("Organization", SCHEMA + "Organization"),
                ("Person", SCHEMA + "Person"), ("MediaOutlet", SCHEMA + "NewsMediaOrganization"),
                ("Policy", None), ("Concept", SKOS + "Concept"), ("Event", SCHEMA + "Event"))
SYLLABLES = ("ka", "ro", "vel", "an", "dor", "mi", "sta", "lu", "ter", "ben", "zol", "ari", "quen", "ost", "il", "gar")
VERBS = ("warned", "argued", "insisted", "claimed", "suggested", "announced", "denied", "noted")
LINKS = ("will gain more from", "is losing patience with", "has quietly courted", "cannot ignore",
         "depends on", "is being pushed away by", "must negotiate with", "seems to distrust")
TOPICS = ("sanctions", "energy prices", "the grain corridor", "arms control", "trade talks",
          "the new pipeline", "border security", "debt relief", "a ceasefire", "market access")
HEDGES = ("seems to", "could", "potentially", "may", "appears to")


def iri(value: str) -> str:
    return f"<{value}>"


def lit(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def integer(n: int) -> str:
    return lit(str(n), datatype=XSD + "integer")


@dataclass
class Entity:
    slug: str
    kind: str
    label: str
    iri: str


@dataclass
class Quads:
    """N-Quads lines for one named graph, written as they are produced."""

    out: TextIO
    graph: str
    count: int = 0

    def add(self, s: str, p: str, o: str) -> None:
        self.out.write(f"{s} {iri(p)} {o} {iri(self.graph)} .\n")
        self.count += 1


@dataclass
class Stats:
    quads: int = 0
    articles: int = 0
    sentences: int = 0
    mentions: int = 0
    claims: int = 0
    entities: int = 0
    graphs: set[str] = field(default_factory=set)


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def make_entities(rng: random.Random, base: str, count: int) -> list[Entity]:
    entities: list[Entity] = []
    seen: set[str] = set()
    i = 0
    while len(entities) < count:
        kind = ENTITY_TYPES[i % len(ENTITY_TYPES)][0]
        i += 1
        label = _name(rng, rng.randint(2, 3))
        if kind == "Organization":
            label = f"{label} Council"
        elif kind == "Person":
            label = f"{_name(rng, 2)} {label}"
        elif kind == "MediaOutlet":
            label = f"The {label} Review"
        elif kind == "Policy":
            label = f"{label} sanctions"
        elif kind == "Event":
            label = f"the {label} summit"
        slug = "syn-" + label.lower().replace(" ", "-")
        if slug in seen:
            continue
        seen.add(slug)
        entities.append(Entity(slug, kind, label, f"{base}entity/{slug}"))
    return entities


def write_entities(q: Quads, rng: random.Random, entities: list[Entity]) -> None:
    types = dict(ENTITY_TYPES)
    for n, e in enumerate(entities):
        s = iri(e.iri)
        q.add(s, RDF_TYPE, iri(CG + e.kind))
        if types[e.kind]:
            q.add(s, RDF_TYPE, iri(types[e.kind]))  # type: ignore[arg-type]
        q.add(s, RDFS_LABEL, lit(e.label, "en"))
        q.add(s, SKOS + "prefLabel", lit(e.label, "en"))
        q.add(s, SCHEMA + "name", lit(e.label, "en"))
        q.add(s, CG + "registerId", lit(e.slug))
        q.add(s, CG + "entityType", lit(e.kind))
        q.add(s, SCHEMA + "description", lit(f"A synthetic {e.kind.lower()} for benchmarks.", "en"))
        if rng.random() < 0.5:
            q.add(s, SKOS + "altLabel", lit(e.label.split()[-1] + " (alt)", "en"))
        if e.kind in ("State", "Organization", "Person") and rng.random() < 0.7:
            q.add(s, "http://www.w3.org/2002/07/owl#sameAs", iri(f"{WD}Q{900000000 + n}"))


def _sentence(rng: random.Random, entities: list[Entity], hedge: bool) -> tuple[str, list[tuple[Entity, int, int]], tuple[int, int]]:
    """One sentence, the entity mentions in it (entity, begin, end) and the claim clause span."""
    a, b = rng.sample(entities, 2)
    speaker = rng.choice([e for e in entities if e.kind in ("Person", "Organization", "MediaOutlet")] or entities)
    link = rng.choice(LINKS)
    if hedge:
        link = f"{rng.choice(HEDGES)} say it {link}"
    prefix = f"{speaker.label} {rng.choice(VERBS)} that "
    clause = f"{a.label} {link} {b.label} over {rng.choice(TOPICS)}"
    text = prefix + clause + "."
    mentions = [(speaker, 0, len(speaker.label))]
    pa = len(prefix)
    mentions.append((a, pa, pa + len(a.label)))
    pb = text.index(b.label, pa + len(a.label) + len(link))
    mentions.append((b, pb, pb + len(b.label)))
    return text, mentions, (pa, pa + len(clause))


def write_article(q: Quads, rng: random.Random, base: str, slug: str, entities: list[Entity], stats: Stats) -> None:
    art = f"{base}article/{slug}"
    text_iri, author = f"{art}/text", f"{art}/author"
    n_sent = rng.randint(12, 20)
    hedged = [rng.random() < 0.2 for _ in range(n_sent)]
    sentences = [_sentence(rng, entities, h) for h in hedged]
    text = " ".join(s[0] for s in sentences)
    a = iri(art)
    title = f"On {rng.choice(TOPICS)}: {sentences[0][0][:40].rstrip()}"
    media = [e for e in entities if e.kind == "MediaOutlet"] or entities
    q.add(a, RDF_TYPE, iri(SCHEMA + rng.choice(("OpinionNewsArticle", "NewsArticle"))))
    q.add(a, RDF_TYPE, iri(CG + "Article"))
    q.add(a, RDFS_LABEL, lit(title, "en"))
    q.add(a, SCHEMA + "headline", lit(title, "en"))
    q.add(a, SCHEMA + "publisher", iri(rng.choice(media).iri))
    q.add(a, SCHEMA + "author", iri(author))
    q.add(a, SCHEMA + "inLanguage", lit("en"))
    q.add(a, SCHEMA + "datePublished", lit(f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                                          datatype=XSD + "date"))
    q.add(a, CG + "text", iri(text_iri))
    q.add(iri(author), RDF_TYPE, iri(CG + "Author"))
    q.add(iri(author), RDFS_LABEL, lit(f"the author of “{title}”", "en"))
    t = iri(text_iri)
    q.add(t, RDF_TYPE, iri(NIF + "Context"))
    q.add(t, RDF_TYPE, iri(CG + "Text"))
    q.add(t, NIF + "isString", lit(text))
    q.add(t, NIF + "beginIndex", integer(0))
    q.add(t, NIF + "endIndex", integer(len(text)))
    offset, prev, claim_no = 0, None, 0
    for i, (sent_text, mentions, (cb, ce)) in enumerate(sentences, start=1):
        sid = f"{art}/sentence/s{i}"
        s = iri(sid)
        begin, end = offset, offset + len(sent_text)
        assert text[begin:end] == sent_text
        q.add(a, CG + "hasSentence", s)
        q.add(s, RDF_TYPE, iri(NIF + "Sentence"))
        q.add(s, RDF_TYPE, iri(CG + "Sentence"))
        q.add(s, NIF + "anchorOf", lit(sent_text))
        q.add(s, NIF + "beginIndex", integer(begin))
        q.add(s, NIF + "endIndex", integer(end))
        q.add(s, NIF + "referenceContext", t)
        q.add(s, CG + "position", integer(i))
        q.add(s, CG + "sentenceRole", lit("standfirst" if i == 1 else "body"))
        if prev:
            q.add(iri(prev), NIF + "nextSentence", s)
        prev = sid
        stats.sentences += 1
        for m, (ent, mb, me) in enumerate(mentions, start=1):
            mid = iri(f"{art}/mention/s{i}-m{m}")
            q.add(s, CG + "hasMention", mid)
            q.add(mid, RDF_TYPE, iri(NIF + "Phrase"))
            q.add(mid, RDF_TYPE, iri(CG + "Mention"))
            q.add(mid, NIF + "anchorOf", lit(sent_text[mb:me]))
            q.add(mid, NIF + "beginIndex", integer(begin + mb))
            q.add(mid, NIF + "endIndex", integer(begin + me))
            q.add(mid, NIF + "referenceContext", t)
            q.add(mid, NIF + "sentence", s)
            q.add(mid, ITSRDF + "taIdentRef", iri(ent.iri))
            q.add(mid, CG + "mentionRole", iri(CG + rng.choice(ROLES)))
            stats.mentions += 1
        if i > 1 and rng.random() < 0.55:
            claim_no += 1
            write_claim(q, rng, art, claim_no, sid, begin + cb, begin + ce, text, mentions, hedged[i - 1], author)
            stats.claims += 1
        offset = end + 1  # one space between sentences
    stats.articles += 1


def write_claim(q: Quads, rng: random.Random, art: str, n: int, sid: str, begin: int, end: int, text: str,
                mentions: list[tuple[Entity, int, int]], hedged: bool, author: str) -> None:
    c = iri(f"{art}/claim/c{n}")
    span = iri(f"{art}/text#char={begin},{end}")
    kind = rng.choice(KINDS)
    reported = rng.random() < 0.25
    claimant = mentions[0][0].iri if reported else author
    about = [m[0] for m in mentions[1:]]
    q.add(iri(f"{art}"), CG + "hasClaim", c)
    q.add(c, RDF_TYPE, iri(CG + "Claim"))
    q.add(c, RDF_TYPE, iri(CG + kind.capitalize() + "Claim"))
    q.add(c, RDFS_LABEL, lit(f"claim c{n}: “{text[begin:end]}”", "en"))
    q.add(c, CG + "quote", span)
    q.add(c, CG + "inSentence", iri(sid))
    q.add(c, CG + "claimant", iri(claimant))
    q.add(c, PROV + "wasAttributedTo", iri(claimant))
    q.add(c, CG + "reportedBy", iri(author))
    q.add(c, CG + "attribution", iri(CG + ("Reported" if reported else "OwnVoice")))
    q.add(c, CG + "claimKind", lit(kind))
    for e in about:
        q.add(c, CG + "about", iri(e.iri))
    q.add(c, CG + "stance", iri(CG + rng.choice(STANCES)))
    q.add(c, CG + "stanceToward", iri(about[0].iri))
    q.add(c, CG + "hedged", lit("true" if hedged else "false", datatype=XSD + "boolean"))
    q.add(c, CG + "paraphrase", lit(f"The article claims that {text[begin:end]}.", "en"))
    q.add(c, SCHEMA + "appearance", iri(art))
    q.add(span, NIF + "anchorOf", lit(text[begin:end]))
    q.add(span, NIF + "beginIndex", integer(begin))
    q.add(span, NIF + "endIndex", integer(end))
    q.add(span, NIF + "referenceContext", iri(f"{art}/text"))
    q.add(span, CG + "inSentence", iri(sid))


def generate(out: TextIO, articles: int, base: str = DEFAULT_BASE, seed: int = 7, entities: int = 300) -> Stats:
    """Write the synthetic corpus as N-Quads to `out`; deterministic for a given seed."""
    if not base.endswith("/"):
        base += "/"
    rng = random.Random(seed)
    stats = Stats()
    register = make_entities(rng, base, max(entities, 14))
    q = Quads(out, f"{base}graph/entities")
    write_entities(q, rng, register)
    stats.quads += q.count
    stats.entities = len(register)
    stats.graphs.add(q.graph)
    for n in range(1, articles + 1):
        slug = f"syn-{n:05d}"
        q = Quads(out, f"{base}graph/article/{slug}")
        write_article(q, rng, base, slug, register, stats)
        stats.quads += q.count
        stats.graphs.add(q.graph)
    return stats


def export_seed(store: Path, python: str = sys.executable) -> bytes:
    """The curated seed graph as N-Quads, exported by the claimgraph CLI from a built store."""
    proc = subprocess.run([python, "-m", "claimgraph", "export", "--format", "nquads", "--store", str(store)],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"could not export the seed graph from {store}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def write_corpus(path: Path, articles: int, base: str = DEFAULT_BASE, seed_store: Path | None = None,
                 seed: int = 7) -> Stats:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        seed_quads = 0
        if seed_store is not None:
            data = export_seed(seed_store).decode("utf-8")
            fh.write(data)
            seed_quads = data.count("\n")
        stats = generate(fh, articles, base, seed)
    stats.quads += seed_quads
    return stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=100, help="synthetic articles (about 700 quads each)")
    p.add_argument("--base-iri", default=DEFAULT_BASE)
    p.add_argument("--seed-store", type=Path, help="a built claimgraph store whose data to include")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same corpus)")
    p.add_argument("-o", "--output", type=Path, required=True)
    args = p.parse_args(argv)
    stats = write_corpus(args.output, args.articles, args.base_iri, args.seed_store, args.seed)
    print(f"wrote {stats.quads} quads ({stats.articles} articles, {stats.sentences} sentences, "
          f"{stats.mentions} mentions, {stats.claims} claims, {stats.entities} entities) to {args.output}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""One article as its own named graph: NIF text anchoring, mentions, claims, events, policies."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD
from rdflib import Literal

from ..namespaces import CG, ITSRDF, NIF, SCHEMA, Minter
from ..reading.model import AUTHOR, Article, Span
from .terms import en, integer, nonneg, plain, time_literal

KIND_CLASS = {
    "factual": CG.FactualClaim,
    "causal": CG.CausalClaim,
    "evaluative": CG.EvaluativeClaim,
    "predictive": CG.PredictiveClaim,
    "normative": CG.NormativeClaim,
}
STANCE = {"favourable": CG.Favourable, "critical": CG.Critical, "neutral": CG.Neutral, "mixed": CG.Mixed}
ROLE = {
    "actor": CG.ActorRole, "target": CG.TargetRole, "partner": CG.PartnerRole, "subject": CG.SubjectRole,
    "source": CG.SourceRole, "location": CG.LocationRole, "other": CG.OtherRole,
}
RELATION = {
    "content-of": CG.contentOf, "supports": CG.supports, "contrasts": CG.contrastsWith,
    "rebuts": CG.rebuts, "elaborates": CG.elaborates,
}
FRAMING = {"scare-quote": CG.ScareQuote, "presupposition": CG.Presupposition}
PRECISION = {
    "day": CG.DayPrecision, "month": CG.MonthPrecision, "year": CG.YearPrecision,
    "decade": CG.DecadePrecision, "relative": CG.RelativePrecision,
}


class ArticleWriter:
    def __init__(self, g: Graph, article: Article, mint: Minter):
        self.g, self.a, self.m = g, article, mint
        self.iri = URIRef(mint.article(article.slug))
        self.ctx = URIRef(mint.context(article.slug))
        self.author = URIRef(mint.entity(article.author)) if article.author else URIRef(mint.author(article.slug))

    def add(self, s: URIRef, p: URIRef, o) -> None:  # noqa: ANN001 - any RDF term
        self.g.add((s, p, o))

    def anchor(self, node: URIRef, span: Span) -> None:
        self.add(node, NIF.anchorOf, plain(span.text))
        self.add(node, NIF.beginIndex, nonneg(span.begin))
        self.add(node, NIF.endIndex, nonneg(span.end))
        self.add(node, NIF.referenceContext, self.ctx)

    def span(self, span: Span, sentence_id: str | None = None) -> URIRef:
        node = URIRef(self.m.span(self.a.slug, span.begin, span.end))
        self.add(node, RDF.type, CG.TextSpan)
        self.anchor(node, span)
        if sentence_id:
            self.add(node, CG.inSentence, URIRef(self.m.sentence(self.a.slug, sentence_id)))
        return node

    def sentence_of(self, span: Span) -> str | None:
        return next((s.id for s in self.a.sentences if s.span.begin <= span.begin and span.end <= s.span.end), None)

    def write(self) -> None:
        a = self.a
        article_class = SCHEMA[a.genre]
        for cls in (CG.Article, article_class):
            self.add(self.iri, RDF.type, cls)
        self.add(self.iri, SCHEMA.headline, en(a.title))
        self.add(self.iri, RDFS.label, en(a.title))
        self.add(self.iri, SCHEMA.inLanguage, plain(a.language))
        if a.publisher:
            self.add(self.iri, SCHEMA.publisher, URIRef(self.m.entity(a.publisher)))
        if a.url:
            self.add(self.iri, SCHEMA.url, Literal(a.url, datatype=XSD.anyURI))
        if a.published:
            self.add(self.iri, SCHEMA.datePublished, time_literal(a.published))
        if a.note:
            self.add(self.iri, CG.curatorNote, en(a.note))
        self.add(self.iri, SCHEMA.author, self.author)
        if not a.author:
            # The text names no author; own-voice claims still need a claimant.
            self.add(self.author, RDF.type, CG.Author)
            self.add(self.author, RDFS.label, en(f"the author of “{a.title}” (not named in the text)"))
        self.add(self.iri, CG.text, self.ctx)
        self.add(self.ctx, RDF.type, CG.Text)
        self.add(self.ctx, RDF.type, NIF.Context)
        self.add(self.ctx, NIF.isString, plain(a.text))
        self.add(self.ctx, NIF.beginIndex, nonneg(0))
        self.add(self.ctx, NIF.endIndex, nonneg(len(a.text)))
        self.add(self.ctx, CG.sha256, plain(a.sha256))
        if a.url:
            self.add(self.ctx, NIF.sourceUrl, URIRef(a.url))
        for n, p in enumerate(a.paragraphs, 1):
            node = URIRef(self.m.paragraph(a.slug, n))
            self.add(node, RDF.type, CG.Paragraph)
            self.add(node, RDF.type, NIF.Paragraph)
            self.anchor(node, p)
            self.add(node, CG.position, integer(n))
            self.add(self.iri, CG.hasParagraph, node)
        self.write_sentences()
        self.write_claims()
        self.write_events()
        self.write_policies()
        self.write_framings()

    def write_sentences(self) -> None:
        a, prev = self.a, None
        for s in a.sentences:
            node = URIRef(self.m.sentence(a.slug, s.id))
            self.add(node, RDF.type, CG.Sentence)
            self.add(node, RDF.type, NIF.Sentence)
            self.anchor(node, s.span)
            self.add(node, CG.position, integer(s.index))
            self.add(node, CG.sentenceRole, plain(s.role))
            self.add(node, CG.inParagraph, URIRef(self.m.paragraph(a.slug, s.paragraph)))
            self.add(self.iri, CG.hasSentence, node)
            if prev is not None:
                self.add(prev, NIF.nextSentence, node)
            prev = node
            for mention in s.mentions:
                mnode = URIRef(self.m.mention(a.slug, mention.id))
                self.add(mnode, RDF.type, CG.Mention)
                self.add(mnode, RDF.type, NIF.Phrase)
                self.anchor(mnode, mention.span)
                self.add(mnode, NIF.sentence, node)
                self.add(mnode, ITSRDF.taIdentRef, URIRef(self.m.entity(mention.entity)))
                self.add(mnode, CG.mentionRole, ROLE[mention.role])
                self.add(node, CG.hasMention, mnode)

    def write_claims(self) -> None:
        a = self.a
        for c in a.claims:
            node = URIRef(self.m.claim(a.slug, c.id))
            sentence = URIRef(self.m.sentence(a.slug, c.sentence))
            self.add(node, RDF.type, CG.Claim)
            self.add(node, RDF.type, KIND_CLASS[c.kind])
            self.add(node, CG.claimKind, plain(c.kind))
            self.add(node, RDFS.label, en(f"claim {c.id}: “{c.span.text}”"))
            self.add(self.iri, CG.hasClaim, node)
            self.add(node, SCHEMA.appearance, self.iri)
            self.add(node, CG.quote, self.span(c.span, c.sentence))
            self.add(node, CG.inSentence, sentence)
            claimant = self.author if c.claimant == AUTHOR else URIRef(self.m.entity(c.claimant))
            self.add(node, CG.claimant, claimant)
            self.add(node, PROV.wasAttributedTo, claimant)
            self.add(node, CG.reportedBy, self.author)
            self.add(node, CG.attribution, CG.OwnVoice if c.own_voice else CG.Reported)
            for ref in c.about:
                self.add(node, CG.about, URIRef(self.m.entity(ref)))
            for ref in c.topics:
                self.add(node, CG.topic, URIRef(self.m.entity(ref)))
            # The first target's stance stays on the claim itself (cg:stance, cg:stanceToward are
            # functional); every target, the first included, also gets a stance node of its own.
            self.add(node, CG.stance, STANCE[c.stance])
            self.add(node, CG.stanceToward, URIRef(self.m.entity(c.stance_toward)))
            for n, st in enumerate(c.stances, 1):
                snode = URIRef(self.m.stance(a.slug, c.id, st.toward))
                self.add(snode, RDF.type, CG.StanceTaking)
                # Labelled with its value: a claim's node view then carries every stance it takes.
                self.add(snode, RDFS.label, en(st.stance))
                self.add(snode, CG.stanceTarget, URIRef(self.m.entity(st.toward)))
                self.add(snode, CG.stanceValue, STANCE[st.stance])
                self.add(snode, CG.position, integer(n))
                self.add(node, CG.hasStance, snode)
            self.add(node, CG.hedged, Literal(bool(c.hedges)))
            for hedge in c.hedges:
                self.add(node, CG.hedgeCue, self.span(hedge, c.sentence))
            for ref in c.causes:
                self.add(node, CG.cause, self.ref(ref))
            for ref in c.effects:
                self.add(node, CG.effect, self.ref(ref))
            for rel in c.relations:
                self.add(node, RELATION[rel.type], URIRef(self.m.claim(a.slug, rel.claim)))
            for ref in c.frames:
                self.add(node, CG.frames, self.ref(ref))
            if c.contested is not None:
                self.add(node, CG.contestedPremise, Literal(True))
                self.add(node, CG.contestNote, en(c.contested))
            if c.paraphrase:
                self.add(node, CG.paraphrase, en(c.paraphrase))
            if c.note:
                self.add(node, CG.curatorNote, en(c.note))

    def ref(self, typed: str) -> URIRef:
        """A resolved reference ("claim:c1", "event:e-x", "policy:p-x", "entity:russia") as an IRI."""
        kind, ident = typed.split(":", 1)
        slug = self.a.slug
        return URIRef({"claim": lambda: self.m.claim(slug, ident), "event": lambda: self.m.event(slug, ident),
                       "policy": lambda: self.m.policy_use(slug, ident), "entity": lambda: self.m.entity(ident)}[kind]())

    def write_participants(self, node: URIRef, participants: list, policy: bool) -> None:
        for n, p in enumerate(participants, 1):
            pnode = URIRef(self.m.participation(str(node), n))
            entity = URIRef(self.m.entity(p.entity))
            self.add(pnode, RDF.type, CG.Participation)
            self.add(pnode, CG.participant, entity)
            self.add(pnode, CG.participantRole, ROLE[p.role])
            if p.span is not None:
                self.add(pnode, CG.anchor, self.span(p.span, self.sentence_of(p.span)))
            else:
                self.add(pnode, CG.implied, Literal(True))
            if p.note:
                self.add(pnode, CG.curatorNote, en(p.note))
            self.add(node, CG.participation, pnode)
            # Shortcuts for simple queries, always backed by the anchored participation above.
            # Not SEM's sem:hasActor: its domain would make a reference a sem:Event.
            self.add(node, CG.involves, entity)
            if policy and p.role == "actor":
                self.add(node, CG.appliedBy, entity)
            elif policy and p.role == "target":
                self.add(node, CG.appliedTo, entity)

    def write_events(self) -> None:
        a = self.a
        # Order by earliest known time (or, lacking a start, the known end);
        # wholly undated events keep the curator's order at the end.
        def key(e):  # noqa: ANN001, ANN202
            start = (e.when.start or e.when.end) if e.when and (e.when.start or e.when.end) else "9999"
            return (start.zfill(4), e.order, a.events.index(e))

        for position, e in enumerate(sorted(a.events, key=key), 1):
            node = URIRef(self.m.event(a.slug, e.id))
            # A reference: what this article says happened. It is a cg:Event (a world event) only
            # through cg:refersTo a register event that the register sources.
            self.add(node, RDF.type, CG.EventReference)
            self.add(node, RDFS.label, en(e.label))
            self.add(node, CG.position, integer(position))
            self.add(self.iri, CG.invokes, node)
            self.add(node, CG.invokedIn, self.iri)
            if e.entity:
                self.add(node, CG.refersTo, URIRef(self.m.entity(e.entity)))
            if e.span:
                self.add(node, CG.anchor, self.span(e.span, self.sentence_of(e.span)))
            if e.note:
                self.add(node, CG.curatorNote, en(e.note))
            self.write_participants(node, e.participants, policy=False)
            if e.when:
                w = e.when
                if w.start:
                    self.add(node, CG.earliest, time_literal(w.start))
                if w.end:
                    self.add(node, CG.latest, time_literal(w.end))
                self.add(node, CG.timePrecision, PRECISION[w.precision])
                self.add(node, CG.timeBasis, plain(w.basis))
                if w.span:
                    self.add(node, CG.timeText, self.span(w.span, self.sentence_of(w.span)))

    def write_policies(self) -> None:
        a = self.a
        for p in a.policies:
            node = URIRef(self.m.policy_use(a.slug, p.id))
            self.add(node, RDF.type, CG.PolicyReference)
            self.add(node, CG.refersTo, URIRef(self.m.entity(p.entity)))
            self.add(self.iri, CG.invokes, node)
            self.add(node, CG.invokedIn, self.iri)
            if p.span:
                self.add(node, CG.anchor, self.span(p.span, self.sentence_of(p.span)))
            if p.note:
                self.add(node, CG.curatorNote, en(p.note))
            self.write_participants(node, p.participants, policy=True)

    def write_framings(self) -> None:
        a = self.a
        for f in a.framings:
            node = URIRef(self.m.framing(a.slug, f.id))
            self.add(node, RDF.type, FRAMING[f.type])
            self.add(node, RDFS.label, en(f"{f.type} “{f.span.text}”"))
            self.add(node, CG.anchor, self.span(f.span, f.sentence))
            self.add(self.iri, CG.hasFraming, node)
            for cid in f.claims:
                self.add(node, CG.shapes, URIRef(self.m.claim(a.slug, cid)))
            if f.note:
                self.add(node, CG.curatorNote, en(f.note))


def article_graph(g: Graph, article: Article, mint: Minter) -> None:
    ArticleWriter(g, article, mint).write()

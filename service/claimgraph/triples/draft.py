"""A machine draft as its own named graph (`graph/article/<slug>/draft`).

Every item is a cg:MachineProposal with the rule that proposed it and prov:wasGeneratedBy the
drafting run (the tool, its version, when). Proposals use their own classes and properties,
never cg:Claim, cg:claimant or cg:Mention, so no query for claims, and no reasoner, can take a
program's guess for a curator's reading. An item keeps the IRI it will have once reviewed.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from ..namespaces import CG, NIF, SCHEMA, Minter
from ..reading.model import AUTHOR, Span
from ..reading.status import DraftReading
from .terms import en, integer, nonneg, plain, time_literal


class DraftWriter:
    def __init__(self, g: Graph, d: DraftReading, mint: Minter):
        self.g, self.d, self.m = g, d, mint
        self.slug = d.slug
        self.article = URIRef(mint.article(d.slug))
        self.ctx = URIRef(mint.context(d.slug))
        self.run = URIRef(f"{mint.article(d.slug)}/draft/run")

    def add(self, s, p, o) -> None:  # noqa: ANN001 - any RDF terms
        self.g.add((s, p, o))

    def proposal(self, node: URIRef, cls: URIRef, rule: str | None, span: Span | None) -> None:
        self.add(node, RDF.type, CG.MachineProposal)
        self.add(node, RDF.type, cls)
        self.add(node, CG.proposalStatus, plain("draft"))
        self.add(node, CG.proposedFor, self.article)
        self.add(node, PROV.wasGeneratedBy, self.run)
        if rule:
            self.add(node, CG.proposedByRule, plain(rule))
        if span is not None:
            self.add(node, NIF.anchorOf, plain(span.text))
            self.add(node, NIF.beginIndex, nonneg(span.begin))
            self.add(node, NIF.endIndex, nonneg(span.end))
            self.add(node, NIF.referenceContext, self.ctx)

    def write_run(self) -> None:
        tool = self.d.drafter.get("tool", "claimgraph draft")
        agent = URIRef(f"{self.m.base}agent/{tool.replace(' ', '-')}")
        self.add(self.run, RDF.type, CG.DraftingRun)
        self.add(self.run, RDF.type, PROV.Activity)
        self.add(self.run, RDFS.label, en(f"machine draft of {self.slug}"))
        self.add(self.run, PROV.wasAssociatedWith, agent)
        if at := self.d.drafter.get("at"):
            self.add(self.run, PROV.endedAtTime, Literal(at, datatype=XSD.dateTime))
        self.add(agent, RDF.type, PROV.SoftwareAgent)
        self.add(agent, RDFS.label, plain(tool))
        if version := self.d.drafter.get("version"):
            self.add(agent, SCHEMA.softwareVersion, plain(version))
        for key, value in self.d.drafter.items():
            if key not in ("tool", "version", "at"):
                self.add(self.run, RDFS.comment, plain(f"{key}: {value}"))

    def write(self) -> None:
        d, full = self.d, self.d.full
        self.write_run()
        if not d.curated:
            # No curated graph holds the text yet: the draft carries it, so its offsets resolve.
            self.add(self.ctx, RDF.type, NIF.Context)
            self.add(self.ctx, NIF.isString, plain(full.text))
        for s in full.sentences:
            sentence = URIRef(self.m.sentence(self.slug, s.id))
            if d.is_draft(f"sentence:{s.id}"):
                self.proposal(sentence, CG.ProposedSentence, d.marks[f"sentence:{s.id}"].rule, s.span)
                self.add(sentence, CG.position, integer(s.index))
            for mention in s.mentions:
                key = f"mention:{mention.id}"
                if not d.is_draft(key):
                    continue
                node = URIRef(self.m.mention(self.slug, mention.id))
                self.proposal(node, CG.ProposedMention, d.marks[key].rule, mention.span)
                self.add(node, CG.proposedInSentence, sentence)
                self.add(node, CG.proposedEntity, URIRef(self.m.entity(mention.entity)))
        for c in d.claims:
            node = URIRef(self.m.claim(self.slug, c.id))
            self.proposal(node, CG.ProposedClaim, c.rule, c.span)
            self.add(node, CG.proposedInSentence, URIRef(self.m.sentence(self.slug, c.sentence)))
            if c.claimant == AUTHOR:
                self.add(node, CG.proposedClaimant, URIRef(self.m.author(self.slug)) if not full.author
                         else URIRef(self.m.entity(full.author)))
            elif c.claimant:
                self.add(node, CG.proposedClaimant, URIRef(self.m.entity(c.claimant)))
            if c.source:
                self.add(node, CG.proposedSource, plain(c.source))
            if c.attribution:
                self.add(node, CG.proposedAttribution, plain(c.attribution))
            if c.kind:
                self.add(node, CG.proposedKind, plain(c.kind))
            for ref in c.about:
                self.add(node, CG.proposedAbout, URIRef(self.m.entity(ref)))
            if c.hedge:
                self.add(node, CG.proposedHedge, plain(c.hedge.text))
        for e in full.events:
            if d.is_draft(f"event:{e.id}"):
                node = URIRef(self.m.event(self.slug, e.id))
                self.proposal(node, CG.ProposedEvent, d.marks[f"event:{e.id}"].rule, e.span)
                self.add(node, RDFS.label, en(e.label))
                if e.entity:
                    self.add(node, CG.proposedEntity, URIRef(self.m.entity(e.entity)))
                if e.when and e.when.start:
                    self.add(node, CG.proposedEarliest, time_literal(e.when.start))
                if e.when and e.when.end:
                    self.add(node, CG.proposedLatest, time_literal(e.when.end))
        for p in full.policies:
            if d.is_draft(f"policy:{p.id}"):
                node = URIRef(self.m.policy_use(self.slug, p.id))
                self.proposal(node, CG.ProposedPolicyReference, d.marks[f"policy:{p.id}"].rule, p.span)
                self.add(node, CG.proposedEntity, URIRef(self.m.entity(p.entity)))
        for ent in d.entities:
            node = URIRef(f"{self.m.article(self.slug)}/draft/entity/{ent.id}")
            self.proposal(node, CG.ProposedEntity, ent.rule, ent.mentions[0] if ent.mentions else None)
            self.add(node, RDFS.label, plain(ent.label))
            if ent.type:
                self.add(node, CG.proposedType, plain(ent.type))
            for alias in ent.aliases:
                self.add(node, RDFS.comment, plain(f"alias: {alias}"))


def draft_graph(g: Graph, draft: DraftReading, mint: Minter) -> None:
    DraftWriter(g, draft, mint).write()


def ingest_provenance(g: Graph, d: DraftReading, mint: Minter) -> None:
    """Which program extracted the article's text, with its version, from where and when."""
    ctx = URIRef(mint.context(d.slug))
    run = URIRef(f"{mint.article(d.slug)}/ingest")
    g.add((ctx, PROV.wasGeneratedBy, run))
    g.add((run, RDF.type, CG.DraftingRun))
    g.add((run, RDF.type, PROV.Activity))
    g.add((run, RDFS.label, en(f"text extraction of {d.slug} (claimgraph add)")))
    if at := d.ingest.get("retrieved"):
        g.add((run, PROV.endedAtTime, Literal(at, datatype=XSD.dateTime)))
    for key, value in sorted(d.ingest.items()):
        if key != "retrieved":
            g.add((run, RDFS.comment, plain(f"{key}: {value}")))

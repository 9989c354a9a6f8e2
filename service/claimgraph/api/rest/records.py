"""Node views -> the JSON the REST API answers with.

Every key is a term of ontology/context.jsonld, so adding "@context" turns a
row into JSON-LD with the same meaning; keys the context does not define
(href, claimId, score, ...) are for JSON readers only and vanish in JSON-LD.
"""

from __future__ import annotations

from typing import Any

from ...namespaces import ENTITY_TYPES
from .views import CG, DCT, ITSRDF, NIF, OWL_SAME, RDFS_COMMENT, SCHEMA, SKOS, Addresses, NodeView, Obj, compact, ref, span

# Controlled values: IRI -> the word the API uses (and the context maps back).
STANCES = {str(CG.Favourable): "favourable", str(CG.Critical): "critical", str(CG.Neutral): "neutral",
           str(CG.Mixed): "mixed"}
ATTRIBUTIONS = {str(CG.OwnVoice): "own-voice", str(CG.Reported): "reported"}
ROLES = {str(CG.ActorRole): "actor", str(CG.TargetRole): "target", str(CG.PartnerRole): "partner",
         str(CG.SubjectRole): "subject", str(CG.SourceRole): "source", str(CG.LocationRole): "location",
         str(CG.OtherRole): "other"}
PRECISIONS = {str(CG.DayPrecision): "day", str(CG.MonthPrecision): "month", str(CG.YearPrecision): "year",
              str(CG.DecadePrecision): "decade", str(CG.RelativePrecision): "relative"}
CLAIM_KINDS = ("factual", "causal", "evaluative", "predictive", "normative")


def _word(v: NodeView, predicate: Any, table: dict[str, str]) -> str | None:
    o = v.one(str(predicate))
    return table.get(o.value) if o is not None else None


def _refs(v: NodeView, predicate: Any, addr: Addresses) -> list[dict[str, Any]]:
    out = [ref(o, addr) for o in v.all(str(predicate)) if o.is_iri]
    return sorted((r for r in out if r), key=lambda r: (str(r.get("label", "")).lower(), r["id"]))


def _own_types(v: NodeView) -> list[str]:
    # Only the types asserted in our own vocabulary and schema.org: the inferred closure is for SPARQL users.
    keep = [compact(t) for t in v.types() if t.startswith(str(CG)) or t.startswith(str(SCHEMA))]
    return sorted(set(keep))


def _drop_empty(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None and v != []}


def entity_row(v: NodeView, addr: Addresses) -> dict[str, Any]:
    return _drop_empty({
        "id": v.iri,
        "registerId": v.value(str(CG.registerId)),
        "href": addr.api(v.iri),
        "label": v.label(),
        "entityType": v.value(str(CG.entityType)),
        "type": _own_types(v),
        "description": v.value(str(SCHEMA.description)) or v.value(RDFS_COMMENT),
        "aliases": sorted({str(o.value) for o in v.all(SKOS + "altLabel")}),
        "wikidata": v.value(str(CG.wikidata)),
        "sameAs": sorted({o.value for o in v.all(OWL_SAME) if o.is_iri and o.value != v.iri}),
        "closeMatch": sorted({o.value for o in v.all(SKOS + "closeMatch") if o.is_iri}),
        "iso3166": v.value(str(CG.iso3166Code)),
        "appliedBy": _refs(v, CG.appliedBy, addr),
        "appliedTo": _refs(v, CG.appliedTo, addr),
        "broader": _refs(v, SKOS + "broader", addr),
    })


def sentence_ref(o: Obj | None, addr: Addresses) -> dict[str, Any] | None:
    if o is None:
        return None
    return _drop_empty({"id": o.value, "href": addr.api(o.value), "position": o.position, "text": o.text,
                        "begin": o.begin, "end": o.end})


RELATIONS = {"supports": CG.supports, "rebuts": CG.rebuts, "contrastsWith": CG.contrastsWith,
             "elaborates": CG.elaborates, "contentOf": CG.contentOf}


def _stances(v: NodeView, addr: Addresses) -> list[dict[str, Any]]:
    """Every stance the claim takes, in the reading's order. A stance node is labelled with its
    value (favourable, critical, ...) and minted as <claim>/stance/<register id of its target>."""
    # Labels of the things the claim names: a stance's target is almost always one of them.
    labels = {o.value: o.label for p in (CG.about, CG.topic, CG.stanceToward) for o in v.all(str(p)) if o.label}
    out = []
    for o in sorted(v.all(str(CG.hasStance)), key=lambda o: o.position or 0):
        target = addr.mint.entity(str(o.value).rsplit("/stance/", 1)[-1])
        toward = {"id": target, "href": addr.api(target)}
        if target in labels:
            toward["label"] = labels[target]
        out.append({"toward": toward, "stanceValue": o.label})
    return out


def claim_row(v: NodeView, addr: Addresses) -> dict[str, Any]:
    claimant = v.one(str(CG.claimant))
    hedges = sorted((h for h in (span(o) for o in v.all(str(CG.hedgeCue))) if h), key=lambda h: h["begin"])
    hedge = hedges[0] if hedges else None
    return _drop_empty({
        "id": v.iri,
        "claimId": addr.short(v.iri),
        "href": addr.api(v.iri),
        "type": _own_types(v),
        "label": v.label(),
        "article": ref(v.one(str(CG.claimedIn)) or v.one(str(SCHEMA.appearance)), addr),
        "sentence": sentence_ref(v.one(str(CG.inSentence)), addr),
        "quote": span(v.one(str(CG.quote))),
        "claimant": ref(claimant, addr),
        "attribution": _word(v, CG.attribution, ATTRIBUTIONS),
        "kind": v.value(str(CG.claimKind)),
        "stance": _word(v, CG.stance, STANCES),
        "stanceToward": ref(v.one(str(CG.stanceToward)), addr),
        "about": _refs(v, CG.about, addr),
        "topics": _refs(v, CG.topic, addr),
        "stances": _stances(v, addr),
        "hedged": bool(v.value(str(CG.hedged))) or hedge is not None,
        "hedge": hedge,  # the first cue, kept for clients of the first edition
        "hedges": hedges,
        "cause": _refs(v, CG.cause, addr),
        "effect": _refs(v, CG.effect, addr),
        "frames": _refs(v, CG.frames, addr),
        **{name: _refs(v, prop, addr) for name, prop in RELATIONS.items()},
        "contestedPremise": bool(v.value(str(CG.contestedPremise))) or None,
        "contestNote": v.value(str(CG.contestNote)),
        "paraphrase": v.value(str(CG.paraphrase)),
        "note": v.value(str(CG.curatorNote)),
    })


def article_ref(iri: str, addr: Addresses) -> dict[str, Any]:
    return {"id": iri, "href": addr.api(iri)}


def event_row(v: NodeView, addr: Addresses) -> dict[str, Any]:
    parts = addr.parts(v.iri)
    article = addr.mint.article(parts[1]) if len(parts) > 1 else None
    return _drop_empty({
        "id": v.iri,
        "eventId": addr.short(v.iri),
        "type": _own_types(v),
        "label": v.label(),
        "position": v.value(str(CG.position)),
        "earliest": v.value(str(CG.earliest)),
        "latest": v.value(str(CG.latest)),
        "precision": _word(v, CG.timePrecision, PRECISIONS),
        "basis": v.value(str(CG.timeBasis)),
        "anchor": span(v.one(str(CG.anchor))),
        "timeText": span(v.one(str(CG.timeText))),
        "refersTo": ref(v.one(str(CG.refersTo)), addr),
        "invokedBy": article_ref(article, addr) if article else None,
    })


def policy_reference_row(v: NodeView, addr: Addresses) -> dict[str, Any]:
    parts = addr.parts(v.iri)
    article = addr.mint.article(parts[1]) if len(parts) > 1 else None
    return _drop_empty({
        "id": v.iri,
        "referenceId": addr.short(v.iri),
        "type": _own_types(v),
        "refersTo": ref(v.one(str(CG.refersTo)), addr),
        "anchor": span(v.one(str(CG.anchor))),
        "invokedBy": article_ref(article, addr) if article else None,
    })


def article_row(v: NodeView, addr: Addresses) -> dict[str, Any]:
    return _drop_empty({
        "id": v.iri,
        "slug": addr.short(v.iri),
        "href": addr.api(v.iri),
        "type": _own_types(v),
        "headline": v.value(str(SCHEMA.headline)),
        "label": v.label(),
        "publisher": ref(v.one(str(SCHEMA.publisher)), addr),
        "author": ref(v.one(str(SCHEMA.author)), addr),
        "language": v.value(str(SCHEMA.inLanguage)),
        "url": v.value(str(SCHEMA.url)),
        "datePublished": v.value(str(SCHEMA.datePublished)),
        "note": v.value(str(CG.curatorNote)),
    })


def sentence_row(v: NodeView, addr: Addresses) -> dict[str, Any]:
    parts = addr.parts(v.iri)
    return _drop_empty({
        "id": v.iri,
        "sentenceId": parts[3] if len(parts) == 4 else None,
        "href": addr.api(v.iri),
        "position": v.value(str(CG.position)),
        "text": v.value(str(NIF.anchorOf)),
        "begin": v.value(str(NIF.beginIndex)),
        "end": v.value(str(NIF.endIndex)),
        "sentenceRole": v.value(str(CG.sentenceRole)),
        "paragraph": v.value(str(CG.inParagraph)),
        "inArticle": article_ref(addr.mint.article(parts[1]), addr) if len(parts) > 1 else None,
    })


def mention_row(r: dict[str, Any], addr: Addresses) -> dict[str, Any]:
    """A mention from a flat query row (mention, words, begin, end, role, entity, entityLabel, sentence, ...)."""
    from .views import py

    entity = py(r.get("entity"))
    sentence = py(r.get("sentence"))
    return _drop_empty({
        "id": py(r["mention"]),
        "text": py(r.get("words")),
        "begin": py(r.get("begin")),
        "end": py(r.get("end")),
        "role": ROLES.get(py(r.get("role")) or ""),
        "entity": _drop_empty({"id": entity, "label": py(r.get("entityLabel")), "href": addr.api(entity)})
        if entity else None,
        "sentence": _drop_empty({"id": sentence, "href": addr.api(sentence), "position": py(r.get("position")),
                                 "text": py(r.get("sentenceText"))}) if sentence else None,
    })


def statement_row(v: NodeView, addr: Addresses) -> dict[str, Any]:
    return _drop_empty({
        "id": v.iri,
        "label": v.label(),
        "statedBy": v.value(str(CG.statedBy)),
        "statementKind": v.value(str(CG.statementKind)),
        "date": v.value(DCT + "date"),
        "source": v.value(DCT + "source"),
    })


__all__ = ["entity_row", "claim_row", "event_row", "policy_reference_row", "article_row", "sentence_row",
           "mention_row", "statement_row", "STANCES", "ATTRIBUTIONS", "ROLES", "PRECISIONS", "ENTITY_TYPES",
           "CLAIM_KINDS", "ITSRDF"]

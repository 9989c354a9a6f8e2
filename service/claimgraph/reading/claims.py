"""The `claims:` section of a reading: each claim, its hedges, stances and relations.

Cross-references (cause, effect, relations, frames) name items of the same reading or
register entities; they are collected here and resolved by reading/crossrefs.py once
every section has been read, so a claim may point at a claim or event listed after it.
"""

from __future__ import annotations

from typing import Any

from .fields import ITEM_ID, Fields, items
from .locate import locate
from .model import ATTRIBUTIONS, AUTHOR, CLAIM_KINDS, RELATION_TYPES, STANCES, Claim, Relation, Sentence, Span, StanceTaking

CLAIM_KEYS = ("id", "quote", "sentence", "occurrence", "claimant", "attribution", "kind", "about", "topics",
              "stances", "hedges", "paraphrase", "note", "cause", "effect", "relations", "frames", "contested")
# Keys of the first edition of the format, with what to write instead.
RETIRED = {
    "hedge": "`hedge` is now `hedges`, a list of every hedging cue: write hedges: [\"{value}\"] "
             "and add any other cue the claim carries",
    "stance": "`stance` and `stanceToward` are now `stances`, one entry per target: write "
              "stances: [{{toward: <entity>, stance: {value}}}]",
    "stanceToward": "`stance` and `stanceToward` are now `stances`, one entry per target: write "
                    "stances: [{{toward: {value}, stance: <stance>}}]",
}


class ClaimSection:
    """Mixed into ArticleReader: needs self.file, self.problems, self.entity_ref, self.scoped."""

    file: str
    problems: list
    pending_refs: list[tuple[Fields, Claim, str, list[str]]]
    declared: set[str]  # every item id written, loaded or not (a broken one is reported once)

    def retired(self, f: Fields, what: str) -> bool:
        old = False
        for key, advice in RETIRED.items():
            if key in f.node:
                value = f.node.get(key)
                f.problem(f"{what}: {advice.format(value=value)}", key=key)
                old = True
        return old

    def read_stances(self, f: Fields, cid: str) -> list[StanceTaking] | None:
        out: list[StanceTaking] = []
        for node, line in items(f.node.get("stances"), self.file, self.problems, f"claim {cid}: stances",
                                f.line("stances")):
            sf = Fields(node, self.file, self.problems, f"claim {cid}: stance", line)
            sf.allow(("toward", "stance", "note"))
            toward, stance = sf.str("toward"), sf.choice("stance", STANCES)
            if toward is None or stance is None or not self.entity_ref(sf, "toward", toward):  # type: ignore[attr-defined]
                return None
            if toward in {s.toward for s in out}:
                sf.problem(f"claim {cid}: two stances toward {toward!r}", key="toward")
                return None
            out.append(StanceTaking(toward, stance))
        if not out:
            if "stances" in f.node or "stance" not in f.node:
                f.problem(f"claim {cid}: missing stances (a list of {{toward: <entity>, stance: <stance>}})",
                          key="stances" if "stances" in f.node else None)
            return None
        return out

    def read_hedges(self, f: Fields, text: str, cid: str, sentence: Sentence, quote: Span) -> list[Span] | None:
        out: list[Span] = []
        for cue in f.strs("hedges"):
            found: Any = locate(text, cue, sentence.span.begin, sentence.span.end, None, f"sentence {sentence.id}")
            if isinstance(found, str):
                # Prefer the cue inside the quote when the sentence repeats it.
                found = locate(text, cue, quote.begin, quote.end, None, f"the quote of claim {cid}")
            if isinstance(found, str):
                f.problem(f"claim {cid}: hedge {found}", key="hedges")
                return None
            out.append(found)
        return sorted(out, key=lambda s: s.begin)

    def read_relations(self, f: Fields, cid: str) -> list[Relation]:
        out: list[Relation] = []
        for node, line in items(f.node.get("relations"), self.file, self.problems, f"claim {cid}: relations",
                                f.line("relations")):
            rf = Fields(node, self.file, self.problems, f"claim {cid}: relation", line)
            rf.allow(("type", "claim", "note"))
            kind, other = rf.choice("type", RELATION_TYPES), rf.str("claim")
            if kind and other:
                out.append(Relation(kind, other))
                self.pending_refs.append((rf, None, "claim", [other]))  # type: ignore[arg-type]
        return out

    def read_claims(self, top: Fields, text: str, sentences: dict[str, Sentence]) -> list[Claim]:
        out: list[Claim] = []
        seen: set[str] = set()
        for node, line in items(top.node.get("claims"), self.file, self.problems, "claims", top.line("claims")):
            f = Fields(node, self.file, self.problems, "claim", line)
            f.allow(CLAIM_KEYS + tuple(RETIRED))
            cid = f.str("id")
            if cid is None:
                continue
            f.what = f"claim {cid}"
            if not ITEM_ID.match(cid) or cid in seen:
                f.problem(f"claim id {cid!r} is malformed or repeated", key="id")
                continue
            seen.add(cid)
            self.declared.add(cid)
            if self.retired(f, f"claim {cid}") or f.str("quote") is None:
                continue
            span = self.scoped(f, text, "quote", sentences, f.str("sentence", required=False))  # type: ignore[attr-defined]
            claimant = f.str("claimant")
            ok_claimant = self.entity_ref(f, "claimant", claimant, allow_author=True)  # type: ignore[attr-defined]
            attribution = f.choice("attribution", ATTRIBUTIONS)
            if claimant == AUTHOR and attribution == "reported":
                f.problem(f"claim {cid}: a reported claim needs the claimant whose view is reported, not the author",
                          key="attribution")
            if claimant not in (None, AUTHOR) and attribution == "own-voice":
                f.problem(f"claim {cid}: own-voice claims are the author's; claimant must be 'author'", key="attribution")
            kind = f.choice("kind", CLAIM_KINDS)
            about = f.strs("about", required=True)
            ok_about = all(self.entity_ref(f, "about", a) for a in about) and bool(about)  # type: ignore[attr-defined]
            topics = f.strs("topics")
            ok_topics = all(self.entity_ref(f, "topics", t) for t in topics)  # type: ignore[attr-defined]
            stances = self.read_stances(f, cid)
            causes, effects = f.strs("cause"), f.strs("effect")
            if (causes or effects) and kind not in (None, "causal"):
                f.problem(f"claim {cid}: cause and effect belong to causal claims; this one is {kind}",
                          key="cause" if causes else "effect")
                continue
            contested = f.str("contested", required=False)
            if contested is not None and not contested.strip():
                f.problem(f"claim {cid}: contested needs a note saying which premise is contested and why",
                          key="contested")
                continue
            if span is None or None in (attribution, kind, stances) or not (ok_claimant and ok_about and ok_topics):
                continue
            sentence = self.containing(span, sentences)  # type: ignore[attr-defined]
            if sentence is None:
                f.problem(f"claim {cid}: quote spans more than one sentence", key="quote")
                continue
            hedges = self.read_hedges(f, text, cid, sentence, span)
            if hedges is None:
                continue
            claim = Claim(cid, span, sentence.id, claimant, attribution, kind, about, stances, topics,  # type: ignore[arg-type]
                          hedges, f.str("paraphrase", required=False), f.str("note", required=False),
                          causes, effects, self.read_relations(f, cid), f.strs("frames"), contested)
            for key, refs in (("cause", causes), ("effect", effects)):
                if refs:
                    self.pending_refs.append((f, claim, key, refs))
            if claim.frames:
                self.pending_refs.append((f, claim, "frames", claim.frames))
            out.append(claim)
        return out

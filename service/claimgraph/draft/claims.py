"""Claim candidates by rule: quote, attribution from a reporting frame, kind, hedge, subjects.

Each rule is a plain pattern a curator can read in the `rule:` it leaves on the item. They
propose; a curator decides. Nothing here says whether a claim is true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..reading.model import Span
from .mentions import Found

VERBS = (r"calls? for|called for|argues?|argued|says?|said|claims?|claimed|insists?|insisted|warns?|warned|"
         r"believes?|believed|contends?|contended|maintains?|maintained|asserts?|asserted|reports?|reported|"
         r"suggests?|suggested|states?|stated|notes?|noted")
# "According to X, Y" -- the source before the comma, the claim after it.
ACCORDING = re.compile(r"^(?P<lead>.*?)\b[Aa]ccording to (?P<src>[^,]+),\s*(?P<rest>.+)$")
# "X argues that Y", "X calls for Y": a capitalised or determined subject right before the verb.
FRAME = re.compile(rf"(?P<src>(?:(?:[Tt]he|[Aa]n?|[Ss]ome)\s+)?(?:[A-Z][\w’'.-]*(?:\s+[\w’'.-]+){{0,4}}?|"
                   rf"[a-z][\w-]*\s+(?:think tank|officials?|experts?|analysts?|government|ministry)))\s+"
                   rf"(?P<verb>{VERBS})\b(?:\s+that)?\s+(?P<rest>.+)$")
NOT_SOURCES = re.compile(r"^(?:It|This|That|These|Those|There|Which|What|Who|He|She|They|We|I|You)\b")

KINDS = (  # the first that matches wins: a "should" sentence is normative even if it says "because"
    ("normative", re.compile(r"\b(?:must|should|ought to|needs? to|has to|have to|shall)\b", re.I)),
    ("predictive", re.compile(r"\b(?:will|would|could|going to|is set to|are set to|might|won’t|won't)\b", re.I)),
    ("causal", re.compile(r"\b(?:because|led to|leads? to|lead to|caused?|causes|reinforced|reinforces|due to|"
                          r"as a result|resulted in|results? in|stimulated|therefore|thus|consequently|so that)\b", re.I)),
    ("evaluative", re.compile(r"\b(?:ineffective|effective|failed|fails?|failure|clear|clearly|obvious|simple|"
                              r"significant|important|importantly|better|worse|best|worst|truly|useful|"
                              r"humiliations?|wrong|right|good|bad|tired|success|successful|ignores?|"
                              r"realistic|unrealistic|pragmatic|fundamental|strategic|merely|only)\b", re.I)),
)
HEDGES = ("seem to", "seems to", "seemed to", "appear to", "appears to", "appeared to", "potentially", "possibly",
          "perhaps", "probably", "likely", "reportedly", "allegedly", "apparently", "arguably", "could", "may",
          "might", "suggests", "on paper", "tends to", "tend to")
HEDGE = re.compile(r"\b(?:" + "|".join(re.escape(h) for h in sorted(HEDGES, key=len, reverse=True)) + r")\b", re.I)


@dataclass
class Candidate:
    quote: Span
    attribution: str
    claimant: str | None      # entity id, "author", or None when the source is not in the register
    source: str | None        # the words naming a reported source
    kind: str
    hedge: str | None
    about: list[str]
    rules: list[str] = field(default_factory=list)


def _trim(text: str, b: int, e: int) -> tuple[int, int]:
    while e > b and text[e - 1] in ".!?;:,” \"":
        e -= 1
    while b < e and text[b] in " “\"":
        b += 1
    return b, e


def claim_for(text: str, sentence: Span, mentions: list[Found]) -> Candidate | None:
    words = sentence.text
    if len(words.split()) < 4 or words.endswith("?"):
        return None  # headings, datelines and questions are rarely claims; the curator adds them
    b, e = sentence.begin, sentence.end
    attribution, claimant, source, rules = "own-voice", "author", None, []
    m = ACCORDING.match(words)
    frame = None if m else FRAME.search(words)
    if frame and NOT_SOURCES.match(frame.group("src")):
        frame = None
    hit = m or frame
    if hit:
        src_b, src_e = sentence.begin + hit.start("src"), sentence.begin + hit.end("src")
        b = sentence.begin + hit.start("rest")
        attribution, claimant = "reported", None
        named = [f for f in mentions if src_b <= f.begin and f.end <= src_e]
        if named:
            claimant = max(named, key=lambda f: f.end - f.begin).entity
        else:
            source = text[src_b:src_e]
        verb = "according to" if m else hit.group("verb")
        rules.append(f"reported: reporting frame “{verb}” names the source {text[src_b:src_e]!r}")
    else:
        rules.append("own-voice: no reporting frame in the sentence")
    b, e = _trim(text, b, e)
    quote = Span(b, e, text[b:e])
    kind = next((k for k, pattern in KINDS if pattern.search(quote.text)), "factual")
    cue = next((km.group(0) for km in [KINDS[[k for k, _ in KINDS].index(kind)][1].search(quote.text)] if km), None) \
        if kind != "factual" else None
    rules.append(f"kind {kind}: " + (f"cue “{cue}”" if cue else "no predictive, normative, causal or evaluative cue"))
    hedge_m = HEDGE.search(quote.text)
    hedge = hedge_m.group(0) if hedge_m else None
    if hedge:
        rules.append(f"hedge: lexicon entry “{hedge.lower()}”")
    about = list(dict.fromkeys(f.entity for f in mentions if b <= f.begin and f.end <= e and f.entity != claimant))
    return Candidate(quote, attribution, claimant, source, kind, hedge, about, rules)

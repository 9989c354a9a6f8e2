"""The reading as plain objects: what the build turns into triples.

Every offset here was computed by the loader from the text, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLAIM_KINDS = ("factual", "causal", "evaluative", "predictive", "normative")
STANCES = ("favourable", "critical", "neutral", "mixed")
ATTRIBUTIONS = ("own-voice", "reported")
MENTION_ROLES = ("actor", "target", "partner", "subject", "source", "location", "other")
PARTICIPANT_ROLES = ("actor", "target", "partner", "location")
RELATION_TYPES = ("content-of", "supports", "contrasts", "rebuts", "elaborates")
FRAMING_TYPES = ("scare-quote", "presupposition")
SENTENCE_ROLES = ("body", "standfirst", "boilerplate", "headline")
PRECISIONS = ("day", "month", "year", "decade", "relative")
TIME_BASES = ("text", "external", "publication")
AUTHOR = "author"


@dataclass(frozen=True)
class Span:
    begin: int
    end: int
    text: str


@dataclass
class Entity:
    id: str
    type: str
    label: str
    aliases: list[str] = field(default_factory=list)
    description: str | None = None
    wikidata: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    applied_by: list[str] = field(default_factory=list)
    applied_to: list[str] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    # Who applies a policy to whom, or that an event happened, is a register fact only
    # with a source (a register entity, the document's URL, its date).
    source: "RegisterSource | None" = None
    happened: "When | None" = None
    line: int = 0


@dataclass
class RegisterSource:
    by: str  # a register entity: the government, outlet or registry that states it
    url: str
    date: str | None = None


@dataclass
class Mention:
    id: str
    span: Span
    entity: str
    role: str
    sentence: str


@dataclass
class Sentence:
    id: str
    index: int
    span: Span
    role: str
    paragraph: int
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class StanceTaking:
    toward: str  # a register entity
    stance: str


@dataclass
class Relation:
    type: str  # one of RELATION_TYPES
    claim: str  # another claim of the same article


@dataclass
class Claim:
    id: str
    span: Span
    sentence: str
    claimant: str
    attribution: str
    kind: str
    about: list[str]
    stances: list[StanceTaking]
    topics: list[str] = field(default_factory=list)
    hedges: list[Span] = field(default_factory=list)
    paraphrase: str | None = None
    note: str | None = None
    # What the claim relates, each a reference: "entity:<id>", "event:<id>", "policy:<id>", "claim:<id>".
    causes: list[str] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)  # references it characterises, typed as causes are ("event:<id>")
    contested: str | None = None  # the note saying which premise is contested and why

    @property
    def own_voice(self) -> bool:
        return self.attribution == "own-voice"

    @property
    def stance(self) -> str:
        return self.stances[0].stance

    @property
    def stance_toward(self) -> str:
        return self.stances[0].toward


@dataclass
class When:
    start: str | None
    end: str | None
    precision: str
    basis: str
    span: Span | None = None


@dataclass
class Participant:
    entity: str
    role: str  # one of PARTICIPANT_ROLES
    span: Span | None  # None: implied, the text does not name it (note says why)
    note: str | None = None


@dataclass
class Event:
    """An event as the article invokes it: what the article says happened, never a world fact."""
    id: str
    label: str
    entity: str | None
    span: Span | None
    when: When | None
    order: int = 0
    participants: list[Participant] = field(default_factory=list)
    note: str | None = None


@dataclass
class PolicyUse:
    """A policy as the article invokes it, with who applies it to whom as the article frames it."""
    id: str
    entity: str
    span: Span | None
    participants: list[Participant] = field(default_factory=list)
    note: str | None = None


@dataclass
class Framing:
    """A framing device the author uses: scare quotes, a presupposition."""
    id: str
    type: str  # one of FRAMING_TYPES
    span: Span
    sentence: str
    claims: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Article:
    slug: str
    text: str
    sha256: str
    title: str
    genre: str
    publisher: str | None
    author: str | None
    language: str
    url: str | None
    published: str | None
    note: str | None
    paragraphs: list[Span]
    sentences: list[Sentence]
    claims: list[Claim]
    events: list[Event]
    policies: list[PolicyUse]
    framings: list[Framing] = field(default_factory=list)

    def sentence(self, sid: str) -> Sentence:
        return next(s for s in self.sentences if s.id == sid)


@dataclass
class Fact:
    id: str
    subject: str
    statement: str
    kind: str
    by: str  # the source as the document names it
    date: str | None
    source: str
    retrieved_via: str | None = None
    by_entity: str | None = None  # the register entity that states it (a government, an outlet)


@dataclass
class Corpus:
    entities: dict[str, Entity]
    articles: list[Article]
    facts: list[Fact]
    # machine drafts still to review (reading/status.py: DraftReading), built into graphs of their own
    drafts: list = field(default_factory=list)

"""The reading as plain objects: what the build turns into triples.

Every offset here was computed by the loader from the text, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENTITY_TYPES = ("State", "Organization", "Person", "MediaOutlet", "Place", "Group", "Policy", "Event", "Concept")
CLAIM_KINDS = ("factual", "causal", "evaluative", "predictive", "normative")
STANCES = ("favourable", "critical", "neutral", "mixed")
ATTRIBUTIONS = ("own-voice", "reported")
MENTION_ROLES = ("actor", "target", "partner", "subject", "source", "location", "other")
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
    line: int = 0


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
class Claim:
    id: str
    span: Span
    sentence: str
    claimant: str
    attribution: str
    kind: str
    about: list[str]
    stance: str
    stance_toward: str
    topics: list[str] = field(default_factory=list)
    hedge: Span | None = None
    paraphrase: str | None = None
    note: str | None = None

    @property
    def own_voice(self) -> bool:
        return self.attribution == "own-voice"


@dataclass
class When:
    start: str | None
    end: str | None
    precision: str
    basis: str
    span: Span | None = None


@dataclass
class Event:
    id: str
    label: str
    entity: str | None
    span: Span | None
    when: When | None
    order: int = 0


@dataclass
class PolicyUse:
    id: str
    entity: str
    span: Span | None


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

    def sentence(self, sid: str) -> Sentence:
        return next(s for s in self.sentences if s.id == sid)


@dataclass
class Fact:
    id: str
    subject: str
    statement: str
    kind: str
    by: str
    date: str | None
    source: str
    retrieved_via: str | None = None


@dataclass
class Corpus:
    entities: dict[str, Entity]
    articles: list[Article]
    facts: list[Fact]
    # machine drafts still to review (reading/status.py: DraftReading), built into graphs of their own
    drafts: list = field(default_factory=list)

"""The `events:`, `policies:` and `framing:` sections, and cross-reference resolution.

An event or policy here is a *reference*: what the article says happened or who it says
applies a policy to whom, anchored to its words. Nothing in these sections is a fact
about the world; the register (data/entities.yaml) holds those, each with a source.
"""

from __future__ import annotations

from .fields import ITEM_ID, Fields, items
from .model import (
    FRAMING_TYPES, PARTICIPANT_ROLES, Claim, Event, Framing, Participant, PolicyUse, Sentence, Span,
)


class ReferenceSections:
    """Mixed into ArticleReader: needs self.file, self.problems, self.entity_ref, self.scoped, self.entities."""

    file: str
    problems: list
    pending_refs: list
    declared: set[str]

    def read_participants(self, f: Fields, text: str, sentences: dict[str, Sentence],
                          sid: str | None) -> list[Participant] | None:
        out: list[Participant] = []
        for node, line in items(f.node.get("participants"), self.file, self.problems, f"{f.what}: participants",
                                f.line("participants")):
            pf = Fields(node, self.file, self.problems, f"{f.what}: participant", line)
            pf.allow(("entity", "role", "text", "occurrence", "sentence", "implied", "note"))
            entity, role = pf.str("entity"), pf.choice("role", PARTICIPANT_ROLES)
            if entity is None or role is None or not self.entity_ref(pf, "entity", entity):  # type: ignore[attr-defined]
                return None
            span = None
            if "text" in pf.node:
                span = self.scoped(pf, text, "text", sentences, pf.str("sentence", required=False) or sid)  # type: ignore[attr-defined]
                if span is None:
                    return None
            else:
                implied = pf.node.get("implied")
                note = pf.str("note", required=False)
                if implied is not True or not note:
                    pf.problem(f"{f.what}: participant {entity} ({role}) needs the words that name it (text:), "
                               "or implied: true with a note saying why the reading supplies it",
                               key="implied" if "implied" in pf.node else None)
                    return None
            out.append(Participant(entity, role, span, pf.str("note", required=False)))
        return out

    def read_events(self, top: Fields, text: str, sentences: dict[str, Sentence]) -> list[Event]:
        out: list[Event] = []
        for node, line in items(top.node.get("events"), self.file, self.problems, "events", top.line("events")):
            f = Fields(node, self.file, self.problems, "event", line)
            f.allow(("id", "entity", "label", "mention", "sentence", "occurrence", "when", "order", "note",
                     "participants"))
            eid = f.str("id")
            if eid is None:
                continue
            self.declared.add(eid)
            f.what = f"event {eid}"
            if not ITEM_ID.match(eid) or eid in {e.id for e in out}:
                f.problem(f"event id {eid!r} is malformed or repeated", key="id")
                continue
            entity = f.str("entity", required=False)
            if entity is not None and not self.entity_ref(f, "entity", entity):  # type: ignore[attr-defined]
                continue
            sid = f.str("sentence", required=False)
            span = self.scoped(f, text, "mention", sentences, sid)  # type: ignore[attr-defined]
            when = self.read_when(f, text, sentences, sid)  # type: ignore[attr-defined]
            participants = self.read_participants(f, text, sentences, sid)
            if participants is None:
                continue
            out.append(Event(eid, f.str("label") or eid, entity, span, when, f.int("order") or 0, participants,
                             f.str("note", required=False)))
        return out

    def read_policies(self, top: Fields, text: str, sentences: dict[str, Sentence]) -> list[PolicyUse]:
        out: list[PolicyUse] = []
        for node, line in items(top.node.get("policies"), self.file, self.problems, "policies", top.line("policies")):
            f = Fields(node, self.file, self.problems, "policy", line)
            f.allow(("id", "entity", "mention", "sentence", "occurrence", "note", "participants"))
            pid, entity = f.str("id"), f.str("entity")
            if pid is not None:
                self.declared.add(pid)
            if pid is None or not self.entity_ref(f, "entity", entity):  # type: ignore[attr-defined]
                continue
            if entity and self.entities[entity].type != "Policy":  # type: ignore[attr-defined]
                f.problem(f"policy {pid}: entity {entity!r} is a {self.entities[entity].type}, not a Policy",  # type: ignore[attr-defined]
                          key="entity")
                continue
            f.what = f"policy {pid}"
            if not ITEM_ID.match(pid) or pid in {p.id for p in out}:
                f.problem(f"policy id {pid!r} is malformed or repeated", key="id")
                continue
            sid = f.str("sentence", required=False)
            span = self.scoped(f, text, "mention", sentences, sid)  # type: ignore[attr-defined]
            participants = self.read_participants(f, text, sentences, sid)
            if participants is None:
                continue
            out.append(PolicyUse(pid, entity, span, participants, f.str("note", required=False)))  # type: ignore[arg-type]
        return out

    def read_framings(self, top: Fields, text: str, sentences: dict[str, Sentence]) -> list[Framing]:
        out: list[Framing] = []
        for node, line in items(top.node.get("framing"), self.file, self.problems, "framing", top.line("framing")):
            f = Fields(node, self.file, self.problems, "framing", line)
            f.allow(("id", "type", "text", "sentence", "occurrence", "claims", "note"))
            fid, kind, sid = f.str("id"), f.choice("type", FRAMING_TYPES), f.str("sentence")
            if fid is None or kind is None or sid is None:
                continue
            f.what = f"framing {fid}"
            if not ITEM_ID.match(fid) or fid in {x.id for x in out}:
                f.problem(f"framing id {fid!r} is malformed or repeated", key="id")
                continue
            if kind == "presupposition" and not f.str("note", required=False):
                f.problem(f"framing {fid}: a presupposition needs a note saying what it takes for granted", key="type")
                continue
            span = self.scoped(f, text, "text", sentences, sid)  # type: ignore[attr-defined]
            if span is None:
                continue
            if kind == "scare-quote" and not _quoted(text, span):
                f.problem(f"framing {fid}: a scare quote's text must be the quoted words with their quotation "
                          f"marks, e.g. “surgical”; got {span.text!r}", key="text")
                continue
            framing = Framing(fid, kind, span, sid, f.strs("claims"), f.str("note", required=False))
            if framing.claims:
                self.pending_refs.append((f, None, "claims", framing.claims))
            out.append(framing)
        return out

    def resolve_refs(self, claims: list[Claim], events: list[Event], policies: list[PolicyUse]) -> None:
        """Turn the ids in cause/effect/relations/frames into typed references, or report them."""
        local = {"claim": {c.id for c in claims}, "event": {e.id for e in events}, "policy": {p.id for p in policies}}
        for f, claim, key, refs in self.pending_refs:
            resolved: list[str] = []
            for ref in refs:
                kinds = [k for k, ids in local.items() if ref in ids]
                if ref in self.entities:  # type: ignore[attr-defined]
                    kinds.append("entity")
                allowed = {"cause": ("claim", "event", "policy", "entity"), "effect": ("claim", "event", "policy", "entity"),
                           "frames": ("event", "policy"), "claim": ("claim",), "claims": ("claim",)}[key]
                kinds = [k for k in kinds if k in allowed]
                loaded = any(ref in ids for ids in local.values())
                if not kinds and ref in self.declared and not loaded:
                    continue  # an item of this reading that did not load: its own problem says why
                if not kinds:
                    f.problem(f"{f.what}: {key} {ref!r} is not a {' or '.join(allowed)} of this reading"
                              + (" or the register" if "entity" in allowed else ""), key=key)
                    continue
                if len(kinds) > 1:
                    f.problem(f"{f.what}: {key} {ref!r} is ambiguous: it names a {' and a '.join(kinds)}", key=key)
                    continue
                if claim is not None and kinds[0] == "claim" and ref == claim.id:
                    f.problem(f"{f.what}: {key} {ref!r} is the claim itself", key=key)
                    continue
                resolved.append(f"{kinds[0]}:{ref}")
            if claim is not None:
                if key == "cause":
                    claim.causes = resolved
                elif key == "effect":
                    claim.effects = resolved
                elif key == "frames":
                    claim.frames = resolved


def _quoted(text: str, span: Span) -> bool:
    pairs = {"“": "”", "\"": "\"", "‘": "’", "'": "'", "«": "»"}
    words = span.text
    return len(words) >= 3 and words[0] in pairs and words[-1] == pairs[words[0]]


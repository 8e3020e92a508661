"""One key point against one answer: is the claim asserted, asserted in its opposite, or absent?

Evidence for a point, strongest first:

* a **claim** (a paraphrase, an alias or the point's own text) asserted in one segment of the
  answer, all or nearly all of its slots present with the same polarity (``rubrics.offline.claims``);
* its **numbers** stated in any format (``rubrics.numbers``) and its **formulas** written in any
  notation (``rubrics.formulas``);
* its **concepts** (keywords) asserted together in one sentence segment.

Evidence against it: a **contradiction** (written in the rubric, a misconception that denies the
point, or a paraphrase with one word swapped for its antonym) asserted in the claim's word order,
a paraphrase asserted under a negation, or a different value of the same kind stated where the
point's concepts are while the right value is never given. A point contradicted anywhere earns
nothing, whatever else the answer says: a candidate who states both a claim and its opposite has
not shown they know which is true.

Where a claim and a contradiction match in the same segment (they share most words), the one
whose distinguishing words are present wins; with the same words, the one in the answer's word
order; otherwise neither counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from question_bank.models import KeyPoint, Misconception
from rubrics.formulas import formula_in
from rubrics.glossary import load_glossary
from rubrics.numbers import Quantity, matches, parse_quantities, same_kind
from rubrics.offline.claims import AnswerView, Claim, ClaimMatch, Slot, compile_claim, flips, match_claim
from rubrics.text import compile_entry

#: Coverage a support claim needs for full / partial credit.
CLAIM_FULL = 0.85
CLAIM_PARTIAL = 0.6
#: Coverage and word order a contradiction needs to count.
CONTRA_MIN = 0.75
ORDER_MIN = 0.75
ORDER_LOOSE = 0.5  # for a contradiction with words of its own
#: Keyword share in one segment for full / partial credit.
CONCEPTS_FULL = 1.0
CONCEPTS_PARTIAL = 0.6


@dataclass
class CompiledPoint:
    kp: KeyPoint
    supports: list[Claim]
    contras: list[Claim]
    concepts: list[Claim]  # keyword entries as one unordered claim per language
    signal_of: dict[str, str] = field(default_factory=dict)  # contra raw -> misconception id
    topic: frozenset[str] = frozenset()  # slot keys of the question's own subject (implicit)
    question_keys: frozenset[str] = frozenset()  # slot keys of every correct phrasing of the question

    @property
    def support_keys(self) -> frozenset[str]:
        return frozenset().union(*(c.keys() for c in self.supports)) if self.supports else frozenset()


def _concept_claim(entries: list[str]) -> Claim | None:
    g = load_glossary()
    slots = []
    for i, e in enumerate(entries):
        sp = compile_entry(g.expand_entry(e))
        if sp:
            slots.append(Slot(key=f"k{i}:{e}", spellings=sp, weight=1.0, positive=True, pos=i))
    return Claim(raw=" / ".join(entries), slots=tuple(slots), origin="concepts") if len(slots) >= 2 else None


def topic_keys(question_texts: list[str]) -> tuple[frozenset[str], dict[str, Slot]]:
    """The specific concepts a question names ("GQA", "KV cache"): their slot keys, and the slots."""
    slots: dict[str, Slot] = {}
    for t in question_texts:
        c = compile_claim(t) if t else None
        if c:
            slots.update({sl.key: sl for sl in c.slots if sl.weight >= 0.6 and sl.key.startswith("c") and not sl.required})
    return frozenset(slots), slots


def compile_point(kp: KeyPoint, misconceptions: list[Misconception], topic: frozenset[str] = frozenset()) -> CompiledPoint:
    supports = [c for c in (compile_claim(p, False, "paraphrase") for p in kp.paraphrases.all()) if c]
    supports += [c for c in (compile_claim(a, False, "alias") for t in kp.aliases.all() for a in t.split("|")) if c]
    for t in (kp.text.en, kp.text.zh):
        c = compile_claim(t, False, "text") if t else None
        if c and len(c.slots) <= 8:
            supports.append(c)
    contras = [c for c in (compile_claim(p, True, "contradiction") for p in kp.contradictions.all()) if c]
    signal_of: dict[str, str] = {}
    for m in misconceptions:
        if kp.id in m.contradicts:
            for s in m.signals.all():
                for a in s.split("|"):
                    c = compile_claim(a, True, "signal")
                    if c:
                        contras.append(c)
                        signal_of[c.raw] = m.id
    support_keys = frozenset().union(*(c.keys() for c in supports)) if supports else frozenset()
    for c in supports:
        if c.origin != "text":
            # a flip must not restate another phrasing of the same point
            contras += [f for f in flips(c) if not f.keys() <= support_keys]
    concepts = [c for c in (_concept_claim(kp.keywords.en), _concept_claim(kp.keywords.zh)) if c]
    return CompiledPoint(kp=kp, supports=supports, contras=contras, concepts=concepts, signal_of=signal_of, topic=topic)


@dataclass
class PointResult:
    credit: str  # "full" | "partial" | "none"
    why: str
    evidence: tuple[int, int] | None = None
    contradicted: bool = False
    contradiction: tuple[int, int] | None = None
    contradiction_why: str = ""
    misconception: str | None = None  # id of the misconception that contradicted it
    only_list: bool = False
    weak: bool = False  # the credit rests on weaker evidence (concepts only, similarity)
    conflicting: bool = False  # supported somewhere and contradicted elsewhere


def _says_something(m: ClaimMatch, topic: frozenset[str]) -> bool:
    """Whether the answer states what the claim says of its subject: some content word besides the
    question's own subject ("GPTQ and AWQ are PTQ" is not stated by "GPTQ and AWQ are QAT"). A pole
    word ("degrade", "smaller") is content; a bounding word ("都", "only") is not."""
    content = [sl for sl in m.claim.slots if sl.key not in topic and (sl.pole is not None or sl.opposite or (not sl.required and sl.weight >= 0.5))]
    return not content or any(sl.key in m.found for sl in content)


def _disc_ok(m: ClaimMatch, own: frozenset[str], other: frozenset[str]) -> bool:
    """The claim's distinguishing slots (absent from the competing phrasings) are found: all of them,
    or all but one plain word when at least one is found (the answer may word it otherwise)."""
    disc = own - other
    missing = disc - m.found
    return not missing or (len(missing) == 1 and bool(disc & m.found) and next(iter(missing)).startswith("w"))


def evaluate_point(
    view: AnswerView,
    cp: CompiledPoint,
    list_segments: set[int],
    quantities: tuple[Quantity, ...],
    answer: str,
    given: tuple[Quantity, ...] = (),
) -> PointResult:
    """``given``: the quantities the question itself states, which an answer repeats without
    claiming a wrong value."""
    support_keys = cp.support_keys
    contra_keys = frozenset().union(*(c.keys() for c in cp.contras)) if cp.contras else frozenset()

    # -- evidence for
    sup: list[ClaimMatch] = []
    neg_sup: list[ClaimMatch] = []
    for c in cp.supports:
        m = match_claim(view, c, fuzzy=True, implicit=cp.topic, min_coverage=CLAIM_PARTIAL)
        if m is None or m.coverage < CLAIM_PARTIAL:
            continue
        same_words = any(c.keys() == k.keys() for k in cp.contras)
        if same_words and m.order < ORDER_MIN:
            continue
        if not _disc_ok(m, c.keys(), contra_keys) and m.coverage < 1.0:
            continue
        if not _says_something(m, cp.topic):
            continue
        (neg_sup if m.flipped else sup).append(m)

    # -- evidence against
    against: list[tuple[ClaimMatch, str]] = []
    for c in cp.contras:
        # the words that make it wrong (none of the point's correct phrasings has them) must be there
        m = match_claim(view, c, fuzzy=False, implicit=cp.topic, min_coverage=CONTRA_MIN, protect=c.keys() - support_keys)
        if m is None or m.coverage < CONTRA_MIN or m.flipped or not m.complete:
            continue
        if not _disc_ok(m, c.keys(), support_keys):
            continue
        # word order tells a claim from its opposite only when it recombines words the correct
        # answer uses too (roles swapped between two things the question is about); one with words
        # no correct phrasing of the question uses ("stays the same") may be phrased in any order
        if m.order < (ORDER_MIN if not (c.keys() - cp.question_keys) else ORDER_LOOSE):
            continue
        against.append((m, c.origin))
    for m in neg_sup:
        # a denial needs the claim's subject too: "no re-centering" alone does not say whose
        # A denial counts only against a plain positive claim, as "subject ... does not predicate":
        # a phrasing that itself negates ("no NSP") meets lexical negations ("removed NSP") too
        # often, and "without X, Y" or "no X" negate a noun, not the claim.
        plain = all(sl.positive or sl.verbal for sl in m.claim.slots)
        if m.coverage >= CONTRA_MIN and m.complete and m.denial and plain:
            against.append((m, "negated"))

    # a segment where both match: the better-fitting one wins there
    def fit(m: ClaimMatch) -> tuple[float, float]:
        return (m.coverage, m.order)

    kept_against = []
    for m, origin in against:
        rivals = [s for s in sup if s.segment == m.segment]
        if rivals:
            best = max(rivals, key=fit)
            if fit(best) > fit(m):
                continue
            if fit(best) == fit(m):
                sup = [s for s in sup if s.segment != m.segment]
                continue
            sup = [s for s in sup if s.segment != m.segment]
        kept_against.append((m, origin))

    result = PointResult(credit="none", why="not mentioned")
    # -- credit from claims
    best = max(sup, key=lambda m: (m.coverage, m.claim.origin != "text"), default=None)
    if best is not None:
        only_list = best.segment in list_segments
        lost = [sl for sl in best.claim.slots if sl.key not in best.found]
        # "all but one" counts the words the answer says, not the question's subject taken as said
        own_slots = [sl for sl in best.claim.slots if sl.key not in best.implied]
        one_plain_missing = (
            len(own_slots) >= 4
            and len(lost) == 1
            and lost[0].weight <= 0.6
            and not lost[0].required
            and lost[0].pole is None
            and not lost[0].opposite
        )
        if best.complete and (best.coverage >= CLAIM_FULL or one_plain_missing):
            result = PointResult("full", "states the point", (best.start, best.end), only_list=only_list)
        else:
            result = PointResult("partial", "roughly states it", (best.start, best.end), only_list=only_list)
    if result.only_list and result.credit == "full":
        # a bare list names the terms; it asserts no claim (numbers and formulas may still state it)
        result.credit, result.why = "partial", "names it without explaining"
    # -- numbers
    facts = cp.kp.numbers
    if facts:
        found = [next((q for q in quantities if matches(q, f.value, f.unit, f.tolerance) and view.asr.asserted(q.start)), None) for f in facts]
        hits = [q for q in found if q is not None]
        if hits and result.credit != "full":
            credit = "full" if len(hits) == len(facts) else "partial"
            q = hits[0]
            result = PointResult(credit, "states the value" if credit == "full" else "states part of the values", (q.start, q.end))
    # -- formulas
    if result.credit != "full":
        for f in cp.kp.formulas:
            span = formula_in(answer, f)
            if span and view.asr.asserted(span[0]):
                result = PointResult("full", "writes the formula", span)
                break
    # -- concepts together in one segment
    if result.credit != "full":
        for cc in cp.concepts:
            m = match_claim(view, cc, fuzzy=True)
            if m is None or m.flipped:
                continue
            if any(a.segment == m.segment for a, _ in kept_against):
                continue
            n = len(cc.slots)
            if m.coverage >= CONCEPTS_FULL and n >= 2:
                cand = PointResult("full", f"explains it ({n}/{n} key terms together)", (m.start, m.end), weak=True)
            elif m.coverage >= CONCEPTS_PARTIAL and n >= 2 and round(m.coverage * n) >= 2:
                cand = PointResult("partial", f"mentions part of it ({round(m.coverage * n)}/{n} key terms)", (m.start, m.end), weak=True)
            else:
                continue
            cand.only_list = m.segment in list_segments
            rank = {"none": 0, "partial": 1, "full": 2}
            if rank[cand.credit] > rank[result.credit]:
                result = cand

    # -- a wrong value where the point is discussed, the right one never given
    if facts and not any(matches(q, f.value, f.unit, f.tolerance) for q in quantities for f in facts):
        segs = {m.segment for m in sup} | {m.segment for m in neg_sup}
        for cc in cp.concepts:
            m = match_claim(view, cc, fuzzy=True)
            if m and m.coverage >= 0.5:
                segs.add(m.segment)
        for q in quantities:
            if any(g.unit == q.unit and any(abs(v - g.value) <= 1e-9 * max(1.0, abs(v)) for v in q.values()) for g in given):
                continue
            if view.asr.seg(q.start) in segs and view.asr.asserted(q.start) and any(same_kind(q, f.unit) for f in facts):
                kept_against.append((ClaimMatch(Claim(raw="value", slots=()), 1.0, frozenset(), False, 1.0, q.start, q.end, view.asr.seg(q.start)), "value"))
                break

    if result.only_list and result.credit == "full" and result.why not in ("states the value", "writes the formula"):
        result.credit, result.why = "partial", "names it without explaining"
    if kept_against:
        m, origin = max(kept_against, key=lambda x: fit(x[0]))
        why = {
            "contradiction": "asserts the opposite",
            "signal": "asserts a misconception that denies it",
            "flip": "asserts the opposite (one word reversed)",
            "negated": "denies it",
            "value": "states a different value",
        }.get(origin, "asserts the opposite")
        conflicting = result.credit != "none"
        result = PointResult(
            "none",
            why,
            None,
            contradicted=True,
            contradiction=(m.start, m.end),
            contradiction_why=why,
            misconception=cp.signal_of.get(m.claim.raw),
            conflicting=conflicting,
        )
    return result


def signal_matches(
    view: AnswerView, m: Misconception, topic: frozenset[str] = frozenset(), question_keys: frozenset[str] = frozenset()
) -> ClaimMatch | None:
    """Where the answer asserts misconception ``m`` (its signals, strictly, in order)."""
    best = None
    for s in m.signals.all():
        for a in s.split("|"):
            c = compile_claim(a, True, "signal")
            if c is None:
                continue
            hit = match_claim(view, c, fuzzy=False, implicit=topic, min_coverage=CONTRA_MIN, protect=c.keys() - question_keys)
            if hit is None or hit.flipped or hit.coverage < CONTRA_MIN or hit.order < ORDER_MIN or not hit.complete:
                continue
            if best is None or (hit.coverage, hit.order) > (best.coverage, best.order):
                best = hit
    return best

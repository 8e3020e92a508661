"""Cross-checking the LLM judge's credits against what the offline judge sees in the same answer.

A model can be fooled, or be careless: it credits every key point and quotes the answer as its
evidence, and the evidence check passes, because the quote is real. With such a model an off-topic
answer, "I do not know" and an answer that states the rubric's misconceptions word for word all
scored 10/10. What a model cannot fake is what string matching finds in the same text, so each
rule below compares the two and caps the model's per-point credit where the answer cannot hold it:

* ``no_content``: almost no content words ("I do not know", "not sure") -> nothing to credit;
* ``off_topic``: the offline judge credits nothing and the answer shares almost no word with the
  question, its reference answer and its rubric -> nothing to credit;
* ``flagged``: the answer instructs the grader or is a bare list of terms -> no point above the
  offline judge's credit for it (its misconceptions count too);
* ``asserted_misconception``: the offline judge finds a rubric misconception stated, not negated,
  that the model did not report -> its penalty applies, and no point is credited on the words that
  state it;
* ``reused_span``: one quote is the evidence for several points and holds none of the terms of
  some of them -> those lose the credit;
* ``contradicted``: the offline judge (confident) finds the answer asserting the opposite of a
  point the model credits -> that point is partial at most, nothing when the model's evidence is
  the contradicting sentence.

Every cap lowers credit, never raises it, and all of them are reported in one
``judge_disagreement`` flag, which the report shows. ``cross_check`` takes the model's points and
the offline verdict and returns the capped points, misconceptions and flags; a new offline signal
(a per-point contradiction, a confidence) plugs in as one more function in ``RULES``.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from question_bank.models import KeyPoint, Question, Rubric
from rubrics.text import analyze, char_bigrams, has_cjk, match_entry, tokenize_en
from rubrics.verdict import CREDIT_VALUE, Credit, Flag, KeyPointVerdict, MisconceptionHit, Verdict

#: Content words below which an answer says nothing that could earn a point.
MIN_CONTENT_WORDS = 3
#: With a non-answer phrase ("I don't know"), the content words below which it is only that.
NON_ANSWER_CONTENT_WORDS = 8
#: Off topic: at most this many distinct words shared with the question, reference and rubric...
OFF_TOPIC_SHARED = 1
#: ...or under this share of the answer's distinct content words.
OFF_TOPIC_SHARE = 0.1
#: The question's vocabulary in the answer's script must be at least this large to judge topicality.
MIN_VOCABULARY = 20

_SPACE = re.compile(r"\s+")
_NON_ANSWER = re.compile(
    r"\b(?:i\s+(?:do\s*n[o']?t|don'?t|dont)\s+know|no\s+idea|not\s+sure|i'?m\s+not\s+sure|no\s+clue|idk|"
    r"(?:i\s+)?(?:have\s+)?never\s+(?:heard|learned|studied)|pass|skip)\b|不知道|不清楚|不会|不了解|没学过|没听说过",
    re.IGNORECASE,
)


@dataclass
class Case:
    """Everything a rule may look at. ``points`` and ``misconceptions`` are the model's, after its
    quotes were checked against the answer; ``flags`` are those found so far."""

    question: Question
    rubric: Rubric
    answer: str
    points: list[KeyPointVerdict]
    misconceptions: list[MisconceptionHit]
    offline: Verdict
    flags: list[Flag]


@dataclass
class Cap:
    """A ceiling on the credit of one key point (``point``) or of all (None). ``ceiling`` None means
    the offline judge's own credit for the point."""

    point: str | None
    ceiling: Credit | None
    why: str


@dataclass
class Finding:
    rule: str
    caps: list[Cap] = field(default_factory=list)
    misconceptions: list[MisconceptionHit] = field(default_factory=list)


@dataclass
class CrossCheck:
    key_points: list[KeyPointVerdict]
    misconceptions: list[MisconceptionHit]
    flags: list[Flag]


Rule = Callable[[Case], Finding | None]


def cross_check(case: Case) -> CrossCheck:
    """The model's points capped by every rule that fires, the misconceptions it missed added, and
    one ``judge_disagreement`` flag saying what was capped and why (none when nothing changed)."""
    findings = [f for rule in RULES if (f := rule(case)) is not None]
    offline_credit = {kp.id: kp.credit for kp in case.offline.key_points}
    points: list[KeyPointVerdict] = []
    lowered: dict[str, list[str]] = {}
    for kp in case.points:
        credit, whys = kp.credit, []
        for f in findings:
            for cap in f.caps:
                if cap.point not in (None, kp.id):
                    continue
                ceiling = cap.ceiling if cap.ceiling is not None else offline_credit.get(kp.id, Credit.none)
                if CREDIT_VALUE[ceiling.value] < CREDIT_VALUE[credit.value]:
                    credit = ceiling
                    whys.append(cap.why)
        if whys:
            lowered.setdefault(", ".join(dict.fromkeys(whys)), []).append(kp.id)
            kp = kp.model_copy(update={
                "credit": credit,
                "evidence": kp.evidence if credit is not Credit.none else None,
                "rationale": f"[capped: {'; '.join(dict.fromkeys(whys))}] {kp.rationale or ''}".strip(),
            })
        points.append(kp)
    misconceptions = list(case.misconceptions)
    added = []
    for f in findings:
        for m in f.misconceptions:
            if all(x.id != m.id for x in misconceptions):
                misconceptions.append(m)
                added.append(m.id)
    flags = []
    if lowered or added:
        parts = [f"{why} ({', '.join(ids)})" for why, ids in lowered.items()]
        if added:
            parts.append(f"misconception(s) the model missed: {', '.join(added)}")
        flags.append(Flag(kind="judge_disagreement",
                          detail="the model credited more than the answer shows; capped: " + "; ".join(parts)))
    return CrossCheck(points, misconceptions, flags)


# --- rules ---------------------------------------------------------------------------------------


def no_content(case: Case) -> Finding | None:
    words = _content_size(case.answer)
    if words < MIN_CONTENT_WORDS or (words < NON_ANSWER_CONTENT_WORDS and _NON_ANSWER.search(case.answer)):
        return Finding("no_content", [Cap(None, Credit.none, "the answer has no content to credit")])
    return None


def off_topic(case: Case) -> Finding | None:
    if any(kp.credit is not Credit.none for kp in case.offline.key_points):
        return None
    words = _tokens(case.answer)
    cjk = has_cjk(case.answer) and sum(1 for w in words if has_cjk(w)) * 2 > len(words)
    vocabulary = {w for w in _vocabulary(case.question, case.rubric) if has_cjk(w) == cjk}
    if len(vocabulary) < MIN_VOCABULARY or not words:
        return None  # the question has too few words in the answer's language to tell
    mine = {w for w in words if has_cjk(w) == cjk}
    shared = mine & vocabulary
    if len(shared) <= OFF_TOPIC_SHARED or len(shared) < OFF_TOPIC_SHARE * len(mine):
        return Finding("off_topic", [Cap(None, Credit.none, "the answer is off topic")])
    return None


def flagged(case: Case) -> Finding | None:
    kinds = [f.kind for f in case.flags if f.kind in ("manipulation", "keyword_stuffing")]
    if not kinds:
        return None
    why = {"manipulation": "the answer addresses the grader", "keyword_stuffing": "the answer is a bare list of terms"}
    return Finding("flagged", [Cap(None, None, f"{why[kinds[0]]}: no more than the offline judge finds")],
                   list(case.offline.misconceptions))


def asserted_misconception(case: Case) -> Finding | None:
    if not case.offline.misconceptions:
        return None
    reported = {m.id for m in case.misconceptions}
    missed = [m for m in case.offline.misconceptions if m.id not in reported]
    wrong = [s for m in case.offline.misconceptions for s in _locate(case.answer, m.evidence or "")]
    caps = [Cap(kp.id, Credit.none, "its evidence states a misconception") for kp in case.points
            if kp.credit is not Credit.none and _overlaps(_locate(case.answer, kp.evidence or ""), wrong)]
    if not missed and not caps:
        return None
    return Finding("asserted_misconception", caps, missed)


def reused_span(case: Case) -> Finding | None:
    by_quote: dict[str, list[KeyPointVerdict]] = {}
    for kp in case.points:
        if kp.credit is not Credit.none and kp.evidence:
            by_quote.setdefault(_norm(kp.evidence), []).append(kp)
    rubric = {kp.id: kp for kp in case.rubric.key_points}
    offline = {kp.id: kp for kp in case.offline.key_points}
    caps = []
    for quote, group in by_quote.items():
        if len(group) < 2:
            continue
        for kp in group:
            off = offline.get(kp.id)
            backed = off is not None and off.credit is not Credit.none and off.evidence and _overlaps(
                _locate(case.answer, off.evidence), _locate(case.answer, kp.evidence or ""))
            if not backed and kp.id in rubric and not _mentions(quote, rubric[kp.id]):
                caps.append(Cap(kp.id, Credit.none, f"one quote used for {len(group)} points, unrelated to this one"))
    return Finding("reused_span", caps) if caps else None


#: The offline judge's own confidence below which its contradictions do not cap the model.
CONTRADICTION_CONFIDENCE = 0.6
#: Contradictions inferred from a denial or a different number are too weak to overrule a model.
_WEAK_CONTRADICTIONS = ("denies it", "states a different value")


def contradicted(case: Case) -> Finding | None:
    """The offline judge finds the answer asserting the opposite of a point (a rubric contradiction,
    or a misconception that denies it) and the model credits that point anyway: a fooled model gave
    "LoRA fine-tunes all weights" full marks for "W0 is frozen". The point is capped at partial, and
    at nothing when the model's own evidence is the sentence that asserts the opposite."""
    if (case.offline.confidence or 0.0) < CONTRADICTION_CONFIDENCE:
        return None
    hit = {m.id for m in case.offline.misconceptions}
    denied = {kp.id: kp for kp in case.offline.key_points
              if kp.contradicted and (kp.misconception in hit or kp.rationale not in _WEAK_CONTRADICTIONS)}
    for m in case.rubric.misconceptions:
        if m.id in hit:
            for pid in m.contradicts:
                denied.setdefault(pid, next((k for k in case.offline.key_points if k.id == pid), None))  # type: ignore[arg-type]
    caps = []
    for kp in case.points:
        off = denied.get(kp.id)
        if kp.id not in denied or kp.credit is Credit.none:
            continue
        spans = _locate(case.answer, (off.contradiction if off else None) or "")
        if spans and _overlaps(_locate(case.answer, kp.evidence or ""), spans):
            caps.append(Cap(kp.id, Credit.none, "its evidence asserts the opposite of the point"))
        else:
            caps.append(Cap(kp.id, Credit.partial, "the answer also asserts the opposite of the point"))
    return Finding("contradicted", caps) if caps else None


RULES: list[Rule] = [no_content, off_topic, flagged, asserted_misconception, reused_span, contradicted]


# --- text helpers --------------------------------------------------------------------------------


def _content_size(text: str) -> float:
    """Content words: English stems without stopwords, plus one per two Chinese characters."""
    cjk = sum(1 for c in text if "\u3400" <= c <= "\u9fff")
    return len(tokenize_en(text)) + cjk / 2


def _tokens(text: str) -> set[str]:
    """English content stems and Chinese character bigrams."""
    return set(tokenize_en(text)) | set(char_bigrams(text))


_vocab_lock = threading.Lock()
_vocab_cache: dict[int, tuple[Question, frozenset[str]]] = {}


def _vocabulary(question: Question, rubric: Rubric) -> frozenset[str]:
    """Every word the question, its reference answer and its rubric use, with the glossary's other
    spellings of the rubric's terms (so an answer in the other language is on topic)."""
    with _vocab_lock:
        hit = _vocab_cache.get(id(question))
        if hit is not None and hit[0] is question:
            return hit[1]
    from rubrics.glossary import expand_entry

    texts = [question.text.en, question.text.zh or "", question.reference_answer.en, question.reference_answer.zh or ""]
    for kp in rubric.key_points:
        texts += [kp.text.en, kp.text.zh or ""]
        texts += [expand_entry(e).replace("|", " ") for e in [*kp.keywords.all(), *kp.aliases.all()]]
    for m in rubric.misconceptions:
        texts += [m.text.en, m.text.zh or "", *m.signals.all()]
    vocabulary = frozenset().union(*(_tokens(t) for t in texts if t))
    with _vocab_lock:
        if len(_vocab_cache) > 512:
            _vocab_cache.clear()
        _vocab_cache[id(question)] = (question, vocabulary)
    return vocabulary


def _mentions(quote: str, kp: KeyPoint) -> bool:
    """Whether ``quote`` names any term of the key point (any spelling, either language) or shares
    two content words with its text."""
    from rubrics.glossary import expand_entry

    doc = analyze(quote)
    if any(match_entry(doc, expand_entry(e)) for e in [*kp.keywords.all(), *kp.aliases.all()]):
        return True
    point = _tokens(kp.text.en) | _tokens(kp.text.zh or "")
    return len(_tokens(quote) & point) >= 2


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@lru_cache(maxsize=64)
def _folded(answer: str) -> tuple[str, tuple[int, ...]]:
    """``answer`` after NFKC, lower case and folded whitespace, with each character's original
    offset (cached: every rule locates several quotes in the same answer)."""
    chars: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in _SPACE.finditer(answer):  # runs of text kept, runs of whitespace folded to one space
        _fold_run(answer, pos, m.start(), chars, offsets)
        if chars and chars[-1] != " ":
            chars.append(" ")
            offsets.append(m.start())
        pos = m.end()
    _fold_run(answer, pos, len(answer), chars, offsets)
    return "".join(chars), tuple(offsets)


def _fold_run(text: str, start: int, end: int, chars: list[str], offsets: list[int]) -> None:
    run = text[start:end]
    if run.isascii():
        chars.append(run.lower())
        offsets.extend(range(start, end))
        return
    for i, ch in enumerate(run, start):
        n = unicodedata.normalize("NFKC", ch).lower()
        chars.append(n)
        offsets.extend([i] * len(n))


def _locate(answer: str, quote: str) -> list[tuple[int, int]]:
    """Where ``quote`` (its pieces around an ellipsis) sits in ``answer``, as original offsets;
    compared after NFKC, lower case and folded whitespace, as the evidence check compares."""
    if not quote.strip():
        return []
    hay, offsets = _folded(answer)
    spans = []
    for piece in re.split(r"\s*(?:\.\.\.|…)+\s*", quote):
        needle = _norm(piece.strip().strip('"“”「」'))
        if not needle:
            continue
        i = hay.find(needle)
        while i != -1 and len(spans) < 50:
            spans.append((offsets[i], offsets[i + len(needle) - 1] + 1))
            i = hay.find(needle, i + 1)
    return spans


def _overlaps(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)

"""The offline judge: grades an answer against its rubric with string matching only (no network,
no key, no model), fast enough to re-grade a whole session on every keystroke of a setting.

How a key point is credited
---------------------------
Three signals, each language-independent (a Chinese answer may use English terms and vice versa):

* **alias**: the best fuzzy match of any of the point's ``aliases`` (typos and small word-order
  changes tolerated, see ``rubrics.text.match_phrase``); an alias is a whole phrasing of the point,
  so a hit (score >= ``ALIAS_HIT``) is enough for full credit, a near miss (>= ``ALIAS_NEAR``) for
  partial credit.
* **keywords**: the share of the point's concept entries present (any '|' spelling). English and
  Chinese lists are scored separately, and together when they are parallel (same length), and the
  best share wins. For full credit the share is counted *locally*, within ``WINDOW`` consecutive
  sentences, because a point is stated in one place; scattered words are partial credit at best.
* **overlap**: the share of the key point's own text (content words) found in the answer, a weak
  signal that breaks ties and grades points that have neither aliases nor keywords.

Every keyword entry and every alias made only of known concepts is widened with the bilingual
glossary (``rubrics.glossary``) before matching. Humans give full marks to a correct answer in the
other language or in other words ("冻结" for "frozen", "freeze" for "frozen"); without the glossary
the judge under-scored exactly those answers. An entry stays *one* concept however many spellings
it gains, so shares, the single-keyword rule and the stuffing caps below mean what they did; an
alias matched through its concepts scores like its content words found close together (partial
credit for two specific concepts, full for three), never like an exact phrase, and aliases with a
polarity word or a word the glossary does not know are not translated at all.

Rules (``_credit``): full if local keyword share >= ``KW_FULL`` (0.75), or local share >=
``KW_FULL_WITH_OVERLAP`` (0.6) with overlap >= 0.6 or with every entry present somewhere, or an
alias hits. Partial if an alias nearly hits, or the global keyword share >= 0.5 backed by a second
match (another entry, or overlap >= 0.4): one common word ("token", "memory") is not half an
explanation. A point with a single keyword entry needs that keyword plus overlap/alias evidence
for full credit. On a half answer this gives ~5/10, on one sentence of the reference ~2.5/10.

Points without aliases (calibration data, user banks with bare key points, points derived from a
reference answer) are graded by ``_plain_credit`` instead: their keywords were picked by a program
(``rubrics.derive``), not a writer, so demanding 3 of 4 of them punished every paraphrase. Their
terms carry weights (generic words count little), and credit follows the weighted share found
together within ``WINDOW`` sentences: full >= ``PLAIN_FULL``, partial >= ``PLAIN_PARTIAL``, with at
least two terms and one specific term matched (a generic word never earns credit alone); the
point's own words (overlap >= 0.7) remain a way to full credit. The thresholds were tuned on
``tests/data/calibration_dev.jsonl`` and checked on the separate holdout set
(``benchmarks/offline_agreement.py``).

Keyword stuffing
----------------
Evidence counts toward *full* credit only in explaining segments, not in bare lists
(``rubrics.manipulation.analyze_stuffing``: separated short terms with few function words), when
the whole answer is flagged as stuffing or when one list supplies terms for
``STUFFED_LIST_POINTS`` (3) or more key points (2 if it has no verb or function word at all). A
short enumeration inside an honest answer ("BERT-base 有 12 层、768 维、1.1 亿参数") is how facts are
stated and keeps its credit. List-only evidence earns partial credit at most, on at most
``max(1, n_points // 3)`` points (the heaviest): a bare list of every keyword scores 1-2.5/10, and
a list appended to a real answer adds at most one partial credit.

Misconceptions and manipulation
-------------------------------
A misconception costs its penalty when one of its ``signals`` matches (stricter than aliases:
words in the signal's order, no fuzzy words, since a false penalty is worse than a miss) and is
not negated in the words just before or inside the match ("it is not true
that...", "不是", "并非"). Sentences that address the grader, fake verdict JSON and fake chat turns
are flagged and masked out before grading, so they can neither add nor remove points.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from question_bank.models import KeyPoint, Misconception, Question
from rubrics.derive import derive_key_points, effective_rubric, term_weight
from rubrics.glossary import load_glossary
from rubrics.manipulation import _function_count, analyze_stuffing, manipulation_spans, mask_spans
from rubrics.text import sentence_spans
from rubrics.text import (
    NEG_CONTRACTIONS,
    NEGATION_EN,
    POLARITY_EN,
    POLARITY_ZH,
    STOPWORDS_EN,
    STOPWORDS_ZH,
    Doc,
    Phrase,
    PhraseHit,
    Spelling,
    analyze,
    compile_entry,
    compile_phrase,
    compile_spelling,
    detect_lang,
    evidence_span,
    has_cjk,
    match_phrase,
    match_spelling,
    tokenize_zh,
    words_en,
)
from rubrics.numbers import parse_quantities
from rubrics.offline.assertions import NEG, QUESTION, REPORTED, analyze_assertions
from rubrics.offline.claims import AnswerView
from rubrics.offline.points import CompiledPoint, compile_point, evaluate_point, signal_matches, topic_keys
from rubrics.offline.similarity import similarity_score
from rubrics.verdict import Credit, Flag, KeyPointVerdict, MisconceptionHit, Similarity, Usage, Verdict

PROMPT_VERSION = "offline-v1"

ALIAS_HIT = 0.86
ALIAS_NEAR = 0.75
KW_FULL = 0.75
KW_FULL_WITH_OVERLAP = 0.6
KW_PARTIAL = 0.5
OVERLAP_FULL_SUPPORT = 0.6
OVERLAP_PARTIAL_SUPPORT = 0.4
OVERLAP_ONLY_FULL = 0.7
OVERLAP_ONLY_PARTIAL = 0.4
WINDOW = 3  # sentences
# Points without aliases (derived from text: calibration data, plain user banks, references)
PLAIN_FULL = 0.55  # weighted share of the point's terms found together
PLAIN_PARTIAL = 0.3  # weighted share together: scattered words are not a partial explanation
PLAIN_MIN_TERMS = 2  # terms matched for any credit, when the point has that many
STUFFED_LIST_POINTS = 3  # a list giving evidence for this many points is stuffing (2 if verbless)
#: A derived rubric with this many points is graded on its points alone; with fewer, whole-answer
#: similarity to the reference takes a share (all of it for a single point). Chosen on the dev
#: calibration sets and a public short-answer corpus (benchmarks/offline_agreement.py).
SIMILARITY_FULL_POINTS = 4

_CACHE_SIZE = 2048


# ------------------------------------------------------------------------------------------
# Compiled rubric


@dataclass
class _Point:
    kp: KeyPoint
    aliases: list[Phrase]
    en: list[tuple[Spelling, ...]]
    zh: list[tuple[Spelling, ...]]
    overlap_en: list[Spelling]
    overlap_zh: list[Spelling]
    # points without aliases: weighted term lists (one per language of the derived keywords)
    plain: list[list[tuple[tuple[Spelling, ...], float]]] | None = None
    # aliases made only of glossary concepts, as concept lists (matched in any language)
    alias_concepts: list[tuple[list[tuple[Spelling, ...]], float, int]] | None = None
    # claims, contradictions, numbers, formulas (points a writer phrased: aliases or paraphrases)
    claims: CompiledPoint | None = None


@dataclass
class _Misc:
    m: Misconception
    signals: list[Phrase]


@dataclass
class _Compiled:
    points: list[_Point]
    miscs: list[_Misc]
    topic: frozenset[str] = frozenset()
    topic_slots: dict = field(default_factory=dict)
    question_keys: frozenset[str] = frozenset()  # slot keys of every correct phrasing
    given: tuple = ()  # quantities the question text states


def _entries(terms: list[str]) -> list[tuple[Spelling, ...]]:
    """Compiled keyword entries, each widened with its glossary equivalents (other language,
    irregular forms, synonyms): the entry is still one concept, so shares and caps are unchanged."""
    g = load_glossary()
    return [c for c in (compile_entry(g.expand_entry(t)) for t in terms) if c]


def _alias_concepts(aliases: list[str]) -> list[tuple[list[tuple[Spelling, ...]], float, int]]:
    """Aliases whose every content word is a glossary concept, as lists of expanded concepts:
    "softmax saturates" then also matches "softmax 会饱和". An alias with a word the glossary does
    not know, or with a polarity word ("not", "only", "不"), is left to fuzzy matching alone: its
    meaning is more than its concepts. (entries, score, alias length): two specific concepts are
    only a near hit (partial credit), three or more a hit."""
    g = load_glossary()
    out = []
    for a in aliases:
        if has_cjk(a):
            content = [w for w in tokenize_zh(a) if len(w) >= 2 or not has_cjk(w)]
            if any(pz in a for pz in POLARITY_ZH):
                continue
        else:
            words = words_en(a)
            if any(w in POLARITY_EN or w in NEG_CONTRACTIONS for w in words):
                continue
            content = [w for w in words if w not in STOPWORDS_EN]
        found = g.find_concepts(a)
        if sum(1 for _, _, ids, _ in found if not g.is_common(ids)) < 2:
            continue  # generic words never carry an alias
        covered = "".join(surface for _, _, _, surface in found).replace(" ", "")
        if not all(w.replace(" ", "") in covered or g.lookup(w) for w in content):
            continue
        entries = []
        for _, _, ids, surface in found:
            comp = compile_entry(g.expand_entry(surface))
            if comp:
                entries.append(comp)
        specific = sum(1 for _, _, ids, _ in found if not g.is_common(ids))
        out.append((entries, 0.9 if specific >= 3 else 0.8, len(a)))
    return out


def _concept_alias_hits(ctx: "_Ctx", p: "_Point") -> list[PhraseHit]:
    """Concept aliases found with all their concepts in one sentence (0.9, or 0.8 for two
    concepts: the same scores as an alias's content words found close together)."""
    out = []
    for entries, score, length in p.alias_concepts or []:
        per = [_entry_hits(ctx, e) for e in entries]
        if not all(per):
            continue
        common = set.intersection(*({ctx.doc.sentence_of(a) for a, _ in h} for h in per))
        for si in sorted(common):
            # the nearest occurrence of each concept to the first one, within a clause-sized span
            first = min(sp for sp in per[0] if ctx.doc.sentence_of(sp[0]) == si)
            spans = [min((sp for sp in h if ctx.doc.sentence_of(sp[0]) == si), key=lambda x: abs(x[0] - first[0])) for h in per]
            lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
            if hi - lo <= 2 * length + 20:
                out.append(PhraseHit(score, lo, hi))
                break
    return out


def _plain_terms(kp: KeyPoint) -> list[list[tuple[tuple[Spelling, ...], float]]]:
    """Weighted, glossary-expanded term lists of a point without aliases: its keywords (derived
    from its text when it has none), one list per language."""
    kw = kp.keywords
    if not kw.all():
        text_en = kp.text.en
        text_zh = kp.text.zh or (text_en if has_cjk(text_en) else None)
        derived = derive_key_points(text_en, text_zh, n_max=1)
        kw = derived[0].keywords if derived else kw
    g = load_glossary()
    out = []
    for terms in (kw.en, kw.zh):
        lst: list[tuple[tuple[Spelling, ...], float]] = []
        seen: set[str] = set()
        for t in terms:
            expanded = g.expand_entry(t)
            key = "|".join(sorted(expanded.lower().split("|")))
            if key in seen:
                continue
            seen.add(key)
            comp = compile_entry(expanded)
            if comp:
                lst.append((comp, term_weight(t)))
        if lst:
            out.append(lst)
    return out


def _overlap_terms(kp: KeyPoint) -> tuple[list[Spelling], list[Spelling]]:
    text_en, text_zh = kp.text.en, kp.text.zh
    if has_cjk(text_en) and not text_zh:
        # a bare Chinese key point (calibration data) arrives in the English slot
        text_zh = text_en
    en_words = [w for w in words_en(text_en) if w not in STOPWORDS_EN and (len(w) >= 3 or w.isdigit())]
    en = [sp for sp in (compile_spelling(w) for w in dict.fromkeys(en_words)) if sp]
    zh: list[Spelling] = []
    if text_zh:
        zh_words = [w for w in tokenize_zh(text_zh) if w not in STOPWORDS_ZH and (len(w) >= 2 or not has_cjk(w))]
        zh = [sp for sp in (compile_spelling(w) for w in dict.fromkeys(zh_words)) if sp]
    return en, zh


def _compile(question: Question) -> _Compiled:
    rubric = effective_rubric(question)
    topic, topic_slots = topic_keys([question.text.en, question.text.zh or ""])
    points = []
    for kp in rubric.key_points:
        ov_en, ov_zh = _overlap_terms(kp)
        points.append(
            _Point(
                kp=kp,
                aliases=[p for p in (compile_phrase(a) for t in kp.aliases.all() for a in t.split("|")) if p],
                en=_entries(kp.keywords.en),
                zh=_entries(kp.keywords.zh),
                overlap_en=ov_en,
                overlap_zh=ov_zh,
                plain=None if kp.claims() or kp.numbers or kp.formulas else _plain_terms(kp),
                alias_concepts=_alias_concepts([a for t in kp.aliases.all() for a in t.split("|")]) or None,
                claims=compile_point(kp, rubric.misconceptions, topic) if kp.claims() or kp.numbers or kp.formulas else None,
            )
        )
    keys = frozenset().union(*(p.claims.support_keys for p in points if p.claims)) if points else frozenset()
    for p in points:
        if p.claims:
            p.claims.question_keys = keys
    miscs = [
        _Misc(m=m, signals=[p for p in (compile_phrase(a) for t in m.signals.all() for a in t.split("|")) if p])
        for m in rubric.misconceptions
    ]
    given = parse_quantities(question.text.en) + (parse_quantities(question.text.zh) if question.text.zh else ())
    return _Compiled(points=points, miscs=miscs, topic=topic, topic_slots=topic_slots, question_keys=keys, given=given)


# ------------------------------------------------------------------------------------------
# Per-answer evaluation


@dataclass
class _Ctx:
    doc: Doc
    answer: str  # original text (evidence is quoted from it)
    list_sents: set[int]  # sentence indices that are list-like

    def explains(self, pos: int) -> bool:
        return self.doc.sentence_of(pos) not in self.list_sents


@dataclass
class _Signal:
    alias: PhraseHit | None
    alias_explained: bool
    kw_local: float  # best windowed share, explaining segments only
    kw_any: float  # share anywhere
    kw_matched: int  # entries matched anywhere (best list)
    kw_n: int  # entries in the best list
    overlap: float
    ev: tuple[int, int] | None  # keyword evidence: span in the best sentence
    ev_explained: bool


def _entry_hits(ctx: _Ctx, entry: tuple[Spelling, ...]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for sp in entry:
        out += match_spelling(ctx.doc, sp)
        if len(out) > 30:
            break
    return out


def _share(hit_lists: list[list[tuple[int, int]]]) -> float:
    return sum(1 for h in hit_lists if h) / len(hit_lists) if hit_lists else 0.0


def _local_share(ctx: _Ctx, hit_lists: list[list[tuple[int, int]]]) -> tuple[float, int]:
    """Best share of entries found within WINDOW consecutive explaining sentences, and the
    sentence of that window holding most matches (for evidence)."""
    n = len(hit_lists)
    if not n:
        return 0.0, -1
    per_entry = [{ctx.doc.sentence_of(s) for s, _ in h} - ctx.list_sents for h in hit_lists]
    sents = sorted(set().union(*per_entry))
    best, best_sent = 0, -1
    for s0 in sents:
        got = sum(1 for es in per_entry if any(s0 <= s < s0 + WINDOW for s in es))
        if got > best:
            best = got
            # the sentence inside the window with the most entries
            best_sent = max(range(s0, s0 + WINDOW), key=lambda s: sum(1 for es in per_entry if s in es))
    return best / n, best_sent


def _verbless(seg: str) -> bool:
    """No function word and no Chinese copula/possessive: terms, not an enumeration of facts
    ("BERT-base has 12 layers, 768 hidden" and "BERT-base 有 12 层、768 维" both have one)."""
    return _function_count(seg) == 0 and not re.search(r"有|是|为", seg)


def _collect(ctx: _Ctx, p: _Point) -> tuple[list[PhraseHit], list[list[list[tuple[int, int]]]]]:
    """Raw matches of a point: alias hits, and keyword hits per entry for each keyword list."""
    aliases = [h for h in (match_phrase(ctx.doc, ph) for ph in p.aliases) if h is not None]
    if p.alias_concepts:
        aliases += _concept_alias_hits(ctx, p)
    lists = []
    if p.plain is not None:
        return aliases, [[_entry_hits(ctx, e) for e, _ in terms] for terms in p.plain]
    if p.en:
        lists.append([_entry_hits(ctx, e) for e in p.en])
    if p.zh:
        lists.append([_entry_hits(ctx, e) for e in p.zh])
    if p.en and p.zh and len(p.en) == len(p.zh):
        lists.append([a + b for a, b in zip(lists[0], lists[1], strict=True)])
    return aliases, lists


def _sentences_hit(ctx: _Ctx, collected: tuple[list[PhraseHit], list[list[list[tuple[int, int]]]]]) -> set[int]:
    aliases, lists = collected
    out = {ctx.doc.sentence_of(h.start) for h in aliases}
    out.update(ctx.doc.sentence_of(s) for hl in lists for h in hl for s, _ in h)
    return out


def _evaluate(ctx: _Ctx, p: _Point, collected: tuple[list[PhraseHit], list[list[list[tuple[int, int]]]]]) -> _Signal:
    alias_hits, lists = collected
    alias = None
    for hit in alias_hits:
        if alias is None or (hit.score, ctx.explains(hit.start)) > (alias.score, ctx.explains(alias.start)):
            alias = hit
    best = None  # local, any, matched, n, sentence, hits
    for hl in lists:
        local, sent = _local_share(ctx, hl)
        anyshare = _share(hl)
        cand = (local, anyshare, sum(1 for h in hl if h), len(hl), sent, hl)
        if best is None or (cand[0], cand[1]) > (best[0], best[1]):
            best = cand
    if best is None:
        best = (0.0, 0.0, 0, 0, -1, [])
    local, anyshare, matched, n, sent, hl = best
    ev = None
    ev_explained = False
    if matched:
        if sent >= 0:
            ss, se = ctx.doc.sentences[sent]
            spans = [sp for h in hl for sp in h if ss <= sp[0] < se]
            ev_explained = True
        else:
            spans = [sp for h in hl for sp in h]
        if spans:
            ev = (min(s for s, _ in spans), max(e for _, e in spans))
            if sent < 0:
                # list-only evidence: quote the first occurrence's sentence
                ev = min(spans)
    overlap = 0.0
    ov_hits: list[tuple[int, int]] = []
    for terms in (p.overlap_en, p.overlap_zh):
        if terms:
            hits = [match_spelling(ctx.doc, sp) for sp in terms]
            share = sum(1 for h in hits if h) / len(terms)
            if share > overlap:
                overlap, ov_hits = share, [h[0] for h in hits if h]
    if ev is None and ov_hits:
        # no keyword evidence: quote the sentence holding most of the point's own words
        by_sent: dict[int, list[tuple[int, int]]] = {}
        for span in ov_hits:
            by_sent.setdefault(ctx.doc.sentence_of(span[0]), []).append(span)
        si, spans = max(by_sent.items(), key=lambda kv: (len(kv[1]), _explaining(ctx, kv[0])))
        ev = (min(a for a, _ in spans), max(b for _, b in spans))
        ev_explained = si not in ctx.list_sents
    return _Signal(
        alias=alias,
        alias_explained=bool(alias and ctx.explains(alias.start)),
        kw_local=local,
        kw_any=anyshare,
        kw_matched=matched,
        kw_n=n,
        overlap=overlap,
        ev=ev,
        ev_explained=ev_explained,
    )


def _plain_credit(ctx: _Ctx, p: _Point, lists: list[list[list[tuple[int, int]]]]) -> tuple[Credit, str, tuple[int, int] | None, bool]:
    """Credit for a point without aliases: the weighted share of its terms (glossary-expanded)
    found within WINDOW explaining sentences, with the point's own words as a fallback.

    A derived rubric has no hand-picked aliases to vouch for a paraphrase, so the share is
    weighted (generic words count little, see ``rubrics.derive``) rather than demanding most of
    the terms, and at least one matched term must be specific: generic words never earn credit
    on their own."""
    best = None  # (rank, credit, why, ev, only_list)
    for terms, hl in zip(p.plain or [], lists, strict=True):
        weights = [w for _, w in terms]
        total = sum(weights)
        if total <= 0:
            continue
        n = len(terms)
        need = min(PLAIN_MIN_TERMS, n)
        sents = [{ctx.doc.sentence_of(a) for a, _ in h} for h in hl]
        explain = [es - ctx.list_sents for es in sents]
        local, l_idx, l_sent = 0.0, [], -1
        for s0 in sorted(set().union(*explain)) if explain else []:
            idx = [i for i, es in enumerate(explain) if any(s0 <= x < s0 + WINDOW for x in es)]
            share = sum(weights[i] for i in idx) / total
            if share > local:
                local, l_idx = share, idx
                l_sent = max(range(s0, s0 + WINDOW), key=lambda x: sum(weights[i] for i, es in enumerate(explain) if x in es))
        any_idx = [i for i, h in enumerate(hl) if h]
        anyshare = sum(weights[i] for i in any_idx) / total

        def specific(idx: list[int]) -> bool:
            return any(weights[i] > 0.5 for i in idx)

        if local >= PLAIN_FULL and len(l_idx) >= need and specific(l_idx):
            ss, se = ctx.doc.sentences[l_sent]
            spans = [sp for i in l_idx for sp in hl[i] if ss <= sp[0] < se]
            ev = (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None
            cand = (3, local, Credit.full, f"explains it ({len(l_idx)}/{n} key terms together)", ev, False)
        elif (local >= PLAIN_PARTIAL and len(l_idx) >= need and specific(l_idx)) or (
            # terms only in a bare list: partial at most (and capped with the other list credits)
            local == 0 and anyshare >= PLAIN_FULL and len(any_idx) >= need and specific(any_idx)
        ):
            expl = [sp for i in any_idx for sp in hl[i] if ctx.explains(sp[0])]
            spans = expl or [sp for i in any_idx for sp in hl[i]]
            first = min(spans)
            si = ctx.doc.sentence_of(first[0])
            in_sent = [sp for sp in spans if ctx.doc.sentence_of(sp[0]) == si]
            ev = (min(a for a, _ in in_sent), max(b for _, b in in_sent))
            cand = (2, anyshare, Credit.partial, f"mentions part of it ({len(any_idx)}/{n} key terms)", ev, not expl)
        else:
            cand = (0, anyshare, Credit.none, "not mentioned", None, False)
        if best is None or cand[:2] > best[:2]:
            best = cand
    # the point's own words, as for points without keywords
    sig = _evaluate(ctx, p, ([], []))
    if sig.overlap >= OVERLAP_ONLY_FULL and sig.ev_explained and (best is None or best[0] < 3):
        return Credit.full, "states the point in its own words", sig.ev, False
    if best is None or best[0] == 0:
        if sig.overlap >= OVERLAP_ONLY_PARTIAL + 0.1 and sig.ev:
            return Credit.partial, "touches on the point", sig.ev, not sig.ev_explained
        return Credit.none, "not mentioned", None, False
    return best[2], best[3], best[4], best[5]


def _explaining(ctx: _Ctx, si: int) -> bool:
    return si not in ctx.list_sents


def _credit(sig: _Signal) -> tuple[Credit, str, tuple[int, int] | None, bool]:
    """(credit, why, evidence span, evidence only in list-like segments?)"""
    a = sig.alias.score if sig.alias else 0.0
    alias_ev = (sig.alias.start, sig.alias.end) if sig.alias else None
    if sig.kw_n == 0 and a < ALIAS_NEAR:
        # neither keywords nor a matching alias: the point's own text is all we have
        if sig.overlap >= OVERLAP_ONLY_FULL and sig.ev_explained:
            return Credit.full, "states the point in its own words", sig.ev, False
        if sig.overlap >= OVERLAP_ONLY_PARTIAL:
            return Credit.partial, "touches on the point", sig.ev, False
        return Credit.none, "not mentioned", None, False
    kw_full = sig.kw_n >= 2 and (
        sig.kw_local >= KW_FULL
        or (sig.kw_local >= KW_FULL_WITH_OVERLAP and (sig.overlap >= OVERLAP_FULL_SUPPORT or sig.kw_any >= 1.0))
    )
    if kw_full:
        # quote where the point's concepts come together rather than wherever an alias occurs
        return Credit.full, f"explains it ({round(sig.kw_local * sig.kw_n)}/{sig.kw_n} key terms together)", sig.ev, False
    if a >= ALIAS_HIT and sig.alias_explained:
        return Credit.full, "states the point" if a >= 1.0 else "states the point (close paraphrase)", alias_ev, False
    if sig.kw_n == 1 and sig.kw_local >= 1.0 and (sig.overlap >= OVERLAP_FULL_SUPPORT or a >= ALIAS_NEAR):
        return Credit.full, "explains it", sig.ev, False
    # partial credit
    if a >= ALIAS_HIT:  # alias only inside a bare list
        return Credit.partial, "names it without explaining", alias_ev, True
    if a >= ALIAS_NEAR:
        return Credit.partial, "roughly states it", alias_ev, not sig.alias_explained
    support = sig.kw_matched >= 2 or sig.overlap >= OVERLAP_PARTIAL_SUPPORT
    if sig.kw_any >= KW_PARTIAL and support:
        return Credit.partial, f"mentions part of it ({sig.kw_matched}/{sig.kw_n} key terms)", sig.ev, not sig.ev_explained
    if sig.kw_n == 1 and sig.kw_any >= 1.0:
        return Credit.partial, "mentions its key term", sig.ev, not sig.ev_explained
    return Credit.none, "not mentioned", None, False


# Negation just before a claim, or a verdict on it just after.
_NEG_BEFORE_EN = re.compile(
    r"\b(?:not|never|no|isn'?t|aren'?t|wasn'?t|doesn'?t|don'?t|didn'?t|cannot|can'?t|nor|neither|myth|misconception|"
    r"wrong|false|incorrect|mistaken|untrue|contrary|rather\s+than|instead\s+of|unlike|misbelief|fallacy)\b",
    re.I,
)
_NEG_AFTER_EN = re.compile(
    r"^\W{0,3}(?:is|was|are|would\s+be|sounds)?\s*(?:a\s+|an\s+|simply\s+|just\s+|completely\s+|actually\s+)?"
    r"(?:wrong|false|incorrect|not\s+true|untrue|a\s+myth|myth|misconception|a\s+misconception|mistaken|not\s+the\s+case|not\s+correct)",
    re.I,
)
_NEG_BEFORE_ZH = re.compile(r"(?:不是|并非|并不|不会|不能|不再|没有|无需|不需要|不仅|不只|不光|不单|而非|而不是|误以为|误认为|误区|误解|错误地|错误观点|常见的错误|以为)")
_NEG_AFTER_ZH = re.compile(r"^\W{0,2}(?:的说法|这种说法|这个说法|的观点|这种观点)?(?:是|都是)?(?:错误|错的|不对|不正确|误解|误区|不成立)")
_CLAUSE_BREAK = re.compile(r"[;；.。!！?？\n]|\bbut\b|\bhowever\b|但是|但|然而|而是")


def _negated(ctx: _Ctx, ph: Phrase, hit: PhraseHit) -> bool:
    text = ctx.answer
    ss = ctx.doc.sentences[ctx.doc.sentence_of(hit.start)][0] if ctx.doc.sentences else 0
    before = text[max(ss, hit.start - 60) : hit.start]
    # only the clause the claim is in: "X is not Y; Z" must not negate Z
    parts = _CLAUSE_BREAK.split(before)
    before = parts[-1] if parts else before
    after = text[hit.end : hit.end + 40]
    inside = text[hit.start : hit.end]
    if _NEG_BEFORE_EN.search(" ".join(before.split()[-7:])) or _NEG_AFTER_EN.search(after):
        return True
    if _NEG_BEFORE_ZH.search(before[-10:]) or _NEG_AFTER_ZH.search(after):
        return True
    if before.endswith(("不", "没", "非")):
        return True
    # a negation inside the matched words that the signal itself does not contain
    if ph.sp.cjk:
        for neg in ("不", "没", "并非"):
            if inside.count(neg) > ph.sp.text.count(neg):
                return True
    else:
        inside_neg = sum(1 for w in re.findall(r"[a-z]+", inside.lower()) if w in NEGATION_EN)
        sig_neg = sum(1 for w in ph.sp.words if w in NEGATION_EN)
        if inside_neg > sig_neg:
            return True
    return False


def _misconception(ctx: _Ctx, mc: _Misc) -> PhraseHit | None:
    for ph in mc.signals:
        hit = match_phrase(ctx.doc, ph, strict=True)
        if hit is None or hit.score < 0.88:
            continue
        if not _negated(ctx, ph, hit):
            return hit
    return None


_RANK = {Credit.none: 0, Credit.partial: 1, Credit.full: 2}


def _reference_similarity(question: Question, answer: str, n_points: int) -> Similarity | None:
    """For a rubric derived from the reference answer: how much of the reference the answer says,
    weighted by how little the derived points can tell. A one-sentence reference makes one derived
    point, which a correct answer in other words misses entirely; from four points on, the points
    decide alone. Answers in another language than the reference are left to the points (the
    embeddings do not cross languages)."""
    ref = question.reference_answer.en
    if not ref or has_cjk(ref) != has_cjk(answer):
        return None
    weight = min(1.0, max(0.0, (SIMILARITY_FULL_POINTS - n_points) / (SIMILARITY_FULL_POINTS - 1)))
    if weight <= 0:
        return None
    score, rec, cos = similarity_score(ref, answer, question.text.en)
    return Similarity(score=round(score, 2), weight=round(weight, 2), recall=round(rec, 3), cosine=round(cos, 3))


def _negated_span(asr, span: tuple[int, int] | None) -> bool:
    """Whether most of ``span`` lies under a negation (evidence that denies rather than states)."""
    if not span:
        return False
    s, e = span
    n = sum(1 for i in range(s, min(e, len(asr.flags))) if asr.flags[i] & NEG)
    return n * 2 > max(1, e - s)


#: What lowers the offline judge's trust in its own verdict, and by how much (from 0.95).
CONF_START = 0.95
CONF_WEAK_POINT = 0.08  # per point credited from keywords found together, not a stated claim (max 3)
CONF_CONFLICT = 0.2  # a point both stated and contradicted
CONF_SOFT_CONTRA = 0.1  # a wrong claim found only through a negation or a different value
CONF_UNMATCHED = 0.4  # most of a substantive answer matches nothing the rubric knows
CONF_DERIVED_MAX = 0.55  # no written key points: graded on terms and similarity to the reference
CONFIDENCE_LOW = 0.6


def _confidence(v: Verdict, answer: str, asr, weak: list[str], conflicting: list[str], authored: bool) -> tuple[float, list[str]]:
    """How far the verdict can be trusted, with the reasons in words a candidate understands."""
    if v.status != "graded" or not answer.strip():
        return (0.95 if v.status == "graded" else 0.0), []
    conf, notes = CONF_START, []
    if not authored:
        conf = min(conf, CONF_DERIVED_MAX)
        notes.append("this question has no written key points: graded on its terms and similarity to the reference answer")
    if weak:
        conf -= CONF_WEAK_POINT * min(3, len(weak))
        notes.append(f"credit for {len(weak)} point(s) rests on the right terms found together, not on a claim the rubric knows")
    if conflicting:
        conf -= CONF_CONFLICT
        notes.append("the answer seems to both state and contradict: " + ", ".join(conflicting))
    if any(k.contradicted and k.rationale in ("denies it", "states a different value") for k in v.key_points):
        conf -= CONF_SOFT_CONTRA
        notes.append("a wrong claim was inferred from a negation or a different number; check it")
    matched = [t for k in v.key_points for t in (k.evidence, k.contradiction) if t] + [m.evidence for m in v.misconceptions if m.evidence]
    substantive = unmatched = 0  # content words, in declarative sentences
    for st, en in sentence_spans(answer):
        sent = answer[st:en]
        n = len(words_en(sent)) + len(tokenize_zh(sent))
        if asr.is_question(st) or n < 4:
            continue
        substantive += n
        if not any(t in sent or sent in t for t in matched):
            unmatched += n
    if substantive >= 15 and unmatched >= 0.6 * substantive and (v.score or 0) < 6:
        conf -= CONF_UNMATCHED
        notes.append("most of the answer matches nothing in the rubric: it may be right in words the offline judge does not know")
    return round(max(0.05, min(0.95, conf)), 2), notes


def _negative_point(kp: KeyPoint) -> bool:
    """Whether the point itself states a negation ("accuracy is useless", "no extra latency")."""
    return any(analyze_assertions(t).flags.count(0) < len(t) for t in (kp.text.en, kp.text.zh) if t)


def _spans_with(flags: bytes, mask: int) -> list[tuple[int, int]]:
    """Character spans whose annotation has any bit of ``mask``."""
    out: list[tuple[int, int]] = []
    start = None
    for i, f in enumerate(flags):
        if f & mask:
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(flags)))
    return out


def _find(answer: str, quote: str) -> tuple[int, int] | None:
    i = answer.find(quote)
    return (i, i + len(quote)) if i >= 0 else None


# ------------------------------------------------------------------------------------------
# Feedback


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _feedback(lang: str, kps: list[KeyPointVerdict], points: list[_Point], hits: list[MisconceptionHit], flags: list[Flag]) -> str:
    zh = lang == "zh"
    texts = {p.kp.id: p.kp.text.get(lang) for p in points}
    full = [k for k in kps if k.credit == Credit.full]
    part = [k for k in kps if k.credit == Credit.partial]
    miss = [k for k in kps if k.credit == Credit.none]
    lines: list[str] = []
    if full:
        lines.append("答到的要点：" if zh else "Covered:")
        lines += [f"- {texts[k.id]}（“{_short(k.evidence or '')}”）" if zh else f"- {texts[k.id]} (\"{_short(k.evidence or '')}\")" for k in full]
    if part:
        lines.append("部分答到（需要展开解释才能拿满分）：" if zh else "Partly covered (explain it fully for full credit):")
        lines += [f"- {texts[k.id]}（“{_short(k.evidence or '')}”）" if zh else f"- {texts[k.id]} (\"{_short(k.evidence or '')}\")" for k in part]
    if miss:
        lines.append("没有答到（面试官期待听到）：" if zh else "Missed (what the interviewer wanted to hear):")
        lines += [f"- {texts[k.id]}" for k in miss]
    for h in hits:
        if zh:
            lines.append(f"错误观点（扣 {h.penalty:g} 分）：{h.text}。你写道：“{_short(h.evidence or '')}”，这是常见误解。")
        else:
            lines.append(f"Misconception (-{h.penalty:g}): {h.text}. You wrote \"{_short(h.evidence or '')}\"; this claim is wrong and costs points.")
    for f in flags:
        if f.kind == "manipulation":
            lines.append("回答中对评分者的指令已被忽略，只按技术内容评分。" if zh else "Instructions addressed to the grader were ignored; only the technical content was graded.")
        elif f.kind == "keyword_stuffing":
            lines.append("回答主要是术语罗列：只列术语不解释最多得部分分。" if zh else "Much of the answer is a bare list of terms; terms without explanation earn partial credit at most.")
    if not kps:
        lines.append("这道题没有可用的评分要点。" if zh else "This question has no gradable key points.")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# The judge


class OfflineJudge:
    """Rubric matching without a model. Deterministic: the same answer always gets the same verdict,
    which is what makes it usable as the LLM judge's cross-check. Thread-safe: one instance may
    grade from many threads at once (the interviewer's pool, the LLM judge's cross-check)."""

    name = "offline"
    model: str | None = None
    prompt_version = PROMPT_VERSION

    def __init__(self) -> None:
        self._cache: OrderedDict[int, tuple[Question, _Compiled]] = OrderedDict()
        self._lock = threading.Lock()  # the LRU's reorder and eviction race between grading threads

    def _compiled(self, question: Question) -> _Compiled:
        # Keyed by identity (kept alive in the entry, so the id cannot be reused): the interviewer
        # grades the same Question object many times, and compiling runs jieba over the rubric.
        key = id(question)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] is question:
                self._cache.move_to_end(key)
                return hit[1]
        comp = _compile(question)  # outside the lock: two threads may compile one question, harmlessly
        with self._lock:
            self._cache[key] = (question, comp)
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return comp

    def grade(self, question: Question, answer: str) -> Verdict:
        started = time.perf_counter()
        comp = self._compiled(question)
        flags: list[Flag] = []
        bad = manipulation_spans(answer)
        graded = mask_spans(answer, [(s, e) for s, e, _ in bad]) if bad else answer
        if bad:
            from rubrics.manipulation import detect_manipulation  # noqa: PLC0415

            flags += [f for f in detect_manipulation(answer) if f.kind == "manipulation"]
        stuffing = analyze_stuffing(graded)
        if stuffing.flagged:
            flags.append(
                Flag(kind="keyword_stuffing", detail=f"{stuffing.short_items} bare terms make up {stuffing.list_word_share:.0%} of the answer")
            )
        # Questions and reported claims ("a common misconception is that...") assert nothing: the
        # plain-rubric path never sees them, the claim path checks each occurrence.
        asr = analyze_assertions(graded)
        unasserted = _spans_with(asr.flags, QUESTION | REPORTED)
        plain_text = mask_spans(graded, unasserted) if unasserted else graded
        doc = analyze(plain_text)
        ctx = _Ctx(doc=doc, answer=answer, list_sents=set())
        collected = [_collect(ctx, p) for p in comp.points]
        list_sents = {doc.sentence_of(s) for s, e in stuffing.list_spans}
        if not stuffing.flagged:
            # In an honest answer a list is an enumeration ("12 layers, 768 hidden, 12 heads") and
            # may carry a point; a list that touches many points at once is stuffing.
            hits_per_sent = [_sentences_hit(ctx, c) for c in collected]
            list_sents = {
                s
                for s in list_sents
                if (n := sum(1 for h in hits_per_sent if s in h)) >= STUFFED_LIST_POINTS
                or (n >= 2 and _verbless(graded[slice(*doc.sentences[s])]))
            }
        ctx.list_sents = list_sents
        view = AnswerView(analyze(graded), asr, topic_slots=comp.topic_slots)
        list_segments = {asr.seg(doc.sentences[i][0]) for i in list_sents if i < len(doc.sentences)}
        quantities = parse_quantities(graded)

        kps: list[KeyPointVerdict] = []
        list_only: list[int] = []
        weak: list[str] = []
        conflicting: list[str] = []
        for p, c in zip(comp.points, collected, strict=True):
            contra_span = None
            contra = dict(contradicted=False)
            if p.claims is not None:
                r = evaluate_point(view, p.claims, list_segments, quantities, graded, comp.given)
                credit, why, ev, only_list = Credit(r.credit), r.why, r.evidence, r.only_list
                if not r.contradicted and credit != Credit.full and p.plain is None and not p.kp.paraphrases.all():
                    # a point written before rubric v2 (aliases, no paraphrases): the concept
                    # route of v1 (keywords close together, aliases by fuzzy match), on the text
                    # without questions and reported claims
                    v1 = _credit(_evaluate(ctx, p, c))
                    if _RANK[v1[0]] > _RANK[credit] and not (_negated_span(asr, v1[2]) and not _negative_point(p.kp)):
                        credit, why, ev, only_list = v1
                        weak.append(p.kp.id)
                if r.contradicted:
                    contra_span = r.contradiction
                    contra = dict(contradicted=True, misconception=r.misconception)
                if r.weak and credit != Credit.none:
                    weak.append(p.kp.id)
                if r.conflicting:
                    conflicting.append(p.kp.id)
            elif p.plain is not None:
                credit, why, ev, only_list = _plain_credit(ctx, p, c[1])
            else:
                credit, why, ev, only_list = _credit(_evaluate(ctx, p, c))
            evidence = evidence_span(answer, *ev) if credit != Credit.none and ev else None
            if credit != Credit.none and not evidence:
                credit, why = Credit.none, "no quotable evidence"
            if credit != Credit.none and only_list:
                list_only.append(len(kps))
            kps.append(
                KeyPointVerdict(
                    id=p.kp.id,
                    text=p.kp.text.en,
                    weight=p.kp.weight,
                    credit=credit,
                    evidence=evidence,
                    rationale=why,
                    contradiction=evidence_span(answer, *contra_span) if contra_span else None,
                    **contra,
                )
            )
        # A bare list earns partial credit on a few points only (the heaviest), see module docstring.
        cap = max(1, len(kps) // 3)
        if len(list_only) > cap:
            keep = set(sorted(list_only, key=lambda i: -kps[i].weight)[:cap])
            for i in list_only:
                if i not in keep:
                    kps[i].credit = Credit.none
                    kps[i].evidence = None
                    kps[i].rationale = "only listed as a bare term (list credit already used on other points)"

        hits = []
        voiding = {k.misconception for k in kps if k.contradicted and k.misconception}
        for mc in comp.miscs:
            h = signal_matches(view, mc.m, comp.topic, comp.question_keys)
            span = (h.start, h.end) if h else None
            if span is None and mc.m.id in voiding:
                span = next(
                    (_find(answer, k.contradiction) for k in kps if k.misconception == mc.m.id and k.contradiction), None
                )
            if span:
                hits.append(
                    MisconceptionHit(id=mc.m.id, text=mc.m.text.en, penalty=mc.m.penalty, evidence=evidence_span(answer, *span))
                )
                for k in kps:
                    if k.id in mc.m.contradicts and not k.contradicted:
                        k.contradicted, k.misconception = True, mc.m.id
                        k.contradiction = evidence_span(answer, *span)
                        k.credit, k.evidence, k.rationale = Credit.none, None, "asserts a misconception that denies it"
        lang = detect_lang(answer)
        mtexts = {mc.m.id: mc.m.text.get(lang) for mc in comp.miscs}
        hits_fb = [h.model_copy(update={"text": mtexts[h.id]}) for h in hits]
        verdict = Verdict(
            question_id=question.id,
            key_points=kps,
            misconceptions=hits,
            feedback=_feedback(lang, kps, comp.points, hits_fb, flags),
            judge=self.name,
            model=None,
            prompt_version=self.prompt_version,
            flags=flags,
            usage=Usage(duration_ms=(time.perf_counter() - started) * 1000),
        )
        if not comp.points:
            verdict.reason = "the question has no key points and no reference answer to derive them from"
        elif not question.rubric.key_points and not hits and not bad:
            verdict.similarity = _reference_similarity(question, graded, len(comp.points))
        verdict.confidence, verdict.confidence_notes = _confidence(verdict, graded, asr, weak, conflicting, bool(question.rubric.key_points))
        return verdict

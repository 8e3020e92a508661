"""Claims: rubric phrasings compiled into slots, and where an answer asserts them.

A phrasing ("decoding is memory-bound", "GQA 让 KV cache 变小") becomes a list of *slots*: its
content words, each widened with the glossary's spellings of the same concept (other language,
synonyms), each with a weight (a technical term counts more than "model") and a polarity (whether
the phrasing negates it). Negation words are not slots: they are polarity. An answer asserts the
phrasing in one *segment* (``rubrics.offline.assertions``) when the segment holds (nearly) all the
slots, asserted (not in a question or a reported claim), with the same polarity; with the
opposite polarity on any slot the answer asserts the phrasing's opposite.

Opposites are also built from the antonym table (``rubrics/data/antonyms.yaml``): swapping one slot
of a paraphrase for its opposite gives a wrong version of the claim to watch for ("memory-bound"
-> "compute-bound"), in the paraphrase's word order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import yaml

from rubrics.derive import term_weight
from rubrics.glossary import load_glossary
from rubrics.offline import negation_zh
from rubrics.offline.assertions import Assertions, analyze_assertions
from rubrics.text import (
    POLARITY_EN,
    STOPWORDS_EN,
    STOPWORDS_ZH,
    TOKEN_RE,
    Doc,
    Spelling,
    compile_entry,
    fold_term,
    has_cjk,
    match_spelling,
    stem,
    tokenize_zh,
)

#: Negation words: polarity, never a slot.
_NEG_WORDS_EN = frozenset(
    "not no never nor neither none without cannot cant doesn isn aren wasn weren don didn hasn haven hadn "
    "shouldn wouldn couldn mustn needn won lack lacks lacking t".split()
)
_NEG_PREFIX_ZH = re.compile(r"^(?:并非|并不|并没有|不是|不会|不能|不再|不用|不需要|无需|无须|没有|无法|没|未|不|无|非)")
_KEEP_ZH = frozenset("不同 不仅 不断 不少 不错 不过 不管 不论 无论 非常 非线性 无偏 无损 无限 无监督 未来 未知 不确定 不变 不如".split())


def _kept_zh(word: str) -> bool:
    """A word that starts with a negation character and is a word of its own ("不断", "无监督")."""
    return word in _KEEP_ZH or bool(negation_zh.NOT_NEGATION.match(word))


_POLARITY_SLOTS_ZH = ("只", "仅", "都", "更", "最", "一样", "相同", "就是", "每个", "各自", "所有", "全部", "总是", "一定")
#: Words that bound or compare a claim: a phrasing that has one is a different claim without it
#: ("fewer query heads" is not "query heads"), so they are required wherever they appear.
POLARITY_REQUIRED_EN = (POLARITY_EN - _NEG_WORDS_EN) | frozenset("just merely exactly own each per identical equivalent both either".split())
#: Numbers are claims too ("two matrices" is not "three matrices").
NUMBER_WORDS_EN = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty hundred thousand million billion half twice double".split()
)
_COMPARE = re.compile(r">=|<=|[<>≤≥]")
#: Weight of a one-letter symbol ("a", "b", "r"): it says little on its own.
W_SYMBOL = 0.3
#: Weight of a glossary concept every answer uses ("model", "compute"): in a claim a writer chose
#: it, so it is required, but it tells less than a specific term.
COMMON_CONCEPT = 0.6


@dataclass(frozen=True)
class Slot:
    key: str  # canonical form, to compare slots across phrasings
    spellings: tuple[Spelling, ...]
    weight: float
    positive: bool  # not negated in the phrasing
    pos: int  # order in the phrasing
    required: bool = False  # a polarity or comparison word: the claim is another claim without it
    verbal: bool = False  # negated in the phrasing by a predicate's negation ("does not subtract")
    pole: tuple[int, int] | None = None  # (group, pole) in the antonym table: matched by exact form
    opposite: str = ""  # for a compound holding a pole word ("high-dimensional"): its opposite ("low-dimensional")


@dataclass(frozen=True)
class Claim:
    raw: str
    slots: tuple[Slot, ...]
    ordered: bool = False  # the answer must keep the slots' order (contradictions, signals)
    origin: str = ""  # "paraphrase", "alias", "text", "contradiction", "signal", "flip"

    @property
    def total(self) -> float:
        return sum(s.weight for s in self.slots)

    def keys(self) -> frozenset[str]:
        return frozenset(s.key for s in self.slots)


def _slot_key(spellings: tuple[Spelling, ...], word: str) -> str:
    hit = _pole_index().get(fold_term(word).replace(" ", ""))
    if hit:
        return f"p{hit[0]}.{hit[1]}"
    g = load_glossary()
    ids = g.lookup(word)
    if ids:
        return "c" + ".".join(str(i) for i in sorted(ids))
    return "w" + (stem(word) if not has_cjk(word) else word)


def _pole_words(surface: str) -> tuple[str, ...] | None:
    """The pole of the antonym table ``surface`` belongs to: its words are synonyms."""
    hit = _pole_index().get(fold_term(surface).replace(" ", ""))
    return _antonyms()[hit[0]][hit[1]] if hit else None


def _latin_slot(word: str, surface: str, positive: bool, pos: int, concept: bool) -> Slot | None:
    g = load_glossary()
    entry = g.expand_entry(surface) if concept else surface
    pole = _pole_words(surface)
    if pole:
        entry = "|".join(dict.fromkeys([*entry.split("|"), *pole]))
    sp = compile_entry(entry)
    if not sp:
        return None
    required = surface in POLARITY_REQUIRED_EN or surface in NUMBER_WORDS_EN or word.isdigit() or pole is not None
    pole_id = _pole_index().get(fold_term(surface).replace(" ", "")) if pole else None
    if required:
        weight = 1.0
    elif concept:
        ids = g.lookup(surface)
        weight = COMMON_CONCEPT if g.is_common(ids) else 1.0
    elif len(word) == 1 and not word.isdigit():
        weight = W_SYMBOL
    else:
        weight = term_weight(word)
    return Slot(key=_slot_key(sp, surface), spellings=sp, weight=weight, positive=positive, pos=pos, required=required, pole=pole_id)


_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")
_COMPOUND = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-])")


def _compound_slot(word: str, positive: bool, pos: int) -> Slot | None:
    """A hyphenated word with a pole word inside ("high-dimensional", "low-variance", "non-convex")
    is one required slot: in an answer the same compound hides its parts, so slots for "high" and
    "dimensional" would never match it. Its opposite swaps the pole part ("low-dimensional"); "non-X"
    is no opposite of X unless the antonym table says so ("non-expert weights" are not the opposite of
    "expert weights"). A compound the antonym table lists is a pole slot."""
    concept = bool(load_glossary().lookup(word))
    if _pole_index().get(word):
        return _latin_slot(word, word, positive, pos, concept=concept)  # the table's own spelling
    parts = word.split("-")
    opposite: list[str] = []
    for i, part in enumerate(parts):
        hit = _pole_index().get(part)
        if hit is None or part.isdigit():
            continue
        gi, pi = hit
        for pj, pole in enumerate(_antonyms()[gi]):
            if pj != pi:
                opposite += ["-".join(parts[:i] + [w] + parts[i + 1 :]) for w in pole[:2] if " " not in w]
        break
    if not opposite:
        return None
    if concept:  # a glossary term ("low-rank", "post-ln") keeps its other spellings
        sl = _latin_slot(word, word, positive, pos, concept=True)
        return replace(sl, required=True, weight=1.0, opposite="|".join(opposite)) if sl else None
    sp = compile_entry(f"{word}|{word.replace('-', '')}")
    return Slot(key="w" + word, spellings=sp, weight=1.0, positive=positive, pos=pos, required=True, opposite="|".join(opposite)) if sp else None


@lru_cache(maxsize=20_000)
def compile_claim(raw: str, ordered: bool = False, origin: str = "") -> Claim | None:
    """Slots of one phrasing (None when it has no content word)."""
    t = fold_term(raw)
    if not t:
        return None
    asr = analyze_assertions(t)
    g = load_glossary()
    concepts = [(s, e, surface) for s, e, ids, surface in g.find_concepts(t)]
    slots: list[tuple[int, Slot]] = []
    covered: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in covered)

    for m in _DECIMAL.finditer(t):  # "99.4", "0.8": one number, not 99 and 4
        if free(m.start(), m.end()):
            base = m.group().rstrip("0").rstrip(".") if "." in m.group() else m.group()
            sp = compile_entry("|".join(dict.fromkeys([base, base + "0", base + "00", m.group()])))
            slots.append((m.start(), Slot(key="n" + base, spellings=sp, weight=1.0, positive=asr.polarity(m.start()), pos=m.start(), required=True)))
            covered.append(m.span())
    phrases = _pole_phrases()
    for m in phrases.finditer(t) if phrases else ():  # "按 token", "per channel": a pole of several words
        if free(m.start(), m.end()):
            sl = _latin_slot(m.group(), re.sub(r"\s+", " ", m.group()), asr.polarity(m.start()), m.start(), concept=False)
            if sl and sl.pole is not None:
                slots.append((m.start(), sl))
                covered.append(m.span())
    for m in _COMPOUND.finditer(t):  # "non-convex", "high-dimensional": one word hiding a pole word
        sl = _compound_slot(m.group(), asr.polarity(m.start()), m.start()) if free(m.start(), m.end()) else None
        if sl:
            slots.append((m.start(), sl))
            covered.append(m.span())

    for s, e, surface in concepts:
        if not free(s, e):
            continue
        words = TOKEN_RE.findall(surface)
        if not has_cjk(surface) and all(w in _NEG_WORDS_EN or w in STOPWORDS_EN for w in words):
            continue
        if has_cjk(surface) and _NEG_PREFIX_ZH.match(surface) and not _kept_zh(surface):
            continue  # a negation the glossary happens to know: polarity, not content
        sl = _latin_slot(surface, surface, asr.polarity(s), s, concept=True)
        if sl:
            slots.append((s, sl))
            covered.append((s, e))

    for m in TOKEN_RE.finditer(t):
        w = m.group()
        if not free(m.start(), m.end()):
            continue
        if w in _NEG_WORDS_EN or (
            w in STOPWORDS_EN and w not in POLARITY_REQUIRED_EN and w not in NUMBER_WORDS_EN and _pole_words(w) is None
        ):
            continue
        sl = _latin_slot(w, w, asr.polarity(m.start()), m.start(), concept=False)
        if sl:
            slots.append((m.start(), sl))
    for m in _COMPARE.finditer(t):  # "T > 1" is a claim about which side of 1 T is
        sl = _latin_slot(m.group(), m.group(), asr.polarity(m.start()), m.start(), concept=False)
        if sl:
            slots.append((m.start(), sl))
    if has_cjk(t):
        pos = 0
        for w in tokenize_zh(t, keep_stopwords=True):
            i = t.find(w, pos)
            if i < 0:
                continue
            pos = i + len(w)
            if not has_cjk(w):
                continue
            if not free(i, i + len(w)):
                # a glossary concept inside a longer word ("平均" in "算术平均"): the rest of the word
                # is what tells it from its neighbours ("算术" vs "调和"), so it is a slot of its own
                rest = max((r for r in re.findall(r"[\u3400-\u9fff]+", "".join(c if free(j, j + 1) else " " for j, c in enumerate(w, i))) if len(r) >= 2), key=len, default="")
                if not rest or rest in STOPWORDS_ZH or _NEG_PREFIX_ZH.match(rest):
                    continue
                i, w = t.find(rest, i), rest
            core = w if _kept_zh(w) else _NEG_PREFIX_ZH.sub("", w)
            off = i + (len(w) - len(core))
            if not core:
                continue
            polar = core in _POLARITY_SLOTS_ZH or bool(re.fullmatch(r"[一二两三四五六七八九十百千万亿半]+[个倍层头步次]?", core))
            if core in STOPWORDS_ZH and not polar:
                continue
            if polar:
                weight = 1.0
            elif len(core) == 1:
                weight = 0.5
            else:
                weight = term_weight(core)
            ids = g.lookup(core)
            entry = g.expand_entry(core) if ids else core
            pole = _pole_words(core)
            pole_id = None
            if pole:
                entry = "|".join(dict.fromkeys([*entry.split("|"), *pole]))
                polar, weight = True, 1.0
                pole_id = _pole_index().get(fold_term(core).replace(" ", ""))
            sp = compile_entry(entry)
            if sp:
                slots.append((off, Slot(key=_slot_key(sp, core), spellings=sp, weight=weight, positive=asr.polarity(off), pos=off, required=polar, pole=pole_id)))
    if not slots:
        return None
    slots = [(off, sl if sl.positive else _with_verbal(sl, asr.verbal(off))) for off, sl in slots]
    slots.sort(key=lambda x: x[0])
    seen: set[str] = set()
    out = []
    for i, (_, sl) in enumerate(slots):
        if sl.key in seen:
            continue
        seen.add(sl.key)
        out.append(replace(sl, pos=len(out)))
    return Claim(raw=raw, slots=tuple(out), ordered=ordered, origin=origin)


def _with_verbal(sl: Slot, verbal: bool) -> Slot:
    return replace(sl, verbal=verbal)


# ------------------------------------------------------------------------------------------
# Antonym flips


@dataclass(frozen=True)
class _Pole:
    words: tuple[str, ...]


@lru_cache(maxsize=1)
def _antonyms() -> list[list[tuple[str, ...]]]:
    raw = resources.files("rubrics").joinpath("data/antonyms.yaml").read_text(encoding="utf-8")
    groups = []
    for entry in yaml.safe_load(raw) or []:
        for lang in ("en", "zh"):
            poles = entry.get(lang)
            if poles:
                groups.append([tuple(str(w) for w in pole) for pole in poles])
    return groups


@lru_cache(maxsize=1)
def _pole_index() -> dict[str, tuple[int, int]]:
    """Exact folded forms (the table lists inflections): a stem would make "decoding" (a phase)
    the opposite of "encoder"."""
    idx: dict[str, tuple[int, int]] = {}
    for gi, poles in enumerate(_antonyms()):
        for pi, pole in enumerate(poles):
            for w in pole:
                idx.setdefault(fold_term(w).replace(" ", ""), (gi, pi))
    return idx


@lru_cache(maxsize=1)
def _pole_phrases() -> re.Pattern[str] | None:
    """Poles written in several words or mixing scripts ("按 token", "memory bound"): the word-by-word
    pass would split them into a preposition and a concept."""
    words = sorted({fold_term(w) for poles in _antonyms() for pole in poles for w in pole if " " in w or (has_cjk(w) and re.search(r"[a-z]", w))}, key=len, reverse=True)
    if not words:
        return None
    parts = [r"\s*".join(re.escape(p) for p in re.split(r"\s+|(?<=[\u3400-\u9fff])(?=[a-z])|(?<=[a-z])(?=[\u3400-\u9fff])", w) if p) for w in words]
    return re.compile(r"(?<![a-z0-9-])(?:" + "|".join(parts) + r")(?![a-z0-9-])")


def _slot_pole(sl: Slot) -> tuple[int, int] | None:
    """The pole of the slot's own word (its first spelling; glossary widenings do not count)."""
    return _pole_index().get(sl.spellings[0].compact) if sl.spellings else None


def _specific_pole(sl: Slot) -> bool:
    """A pole word that names a technical alternative ("memory-bound", "decoder"), not a generic
    comparison ("more", "same")."""
    w = sl.spellings[0].text if sl.spellings else ""
    return "-" in w or " " in w or len(w) >= 7 or (sl.spellings[0].cjk and len(w) >= 3)


def flips(claim: Claim) -> list[Claim]:
    """Wrong versions of ``claim``: one slot swapped for each opposite pole, order kept."""
    out: list[Claim] = []
    groups = _antonyms()
    heavy = sum(1 for sl in claim.slots if sl.weight >= 0.6)
    if heavy < 2:
        return out
    for i, sl in enumerate(claim.slots):
        if sl.opposite:  # a compound: "high-dimensional" -> "low-dimensional"
            new = replace(sl, key="flip:" + sl.opposite, spellings=compile_entry(sl.opposite), opposite=sl.spellings[0].text)
            slots = claim.slots[:i] + (new,) + claim.slots[i + 1 :]
            out.append(Claim(raw=f"{claim.raw} [{sl.spellings[0].text} -> {sl.opposite.split('|')[0]}]", slots=slots, ordered=True, origin="flip"))
            continue
        hit = _slot_pole(sl)
        if hit is None:
            continue
        if any(o is not sl and (p := _slot_pole(o)) is not None and p[0] == hit[0] for o in claim.slots):
            continue  # "input and output embeddings": a claim holding both poles has no one-word opposite
        if heavy < 3 and not _specific_pole(sl):
            continue  # "more"/"same" with one other word says too little to be a claim's opposite
        gi, pi = hit
        for pj, pole in enumerate(groups[gi]):
            if pj == pi:
                continue
            sp = compile_entry("|".join(pole))
            if not sp:
                continue
            new = Slot(key="flip:" + "|".join(pole), spellings=sp, weight=max(sl.weight, 1.0), positive=sl.positive, pos=sl.pos, required=True, pole=(gi, pj))
            slots = claim.slots[:i] + (new,) + claim.slots[i + 1 :]
            out.append(Claim(raw=f"{claim.raw} [{sl.spellings[0].text} -> {pole[0]}]", slots=slots, ordered=True, origin="flip"))
    return out


# ------------------------------------------------------------------------------------------
# Matching


@dataclass
class AnswerView:
    """An answer prepared once for claim matching."""

    doc: Doc
    asr: Assertions
    _occ: dict[tuple[Spelling, bool], list[tuple[int, int]]] = field(default_factory=dict)
    _slot_occ: dict[tuple, list[tuple[int, int]]] = field(default_factory=dict)

    topic_slots: dict[str, Slot] = field(default_factory=dict)

    def _exact(self, sp: Spelling) -> list[tuple[int, int]]:
        """Whole-word occurrences, not parts of a hyphenated compound ("all-reduce" is no "reduce")."""
        text = self.doc.text
        out = []
        for p in self.doc.by_raw.get(sp.words[0], ()):
            a, b = self.doc.tok_start[p], self.doc.tok_end[p]
            if (a > 0 and text[a - 1] == "-" and a > 1 and text[a - 2].isalnum()) or (b < len(text) - 1 and text[b] == "-" and text[b + 1].isalnum()):
                continue
            out.append((a, b))
        return out

    def _opposites(self, sl: Slot) -> list[tuple[int, int]]:
        """Occurrences of the other poles of ``sl``'s antonym group (or of a compound's opposite)."""
        if sl.opposite:
            return self.occurrences(Slot(key="", spellings=compile_entry(sl.opposite), weight=1.0, positive=True, pos=0), False)
        if sl.pole is None:
            return []
        gi, pi = sl.pole
        out: list[tuple[int, int]] = []
        for pj, pole in enumerate(_antonyms()[gi]):
            if pj != pi:
                out += self.occurrences(Slot(key="", spellings=compile_entry("|".join(pole)), weight=1.0, positive=True, pos=0, pole=(gi, pj)), False)
        return out

    def opposite_in(self, segment: int, sl: Slot, lo: int = 0, hi: int = 1 << 30) -> bool:
        """Whether the clause of ``segment`` that holds the claim's words (``lo``..``hi``) also holds
        a word of another pole of ``sl``'s antonym group: such a clause ("kept the architecture and
        changed the training", "the output equals the input") asserts neither side as a
        contradiction. In another clause the other pole belongs to another role ("the queries come
        from the encoder and the keys from the decoder")."""
        text = self.doc.text
        for a, b in self._opposites(sl):
            if self.asr.seg(a) != segment:
                continue
            between = text[min(b, hi) : max(a, lo)]
            if lo <= a < hi or not _ROLE_BOUNDARY.search(between) or between.count("(") + between.count("（") != between.count(")") + between.count("）"):
                return True  # the same clause, or one side inside a parenthesis about the other
        return False

    def misbound(self, claim: Claim, chosen: dict[int, tuple[int, int]]) -> bool:
        """Whether a pole word of ``claim`` is taken from another role: an opposite pole stands
        between it and the claim word it qualifies (its nearest non-pole neighbour in the claim), so
        it is the opposite that goes with that word ("the queries come from the encoder and the keys
        from the decoder" does not say the queries come from the decoder)."""
        order = sorted(chosen, key=lambda k: claim.slots[k].pos)
        for idx, i in enumerate(order):
            sl = claim.slots[i]
            if sl.pole is None and not sl.opposite:
                continue
            if sl.pole is not None and any(
                o is not sl
                and o.pole is not None
                and o.pole[0] == sl.pole[0]
                and not any(min(o.pos, sl.pos) < w.pos < max(o.pos, sl.pos) and w.weight >= 0.6 for w in claim.slots)
                for o in claim.slots
            ):
                continue  # "explodes or vanishes": both poles said of one thing in the claim itself
            nb = next((order[k] for k in range(idx - 1, -1, -1) if claim.slots[order[k]].pole is None and claim.slots[order[k]].weight >= 0.6), None)
            if nb is None:
                nb = next((order[k] for k in range(idx + 1, len(order)) if claim.slots[order[k]].pole is None and claim.slots[order[k]].weight >= 0.6), None)
            if nb is None:
                continue
            a, b = sorted((chosen[nb][0], chosen[i][0]))
            if any(a < x < b for x, _ in self._opposites(sl)):
                return True
        return False

    def names_other(self, segment: int, topic: frozenset[str], own: frozenset[str]) -> bool:
        """Whether ``segment`` names a topic concept that is not one of ``own``."""
        for key in topic - own:
            sl = self.topic_slots.get(key)
            if sl and any(self.asr.seg(a) == segment for a, _ in self.occurrences(sl, False)):
                return True
        return False

    def occurrences(self, sl: Slot, fuzzy: bool) -> list[tuple[int, int]]:
        """Asserted occurrences (not in questions or reported claims) of any spelling. A word of
        the antonym table is matched by its exact form: "decoding" must not stand for "decoder"."""
        exact = sl.pole is not None
        skey = (sl.spellings, fuzzy, exact)
        cached = self._slot_occ.get(skey)
        if cached is not None:
            return cached
        out: list[tuple[int, int]] = []
        for sp in sl.spellings:
            key = (sp, fuzzy, exact)
            hit = self._occ.get(key)  # type: ignore[arg-type]
            if hit is None:
                found = self._exact(sp) if exact and not sp.cjk and len(sp.words) == 1 else match_spelling(self.doc, sp, fuzzy=fuzzy)
                hit = [(a, b) for a, b in found if self.asr.asserted(a)]
                if sp.text.isdigit():  # "0" is not the 0 of "0.5", nor "4" the 4 of "99.4"
                    text = self.doc.text
                    hit = [(a, b) for a, b in hit if not (text[b : b + 1] == "." and text[b + 1 : b + 2].isdigit()) and not (a > 1 and text[a - 1] == "." and text[a - 2].isdigit())]
                self._occ[key] = hit  # type: ignore[index]
            out += hit
            if len(out) > 40:
                break
        self._slot_occ[skey] = out
        return out


@dataclass
class ClaimMatch:
    claim: Claim
    coverage: float  # weighted share of slots found together
    found: frozenset[str]  # slot keys found
    flipped: bool  # some slot found with the opposite polarity
    order: float  # share of slot pairs in the claim's order (1.0 when < 2 slots)
    start: int
    end: int
    segment: int
    complete: bool = True  # every required slot (and, for strict claims, every slot of weight >= 0.5) found
    denial: bool = False  # "X does not Y": a positive slot before a predicate negated by a verb
    implied: frozenset[str] = frozenset()  # slot keys counted as present because the question names them




#: Where one clause ends and another starts: a strict claim (a contradiction, a misconception) must
#: not take its subject from one clause and its predicate from the next.
_CLAUSE_JOIN = re.compile(r"[:;：；]|,\s*(?:and|but|so|while|whereas|then)\b|[，,]\s*(?:而|但|所以|因此|然后)", re.I)


#: Where one role's clause ends and the next one's starts, inside a sentence.
_ROLE_BOUNDARY = re.compile(r"[,，;；:：、]|\s(?:and|while|whereas|but)\s+(?:the|a|an|its|their|each|all)\b|而|但|则", re.I)


def _everyday(sl: Slot) -> bool:
    from rubrics.offline.similarity import is_common_word  # noqa: PLC0415 - loads WordLlama

    words = sl.spellings[0].words if sl.spellings else ()
    return len(words) == 1 and is_common_word(words[0])


def _crosses_clause(span: str, tight: bool) -> bool:
    """Whether a window of the answer runs from one clause into the next. Chinese commas join
    clauses (English ones mostly set off phrases); a swapped-word guess gets no comma at all."""
    if _CLAUSE_JOIN.search(span):
        return True
    if "，" in span or "、" in span:
        return True
    return tight and "," in span


def _order(chosen: list[tuple[int, int]]) -> float:
    """Share of concordant pairs: slots (claim position, answer offset)."""
    pairs = conc = 0
    for i in range(len(chosen)):
        for j in range(i + 1, len(chosen)):
            pairs += 1
            if (chosen[i][0] - chosen[j][0]) * (chosen[i][1] - chosen[j][1]) > 0:
                conc += 1
    return conc / pairs if pairs else 1.0


def match_claim(
    view: AnswerView,
    claim: Claim,
    fuzzy: bool = True,
    implicit: frozenset[str] = frozenset(),
    min_coverage: float = 0.0,
    protect: frozenset[str] = frozenset(),
) -> ClaimMatch | None:
    """The best segment of the answer for ``claim``: highest coverage, then most in order.

    ``implicit`` are slot keys of the question's own subject ("GQA" in a question about GQA): an
    answer that has named its subject once does not repeat it in every sentence, so such a slot
    counts as present in any segment once the answer mentions it anywhere. Below ``min_coverage``
    of the claim's weight present anywhere, there is no match to find (None, cheaply)."""
    if claim.ordered and sum(1 for sl in claim.slots if sl.weight >= 0.6) < 2:
        return None  # a strict claim costs points: one word is not a claim
    per_slot = [view.occurrences(sl, fuzzy and not claim.ordered) for sl in claim.slots]
    total = claim.total
    if total <= 0:
        return None
    present = sum(sl.weight for sl, occ in zip(claim.slots, per_slot, strict=True) if occ)
    if present < min_coverage * total:
        return None  # not enough of the claim anywhere in the answer
    by_seg: dict[int, list[list[tuple[int, int]]]] = {}
    for i, occ in enumerate(per_slot):
        for a, b in occ:
            sid = view.asr.seg(a)
            if sid < 0:
                continue
            by_seg.setdefault(sid, [[] for _ in per_slot])[i].append((a, b))
    given = {i for i, sl in enumerate(claim.slots) if sl.key in implicit and per_slot[i]}
    if claim.ordered:
        # a strict claim may leave out its subject (its first slot), never what it says of it;
        # a swapped-word variant never: it is a guess already
        given = {i for i in given if i == 0 and claim.origin != "flip"}
    # a strict claim (contradiction, signal) costs points: it must be stated compactly
    limit = int(1.6 * len(claim.raw)) + 25 if claim.ordered else 2 * len(claim.raw) + 30
    best: ClaimMatch | None = None
    for sid, lists in by_seg.items():
        present = [i for i, lst in enumerate(lists) if lst]
        if not present or all(i in given for i in present):
            continue
        anchor = max((i for i in present if i not in given), key=lambda i: (claim.slots[i].weight, -len(lists[i])))
        cand = None
        assignments: list[dict[int, tuple[int, int]]] = []
        for a_s, a_e in lists[anchor][:12]:
            near = {anchor: (a_s, a_e)}
            for i in present:
                if i != anchor:
                    near[i] = min(lists[i], key=lambda x: abs(x[0] - a_s))
            assignments.append(near)
        if claim.ordered:
            # also the earliest occurrences that keep the claim's order: the nearest one may sit
            # before the anchor ("asks for an answer and returns that answer")
            forward: dict[int, tuple[int, int]] = {}
            pos = -1
            for i in sorted(present, key=lambda k: claim.slots[k].pos):
                nxt = [o for o in lists[i] if o[0] > pos]
                if nxt:
                    forward[i] = nxt[0]
                    pos = nxt[0][0]
            if forward:
                assignments.append(forward)
        for chosen in assignments:
            a_s = chosen.get(anchor, next(iter(chosen.values())))[0]
            lo = min(a for a, _ in chosen.values())
            hi = max(b for _, b in chosen.values())
            if hi - lo > limit:
                # drop the farthest slots until the window fits
                for i in sorted(chosen, key=lambda k: -abs(chosen[k][0] - a_s)):
                    if i == anchor or len(chosen) == 1:
                        continue
                    del chosen[i]
                    lo = min(a for a, _ in chosen.values())
                    hi = max(b for _, b in chosen.values())
                    if hi - lo <= limit:
                        break
            implied = given - set(chosen)
            if implied and claim.ordered and not any(claim.slots[i].required for i in chosen):
                # a strict claim may leave its subject implicit only when what it says of it is
                # explicit: a direction, a comparison, a number ("the cache stays the same")
                implied = set()
            if implied and view.names_other(sid, implicit, claim.keys()):
                # "... so decode is memory-bound" in a question about prefill and decode: the
                # sentence has its own subject, and it is not the claim's
                implied = set()
            cov = sum(claim.slots[i].weight for i in (*chosen, *implied)) / total
            order = _order([(claim.slots[i].pos, chosen[i][0]) for i in chosen])
            if claim.ordered and _crosses_clause(view.doc.text[lo:hi], claim.origin == "flip"):
                continue  # a strict claim stays inside one clause
            if claim.ordered and any(view.opposite_in(sid, claim.slots[i], lo, hi) for i in chosen if claim.slots[i].pole or claim.slots[i].opposite):
                continue
            if view.misbound(claim, chosen):
                continue  # a pole word that belongs to another role
            flipped = any(
                claim.slots[i].weight > W_SYMBOL and view.asr.polarity(chosen[i][0]) != claim.slots[i].positive for i in chosen
            )
            missing = [
                i
                for i, sl in enumerate(claim.slots)
                if i not in chosen and i not in implied and (sl.required or claim.ordered or len(claim.slots) < 3)
            ]
            # A strict claim of four or more slots may miss one slot that is neither its subject (the
            # first slot), its predicate (the last), a required word (direction, comparison, number, negation), a symbol, nor
            # one of the words that tell it from the correct claims (``protect``): the answer says
            # that part in words of its own ("pass rate" for "accuracy", "one" for "estimator").
            complete = not missing or (
                claim.ordered
                and len(missing) == 1
                and missing[0] != 0
                and missing[0] != len(claim.slots) - 1  # nor its last word: the predicate ("... is enough")
                and len(claim.slots) >= 4
                and not claim.slots[missing[0]].required
                and claim.slots[missing[0]].weight > W_SYMBOL
                and claim.slots[missing[0]].key not in protect
                and claim.origin != "flip"
            )
            # "X does not Y" against "X Y", either way round: a positive subject, then the predicate
            # under a verb's negation on one side and plainly asserted on the other
            neg_at = [
                chosen[i][0]
                for i in chosen
                if claim.slots[i].weight >= 0.6
                and (
                    (claim.slots[i].positive and view.asr.verbal(chosen[i][0]))
                    or (claim.slots[i].verbal and view.asr.polarity(chosen[i][0]))
                )
            ]
            # the predicate must read the same way everywhere in the segment: "模型从不执行……执行函数"
            # says both, and so denies nothing
            neg_at = [
                p
                for p in neg_at
                if all(
                    view.asr.polarity(a) == view.asr.polarity(p)
                    for i in chosen
                    if chosen[i][0] == p
                    for a, _ in lists[i]
                )
            ]
            denial = bool(neg_at) and any(
                chosen[i][0] < min(neg_at)
                and claim.slots[i].weight >= 0.6
                and claim.slots[i].positive
                and view.asr.polarity(chosen[i][0])
                for i in chosen
            )
            key = (cov, order, -(hi - lo))
            if cand is None or key > cand[0]:
                found = frozenset(claim.slots[i].key for i in (*chosen, *implied))
                implied_keys = frozenset(claim.slots[i].key for i in implied)
                cand = (key, ClaimMatch(claim, cov, found, flipped, order, lo, hi, sid, complete, denial, implied_keys))
        if cand and (best is None or (cand[1].coverage, cand[1].order) > (best.coverage, best.order)):
            best = cand[1]
    return best

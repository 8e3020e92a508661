"""What an answer asserts, character by character: which sentences are questions, which words a
negation governs, which words report a claim instead of making it, and where contrasts cut a
sentence into separately asserted segments.

The offline judge credits a key point only from words the answer *asserts*: a claim inside a
question ("Isn't it that decoding is memory-bound?") asserts nothing, a claim under a negation
("LoRA does not update W0") asserts its opposite, and a claim someone else is said to make ("a
common misconception is that...") asserts neither. The same function annotates the rubric's own
phrasings, so a phrasing and an answer that use the same words agree on their polarity even where
these heuristics are imperfect; what matters is that the answer and the phrasing *differ*.

Scope rules, English and Chinese alike: a negation cue governs the words after it up to the end of
its clause (a comma, a semicolon, a colon, a contrast such as "but"/"但", or the end of the
sentence); "rather than X" / "instead of X" / "而不是 X" negate X only; "unlike X, ..." and "不像 X，"
set X apart as its own segment (a comparison, not a claim about the subject); a contrast ("but",
"whereas", "however", "但是", "然而") ends one segment and starts another, so a claim never borrows
its words from the other side of a contrast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rubrics.offline import negation_zh
from rubrics.text import sentence_spans

# -- English cues ------------------------------------------------------------------------------

# A negation governing the rest of its clause. Contractions are matched whole ("doesn't").
_NEG_EN = re.compile(
    r"\b(?:not|never|no|none|nor|neither|without|cannot|can't|cant|won't|isn't|aren't|wasn't|weren't|"
    r"doesn't|don't|didn't|hasn't|haven't|hadn't|shouldn't|wouldn't|couldn't|mustn't|needn't|"
    r"doesnt|dont|didnt|isnt|arent|wasnt|lacks?|lacking|fails?\s+to|failed\s+to|unable\s+to|"
    r"impossible\s+to|no\s+longer|nothing|nowhere|free\s+of)\b",
    re.I,
)
# Cues that look like negations but are not ("not only", "no more than 4", "No, it is...").
_NOT_NEG_EN = re.compile(
    r"\b(?:not\s+least|if\s+not|whether\s+or\s+not|no\s+matter|"
    r"no\s+(?:more|less|fewer)\s+than|nothing\s+but|not\s+to\s+mention|no\s+doubt)\b",
    re.I,
)
_NOT_ONLY = re.compile(r"not\s+(?:only|just|merely|simply|solely)\b", re.I)
# Negate the phrase that follows them only.
_NARROW_NEG_EN = re.compile(r"\b(?:rather\s+than|instead\s+of|as\s+opposed\s+to|in\s+place\s+of)\b", re.I)
# Set a comparison apart: "unlike X," / "compared with X,".
_ASIDE_EN = re.compile(r"\b(?:unlike|compared\s+(?:with|to)|in\s+contrast\s+to|contrary\s+to|relative\s+to|as\s+opposed\s+to)\b", re.I)
#: Where the main clause starts after an aside written without a comma ("Compared with RL the
#: signal is dense"): a determiner or pronoun after the compared thing.
_MAIN_START_EN = re.compile(r"\s(?:the|a|an|it|its|this|that|these|they|we|you|each|every)\b", re.I)
# Report a claim without making it.
_REPORTED_EN = re.compile(
    r"\b(?:(?:a\s+)?(?:common\s+|popular\s+|widespread\s+|frequent\s+)?(?:misconception|myth|misunderstanding|fallacy|misbelief)s?"
    r"|(?:many|some|most)\s+(?:people\s+)?(?:think|believe|assume|say|claim)s?"
    r"|people\s+(?:often\s+|usually\s+|sometimes\s+)?(?:think|believe|assume|say|claim)"
    r"|(?:was|were)\s+(?:previously|once|long|widely|commonly)\s+(?:believed|thought|assumed)|earlier\s+(?:work|papers?)\s+(?:assumed|believed|claimed)"
    r"|(?:overturn(?:s|ed)?|refut(?:e|es|ed))\s+the\s+(?:earlier\s+|old\s+|previous\s+)?(?:belief|view|assumption|idea)"
    r"|(?:is|are)\s+(?:often|commonly|sometimes|usually|widely)\s+(?:said|claimed|believed|assumed|thought)"
    r"|(?:it\s+is\s+)?(?:wrong|incorrect|a\s+mistake|false)\s+to\s+(?:say|think|assume|claim|believe)"
    r"|(?:it\s+is\s+)?not\s+true\s+that|one\s+might\s+(?:think|assume|expect)|you\s+might\s+(?:think|assume|expect)"
    r"|naive(?:ly)?\s+(?:one\s+)?(?:might\s+)?(?:think|assume|expect)s?)\b",
    re.I,
)
# Hard contrasts: a new segment starts here.
_CONTRAST_EN = re.compile(
    r"\s*;\s*|,?\s+\b(?:but|however|whereas|while|although|though|yet|except\s+that)\b|\bwhile\b(?=[^,]*,)"
    r"|,\s*(?:in\s+fact|actually|in\s+reality|in\s+practice)\b",
    re.I,
)
# Ends a negation's scope inside a segment.
_CLAUSE_END_EN = re.compile(
    r"[,;:()\[\]]|\s[-–—]\s|\b(?:so|because|since|which|whereas|therefore|thus|hence|then)\b"
    r"|\band\s+(?=(?:so|thus|therefore|then|only|also|instead|just|rather|it|they|this|that|we|which)\b)",
    re.I,
)

# -- Chinese cues ------------------------------------------------------------------------------

_NEG_ZH = re.compile(r"并非|并不|并没有|不是|不会|不能|不再|不用|不需要|无需|无须|没有|没|未|不|无法|非|别|勿|缺少|缺乏")
_NARROW_NEG_ZH = re.compile(r"而不是|而非|而不|而并非|取代了?|代替了?")
#: "与 X 相比，…" / "和 X 不同，…" (closed: the aside ends with it) and "相比 X，…" / "不像 X，…" (open: to
#: the comma). "A 和 B 不同。" is a predicate, not an aside; "对比学习" is a term; the 同 of 不同 and the
#: 和 of 调和 are no prepositions.
_ASIDE_ZH_CLOSED = re.compile(
    r"(?:(?<![参给赋授])与|(?<![调总求缓温平柔])和|跟|(?<![不相共协如等认赞混连陪合])同)[^，,。；;：:]{1,20}?(?:不同的是|不同|相比较?|相较|比起来|对比)"
)
_ASIDE_ZH_OPEN = re.compile(r"(?:(?<=^)|(?<=[，,；;：:\s]))(?:不像|相比于?|相较于?|比起|对比)(?!之下|学习|损失|度|实验)")
_REPORTED_ZH = re.compile(
    r"误以为|误认为|有人(?:会)?(?:认为|说|以为|觉得)|很多人(?:会)?(?:认为|以为|觉得)|常见(?:的)?(?:误解|误区|错误)|"
    r"误区|误解|错误(?:的)?(?:说法|观点|理解|认识)|(?<![所可难])以为|认为.{0,6}是错(?:误)?的|并不是像|"
    r"(?:之前|以前|过去|早先|传统上|曾经|一度)(?:普遍|大家|人们)?(?:认为|以为|觉得)|推翻了"
)
# A verdict on the claim just made: "X is a myth", "X 是错误的".
# Only verdicts on a claim as a whole: "that is wrong", "X is a myth", "这种说法是错的"; not "the model's
# answer is wrong" or "答不对", which are claims of their own.
_REFUTED_AFTER = re.compile(
    r"(?:\b(?:that|this|which|it)(?:'s|\s+is|\s+was)\s+(?:a\s+|an\s+|simply\s+|just\s+|completely\s+)?(?:common\s+)?"
    r"(?:myth|misconception|wrong|false|incorrect|not\s+true|not\s+correct|mistaken|not\s+the\s+case|a\s+mistake)\b)"
    r"|(?:\b(?:is|are|was|were)\s+(?:a\s+|an\s+)?(?:common\s+)?(?:myth|misconception|fallacy|the\s+wrong\s+(?:direction|choice|way|approach|conclusion))\b)"
    r"|(?:(?:的说法|这种说法|这个说法|的观点|这种观点|这是|这种理解|这个理解)(?:是|都是|并)?(?:错误的|错的|不对|不正确|误解|误区|不成立))"
)
_CONTRAST_ZH = re.compile(r"[；;]|但是|但|然而|不过|可是|却|，而|,而|而是|其实|实际上|事实上")
#: A conditional ("不保留文本时，…", "不加的话") also ends a clause; 时 only after a verb or noun of its own
#: (not 同时, 实时, 小时...).
_CLAUSE_END_ZH = re.compile(
    r"[，,；;：:。！？!?（）()]|所以|因此|因为|从而|于是|并且|而且|且|然后|的话|的时候|(?<![同实及按准即临历计当有随此那这届暂平定小适过耗费])时(?![间序刻延长候效钟])"
)

#: A negated verb followed at once by another predicate ("facts the model does not know can make it
#: hallucinate"): the negation sat in a relative clause and ends with its verb.
_RELATIVE_MAIN_EN = re.compile(
    r"\s+(?!be\b|been\b|have\b|only\b|just\b|necessarily\b)[A-Za-z'-]+(?=\s+(?:can|could|will|would|may|might|must|should|makes?|made|leads?|led|causes?|caused|tends?|hurts?|is|are|was|were)\b)",
    re.I,
)
#: Where a verdict on the preceding claim ("... is the wrong direction") stops looking back: the
#: clause before "so"/"because"/"and then" is a claim of its own.
_VERDICT_STOP = re.compile(r"[,;:，；：]|\b(?:so|because|since|therefore|thus|hence|whereas|then)\b|所以|因此|因为|从而|于是", re.I)

_ASIDE_END = re.compile(r"[,;:()]|\s[-–—]\s")

_QUESTION_END = re.compile(r"[?？]\W*$|[吗呢么][\W]*$")

NEG = 1
REPORTED = 2
QUESTION = 4
VERBAL = 8  # negated by a verb's negation ("does not", "cannot", "不会"), not "without"/"no X"

#: Cues that negate a predicate: "X does not Y" denies "X Y". "without", "no", "lack" negate a noun
#: phrase, which says less about the claim around it.
_VERBAL_EN = re.compile(r"^(?:not|never|cannot|can't|cant|won't|\w+n't|doesnt|dont|didnt|isnt|arent|wasnt|no\s+longer|fails?\s+to|failed\s+to|unable\s+to)$", re.I)
_VERBAL_ZH = re.compile(r"^(?:并非|并不|并没有|不是|不会|不能|不再|不用|不需要|无需|无须|没有|无法|不|没|未)$")


@dataclass(frozen=True)
class Assertions:
    """Per-character annotations of one text (original offsets)."""

    text: str
    flags: bytes  # NEG | REPORTED | QUESTION per character
    segment: tuple[int, ...]  # segment id per character (-1 outside any sentence)

    def polarity(self, pos: int) -> bool:
        """True when the word at ``pos`` is asserted positively (not under a negation)."""
        return not (self.flags[pos] & NEG) if 0 <= pos < len(self.flags) else True

    def verbal(self, pos: int) -> bool:
        """Under a predicate's negation ("does not", "cannot", "不会")."""
        return bool(self.flags[pos] & VERBAL) if 0 <= pos < len(self.flags) else False

    def asserted(self, pos: int) -> bool:
        """False inside a question or a reported claim: such words assert nothing."""
        return not (self.flags[pos] & (REPORTED | QUESTION)) if 0 <= pos < len(self.flags) else False

    def is_question(self, pos: int) -> bool:
        return bool(self.flags[pos] & QUESTION) if 0 <= pos < len(self.flags) else False

    def seg(self, pos: int) -> int:
        return self.segment[pos] if 0 <= pos < len(self.segment) else -1


#: A negation governs a few words after it, not a whole run-on clause ("a tool that does not exist
#: or hallucinated arguments"): at most this many Latin words or CJK characters.
NEG_SCOPE_WORDS = 5
NEG_SCOPE_CJK = 8
#: A predicate's negation denies the verb right after it, not its object: "不偏离 SFT" (does not
#: drift from SFT) is no denial of anything about SFT. VERBAL covers this many words or characters.
VERBAL_SCOPE_WORDS = 3
VERBAL_SCOPE_CJK = 3
_WORD = re.compile(r"[A-Za-z0-9_'-]+|[\u3400-\u9fff]")


def _scope_end(text: str, start: int, stop: int, clause_end: re.Pattern[str]) -> int:
    m = clause_end.search(text, start, stop)
    return m.start() if m else stop


_AND_CLAUSE = re.compile(r"\s(?:and|or)\s+(?=(?:[\w-]+\s+){0,4}?(?:is|are|was|were|has|have|had|can|will|would|should|becomes?|gets?)\b)", re.I)


def _neg_end(text: str, start: int, stop: int, clause_end: re.Pattern[str], words: int = NEG_SCOPE_WORDS, chars: int = NEG_SCOPE_CJK) -> int:
    """End of a negation's scope: its clause, cut after ``words`` words (or ``chars`` CJK chars), or
    at "and"/"or" that starts a clause with its own verb ("do not underflow and loss scaling is
    unnecessary"), not at one that joins two objects ("does not store keys and values")."""
    stop = _scope_end(text, start, stop, clause_end)
    m = _AND_CLAUSE.search(text, start, stop)
    if m:
        stop = m.start()
    latin = cjk = 0
    for w in _WORD.finditer(text, start, stop):
        if len(w.group()) == 1 and "\u3400" <= w.group() <= "\u9fff":
            cjk += 1
        else:
            latin += 1
        if latin > words or cjk > chars:
            return w.start()
    return stop


def _aside_spans(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """The comparison phrases of sentence ``text[s:e]``: "unlike X", "compared with X", "与 X 相比",
    "相比 X". Only the phrase itself is background; the clause it introduces is asserted ("Compared
    with RL, the signal is dense" claims the signal is dense)."""
    out = []
    for m in _ASIDE_EN.finditer(text, s, e):
        stop = _scope_end(text, m.end(), e, _ASIDE_END)
        rel = re.match(r"[,，]\s*(?:which|that|who|where|whose)\b", text[stop : stop + 12], re.I)
        if rel:  # "unlike LayerNorm, which subtracts the mean, ...": the relative clause too
            stop = _scope_end(text, stop + rel.end(), e, _ASIDE_END)
        elif stop == e or len(_WORD.findall(text, m.end(), stop)) > 6:
            # no comma: the compared thing is a few words, up to where the main clause starts
            words = list(_WORD.finditer(text, m.end(), stop))
            main = _MAIN_START_EN.search(text, words[0].end(), stop) if words else None
            if main and len(_WORD.findall(text, m.end(), main.start())) <= 4:
                stop = main.start()
            elif len(words) > 3 and m.start() == s:
                stop = words[0].end()  # "Unlike BERT GPT is causal": the thing compared is its first word
        out.append((m.start(), stop))
    for m in _ASIDE_ZH_CLOSED.finditer(text, s, e):
        after = text[m.end() : m.end() + 1]
        if after and after not in "。；;！!？?\n":
            out.append((m.start(), m.end()))  # "与 BERT 相比，GPT 是单向的"; not "A 和 B 不同。"
    closed = list(out)
    for m in _ASIDE_ZH_OPEN.finditer(text, s, e):
        if any(a <= m.start() < b for a, b in closed):
            continue  # the 相比 of "与 X 相比"
        stop = _scope_end(text, m.end(), e, _CLAUSE_END_ZH)
        if stop - m.end() > 16 or text[stop : stop + 1] not in ("，", ","):  # no comma: the compared word only
            w = re.match(r"\s*(?:[A-Za-z0-9_.+-]+|[\u3400-\u9fff]{1,4})", text[m.end() : stop])
            stop = m.end() + (w.end() if w else 0)
        out.append((m.start(), stop))
    return out


_ITEM_SEP = re.compile(r"[;；:：]")


def _short_item(item: str) -> bool:
    latin = sum(1 for w in _WORD.findall(item) if not ("\u3400" <= w <= "\u9fff"))
    cjk = sum(1 for w in _WORD.findall(item) if "\u3400" <= w <= "\u9fff")
    return latin + cjk > 0 and latin <= 5 and cjk <= 10


def _list_semicolon(text: str, m: re.Match[str], s: int, e: int) -> bool:
    """A semicolon in a run of three or more short items ("tokenizer; embeddings; attention")
    separates list items, not contrasting clauses: the list is one claim. Two clauses joined by one
    semicolon ("attention is quadratic; the MLP holds most weights") stay apart."""
    if ";" not in m.group() and "；" not in m.group():
        return False
    seps = [x for x in _ITEM_SEP.finditer(text, s, e)]
    bounds = [s] + [x.end() for x in seps]
    ends = [x.start() for x in seps] + [e]
    items = list(zip(bounds, ends))
    k = next((i for i, x in enumerate(seps) if m.start() <= x.start() < m.end()), None)
    if k is None:
        return False
    # the run of short items around this semicolon, bounded by a colon or a long item
    lo = k
    while lo > 0 and text[seps[lo - 1].start()] in ";；" and _short_item(text[items[lo - 1][0] : items[lo - 1][1]]):
        lo -= 1
    hi = k + 1
    while hi < len(items) - 1 and text[seps[hi].start()] in ";；" and _short_item(text[items[hi + 1][0] : items[hi + 1][1]]):
        hi += 1
    run = items[lo : hi + 1]
    return len(run) >= 3 and all(_short_item(text[a:b]) for a, b in run)


@lru_cache(maxsize=4096)
def analyze_assertions(text: str) -> Assertions:
    """Annotate ``text`` (an answer or a rubric phrasing). Cached: phrasings are analysed once."""
    n = len(text)
    flags = bytearray(n)
    segment = [-1] * n
    seg_id = 0
    spans = sentence_spans(text) or ([(0, n)] if text.strip() else [])
    for s, e in spans:
        sent = text[s:e]
        if _QUESTION_END.search(sent):
            for i in range(s, e):
                flags[i] |= QUESTION
        # segments: cut at hard contrasts
        cuts = [s]
        for pat in (_CONTRAST_EN, _CONTRAST_ZH):
            cuts += [m.start() for m in pat.finditer(text, s, e) if m.start() > s and not _list_semicolon(text, m, s, e)]
        cuts = sorted(set(cuts)) + [e]
        for a, b in zip(cuts, cuts[1:]):
            for i in range(a, b):
                segment[i] = seg_id
            seg_id += 1
        # asides ("unlike X,"): the comparison phrase is its own segment, the main clause is not
        for a, b in _aside_spans(text, s, e):
            for i in range(a, b):
                segment[i] = seg_id
            seg_id += 1
        # reported claims: to the end of their segment
        for pat in (_REPORTED_EN, _REPORTED_ZH):
            for m in pat.finditer(text, s, e):
                sid = segment[m.start()]
                i = m.start()
                while i < e and segment[i] == sid:
                    flags[i] |= REPORTED
                    i += 1
        for m in _REFUTED_AFTER.finditer(text, s, e):
            # the verdict covers the clause it closes, not the whole sentence
            sid = segment[m.start()]
            stops = [x.end() for x in _VERDICT_STOP.finditer(text, s, m.start())]
            first = stops[-1] if stops else s
            i = m.start() - 1
            while i >= first and segment[i] == sid:
                flags[i] |= REPORTED
                i -= 1
        # negations
        blocked = [(m.start(), m.end()) for m in _NOT_NEG_EN.finditer(text, s, e)]
        blocked += [(m.start(), m.end()) for m in negation_zh.NOT_NEGATION.finditer(text, s, e)]

        def free(a: int, b: int) -> bool:
            return not any(x < b and a < y for x, y in blocked)

        for pat, end_pat in ((_NEG_EN, _CLAUSE_END_EN), (_NEG_ZH, _CLAUSE_END_ZH), (_NARROW_NEG_EN, _CLAUSE_END_EN), (_NARROW_NEG_ZH, _CLAUSE_END_ZH)):
            for m in pat.finditer(text, s, e):
                if not free(m.start(), m.end()):
                    continue
                if pat is _NEG_EN and m.group().lower() == "no" and re.match(r"\s*[,!.]", text[m.end() : m.end() + 2]):
                    continue  # "No, it is memory-bound."
                only = _NOT_ONLY.match(text, m.start()) if pat is _NEG_EN else None
                if only:  # "not only X but also Y" asserts X: it denies the "only" and nothing else
                    for i in range(m.start(), only.end()):
                        flags[i] |= NEG | VERBAL
                    continue
                sid = segment[m.start()]
                first = m.start()
                if pat is _NEG_ZH:
                    kind, first, stop = negation_zh.classify(text, m.start(), m.end(), s, e)
                    if kind == "none":
                        continue
                    if kind == "word":  # a lexical negation ("不成比例", "非零") covers itself
                        for i in range(first, stop):
                            flags[i] |= NEG
                        continue
                stop = _neg_end(text, m.end(), e, end_pat)
                if pat is _NEG_EN:
                    rel = _RELATIVE_MAIN_EN.match(text, m.end(), stop)
                    if rel:  # "facts the model does not know can make it hallucinate": "can make" is not denied
                        stop = rel.end()
                if pat is _NEG_ZH:
                    attr = negation_zh.attributive_end(text, m.start(), m.end(), s)
                    stop = min(stop, attr) if attr is not None else stop
                verbal = bool(_VERBAL_EN.match(m.group()) or _VERBAL_ZH.match(m.group()))
                vstop = _neg_end(text, m.end(), e, end_pat, VERBAL_SCOPE_WORDS, VERBAL_SCOPE_CJK) if verbal else m.start()
                for i in range(first, stop):
                    if segment[i] != sid:
                        break
                    flags[i] |= NEG | (VERBAL if i < vstop else 0)
        for m in negation_zh.ZERO_PREDICATE.finditer(text, s, e):
            span = negation_zh.zero_subject(text, m.start(), s)
            if span and free(m.start(), m.end()):
                for i in range(*span):
                    flags[i] |= NEG
    return Assertions(text=text, flags=bytes(flags), segment=tuple(segment))

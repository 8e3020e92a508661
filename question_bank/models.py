"""Question-bank data: the single source of truth for bank YAML files and their JSON Schema.

The rubric lives here rather than in ``rubrics/`` because it is part of a question's data;
``rubrics`` (the judges) depends on this package, never the other way round.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = ("en", "zh")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _slug(v: str) -> str:
    if not _ID_RE.match(v):
        raise ValueError("use lowercase letters, digits, '-', '_' or '.'")
    return v


#: An id that never changes: lowercase letters, digits, '-', '_' and '.'.
Slug = Annotated[str, AfterValidator(_slug)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Text(_Strict):
    """A text in English and, optionally, Chinese."""

    en: str = Field(min_length=1)
    zh: str | None = None

    def get(self, lang: str) -> str:
        """The text in ``lang``, falling back to English."""
        return (self.zh if lang == "zh" else None) or self.en


class Terms(_Strict):
    """Words or phrases per language. Inside one entry, ``|`` separates interchangeable spellings
    (``"sqrt(d_k)|square root of d_k"``): the entry counts once if any spelling is present."""

    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.en, *self.zh]


Unit = Literal["", "%", "x", "B", "s", "FLOP", "FLOP/s", "B/s", "tokens", "params", "steps"]
UNITS: tuple[str, ...] = ("", "%", "x", "B", "s", "FLOP", "FLOP/s", "B/s", "tokens", "params", "steps")


class NumericFact(_Strict):
    """A value a key point states, checked by code: an answer's numbers are parsed from any common
    format ("16 GiB", "1.6e19", "3.36×", "54.4 thousand", "5.44万", "three and a half hours") and
    compared after converting to ``unit``. ``value`` is in the base unit: bytes (not GiB), seconds,
    FLOPs, a plain count; "%" keeps percent points (7.5 means 7.5%). Write it so it can be
    recomputed: ``expr`` holds the arithmetic it came from."""

    value: float
    unit: Unit = ""
    tolerance: float = Field(default=0.02, ge=0, le=1, description="Relative tolerance (0.02 = ±2%).")
    label: Text | None = Field(default=None, description="What the number is, for feedback.")
    expr: str | None = Field(default=None, description="How the value is computed, e.g. '2*32*8*128*2'.")


class KeyPoint(_Strict):
    """One thing an interviewer listens for: a *claim*, credited only when an answer asserts it.

    ``paraphrases`` (and the older ``aliases``) are whole phrasings of the claim in plain words,
    each short and complete (every content word is needed to state it); ``contradictions`` are the
    claims that assert its opposite with the same vocabulary (swapped roles, inverted direction or
    comparison, wrong cause, wrong value), so a sentence asserting them can never credit the point;
    ``keywords`` are the concepts it relates; ``numbers`` and ``formulas`` are checked by code."""

    id: Slug
    text: Text
    weight: float = Field(default=1.0, gt=0, le=10)
    aliases: Terms = Field(default_factory=Terms)
    keywords: Terms = Field(default_factory=Terms)
    paraphrases: Terms = Field(default_factory=Terms)
    contradictions: Terms = Field(default_factory=Terms)
    numbers: list[NumericFact] = Field(default_factory=list)
    formulas: list[str] = Field(
        default_factory=list,
        description="Formulas or code fragments that state the point, matched after normalising "
        "spaces, case, multiplication signs, Greek letters and subscripts.",
    )

    def claims(self) -> list[str]:
        """Every phrasing of the claim, both languages."""
        return [*self.paraphrases.all(), *self.aliases.all()]



class Misconception(_Strict):
    """A wrong claim that costs ``penalty`` points (0-10 scale) when an answer asserts it, and
    voids the key points it ``contradicts``. ``signals`` are phrasings of the wrong claim."""

    id: str
    text: Text
    penalty: float = Field(default=1.0, gt=0, le=10)
    signals: Terms = Field(default_factory=Terms)
    contradicts: list[str] = Field(default_factory=list, description="Ids of the key points this claim denies.")


class Rubric(_Strict):
    key_points: list[KeyPoint] = Field(default_factory=list, max_length=12)
    misconceptions: list[Misconception] = Field(default_factory=list)
    levels: dict[str, Text] = Field(
        default_factory=dict,
        description="Optional level descriptors, e.g. {'strong': ..., 'weak': ...}.",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Rubric:
        for kind, items in (("key point", self.key_points), ("misconception", self.misconceptions)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"duplicate {kind} id {item.id!r}")
                seen.add(item.id)
        points = {kp.id for kp in self.key_points}
        for m in self.misconceptions:
            unknown = [c for c in m.contradicts if c not in points]
            if unknown:
                raise ValueError(f"misconception {m.id!r} contradicts unknown key point {unknown[0]!r}")
        return self


ProbeKind = Literal[
    "strong",  # a complete, correct answer in the writer's own plain words
    "paraphrase",  # correct, worded unlike the rubric (examples instead of terms, other number formats)
    "wrong_terms",  # fluent and confident, uses the rubric's vocabulary, asserts wrong claims
    "partial",  # correct on some points, silent on others
    "terse",  # a short expert answer: the essentials in a few words
    "other_language",  # a correct or partial answer in the other language, or mixed
    "manipulation",  # tries to instruct the grader, or phrases claims as questions
    "off_topic",  # fluent, about something else
]
PROBE_KINDS: tuple[str, ...] = ProbeKind.__args__  # type: ignore[attr-defined]


class Probe(_Strict):
    """A graded example answer: what a fair grader gives it (``min``..``max`` on 0-10). The bank
    tests its own rubrics with them (``python -m rubrics.selfcheck``) and ``interviewer judge check``
    qualifies a judge on them."""

    kind: ProbeKind
    lang: Lang = "en"
    answer: str = Field(min_length=1)
    min: float = Field(ge=0, le=10)
    max: float = Field(ge=0, le=10)
    note: str | None = Field(default=None, description="Why it deserves that range.")

    @model_validator(mode="after")
    def _range(self) -> Probe:
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


FollowUpLevel = Literal["mechanism", "trade_off", "numbers", "failure_modes"]
FOLLOW_UP_LEVELS: tuple[str, ...] = ("mechanism", "trade_off", "numbers", "failure_modes")


class FollowUp(_Strict):
    """A follow-up an interviewer asks after the main answer, one rung of the depth ladder
    (mechanism -> trade-off -> numbers -> failure modes). ``targets`` are the main question's key
    points it probes: a point the candidate missed is probed first. Graded like a question."""

    id: str = ""
    level: FollowUpLevel = "mechanism"
    text: Text
    reference_answer: Text | None = None
    rubric: Rubric = Field(default_factory=Rubric)
    targets: list[str] = Field(default_factory=list)


#: A parameter's value: a number, or a text such as a model's name.
ParamValue = float | str
#: Rows a question may declare and names it may define: a question, not a data set.
MAX_ROWS = 32
MAX_NAMES = 64
MAX_TEXT_VALUE = 200
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")


_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _numbers_from_text(values: object) -> object:
    """YAML reads ``7e9`` (no dot) as text: a value written as a number is a number."""
    if isinstance(values, dict):
        return {k: (float(v.replace("_", "")) if isinstance(v, str) and _NUMBER_TEXT.match(v.strip()) else v)
                for k, v in values.items()}
    return values


def _check_names(names: dict[str, object], what: str) -> None:
    from question_bank.arith import RESERVED  # noqa: PLC0415 - arith imports nothing from here

    for name, value in names.items():
        if not _NAME_RE.match(name):
            raise ValueError(f"{what} name {name!r}: use letters, digits and '_' (a letter first, up to 40)")
        if name in RESERVED:
            raise ValueError(f"{what} name {name!r} is a function or constant of the arithmetic; choose another")
        if isinstance(value, str) and len(value) > MAX_TEXT_VALUE:
            raise ValueError(f"{what} {name!r}: a text value of {len(value)} characters; at most {MAX_TEXT_VALUE}")


class Params(_Strict):
    """A parameterised question: its numbers come from rows (one row per instance, a *variant*),
    so that a memorised number of one row earns nothing on another. Placeholders ``{{name}}`` or
    ``{{name:format}}`` in its texts and bare names in its numbers' ``expr`` are filled from the
    row (``question_bank.template``). A row is a row of the shared ``table`` (real model configs)
    by its key, plus the values given inline; a row that is not in the table gives all its values
    inline. ``values`` hold for every row (a row may override them); ``derive`` computes further
    names, in order, with the bank's safe arithmetic. The ``canonical`` row (default: the first)
    is the one the bank's probes were written for and the one shown when no variant was drawn."""

    table: str | None = Field(default=None, description="Name of a shared table in a tables/ folder, e.g. llm-configs.")
    rows: dict[str, dict[str, ParamValue]] = Field(
        description="Row key -> values given inline (may be empty for a table row). A list of keys is accepted.")
    canonical: str | None = Field(default=None, description="The row the bank's probes were written for; default: the first.")
    values: dict[str, ParamValue] = Field(default_factory=dict, description="Values shared by every row.")
    derive: dict[str, str] = Field(default_factory=dict, description="Names computed from the others, in order: name -> expr.")

    @field_validator("rows", mode="before")
    @classmethod
    def _row_list(cls, v: object) -> object:
        """``rows: [llama-3-8b, mistral-7b-v0.1]``: table rows with nothing added."""
        if isinstance(v, list):
            if not all(isinstance(k, str) for k in v):
                raise ValueError("a list of rows holds row keys (text)")
            return {k: {} for k in v}
        return {k: ({} if x is None else _numbers_from_text(x)) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("values", mode="before")
    @classmethod
    def _values(cls, v: object) -> object:
        return _numbers_from_text(v)

    @model_validator(mode="after")
    def _shape(self) -> Params:
        if not self.rows:
            raise ValueError("declare at least one row")
        if len(self.rows) > MAX_ROWS:
            raise ValueError(f"{len(self.rows)} rows; at most {MAX_ROWS}")
        for key, row in self.rows.items():
            if not _ID_RE.match(key):
                raise ValueError(f"row {key!r}: use lowercase letters, digits, '-', '_' or '.'")
            _check_names(row, f"row {key!r}:")
        _check_names(self.values, "value")
        _check_names(dict.fromkeys(self.derive, 0), "derived")
        if len(self.values) + len(self.derive) + max(map(len, self.rows.values())) > MAX_NAMES:
            raise ValueError(f"more than {MAX_NAMES} names; a question needs a few")
        if self.canonical is not None and self.canonical not in self.rows:
            raise ValueError(f"canonical row {self.canonical!r} is not one of the rows ({', '.join(self.rows)})")
        return self

    @property
    def canonical_row(self) -> str:
        return self.canonical or next(iter(self.rows))


class ConfigTable(_Strict):
    """A shared table of real configs (``tables/<name>.yaml`` next to the bank files), drawn from by
    parameterised questions. Every number must be checked against its primary source (the model's
    official config.json or paper), named in ``source`` per row and explained in ``sources``.
    ``derive`` computes columns from the others (a parameter count from the dimensions): a row
    that states such a column must agree with it exactly, so each stated count is recomputed."""

    table: Slug = Field(description="The name questions use in params.table.")
    title: str | None = None
    sources: str | None = Field(default=None, description="Where the numbers come from and how they were checked.")
    columns: dict[str, str] = Field(default_factory=dict, description="What each column means.")
    derive: dict[str, str] = Field(default_factory=dict, description="Columns computed from the others: name -> expr.")
    rows: dict[str, dict[str, ParamValue]] = Field(min_length=1)

    @field_validator("rows", mode="before")
    @classmethod
    def _row_numbers(cls, v: object) -> object:
        return {k: _numbers_from_text(x) for k, x in v.items()} if isinstance(v, dict) else v


    @model_validator(mode="after")
    def _shape(self) -> ConfigTable:
        if len(self.rows) > 256:
            raise ValueError(f"{len(self.rows)} rows; a table holds at most 256")
        for key, row in self.rows.items():
            if not _ID_RE.match(key):
                raise ValueError(f"row {key!r}: use lowercase letters, digits, '-', '_' or '.'")
            _check_names(row, f"row {key!r}:")
        _check_names(dict.fromkeys(self.derive, 0), "derived")
        return self


QuestionKind = Literal["concept", "numeric", "coding", "design"]
QUESTION_KINDS: tuple[str, ...] = ("concept", "numeric", "coding", "design")


class Question(_Strict):
    id: Slug
    topic: Slug
    subtopic: str = ""
    difficulty: Difficulty
    kind: QuestionKind = "concept"
    text: Text
    reference_answer: Text
    rubric: Rubric = Field(default_factory=Rubric)
    follow_ups: list[FollowUp] = Field(default_factory=list)
    probes: list[Probe] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    params: Params | None = Field(default=None, description="Rows of numbers the question is asked with (a variant each).")
    # A parameterised question's instances (question_bank.variants): the row it was rendered with,
    # that row's names, and every row's instance (shared by all of them).
    _variant: str | None = PrivateAttr(default=None)
    _names: dict | None = PrivateAttr(default=None)
    _instances: dict | None = PrivateAttr(default=None)


    @field_validator("follow_ups", mode="before")
    @classmethod
    def _plain_follow_ups(cls, v: object) -> object:
        """A follow-up may be just its text ({en, zh}), as in version 1 banks."""
        if not isinstance(v, list):
            return v
        out = []
        for i, item in enumerate(v):
            if isinstance(item, dict) and "text" not in item and set(item) <= {"en", "zh"}:
                item = {"id": f"f{i + 1}", "text": item}
            elif isinstance(item, str):
                item = {"id": f"f{i + 1}", "text": {"en": item}}
            out.append(item)
        return out

    @model_validator(mode="after")
    def _follow_up_ids(self) -> Question:
        points = {kp.id for kp in self.rubric.key_points}
        seen: set[str] = set()
        for i, f in enumerate(self.follow_ups):
            if not f.id:
                f.id = f"f{i + 1}"
            if f.id in seen:
                raise ValueError(f"duplicate follow-up id {f.id!r}")
            seen.add(f.id)
            unknown = [t for t in f.targets if t not in points]
            if unknown and points:
                raise ValueError(f"follow-up {f.id!r} targets unknown key point {unknown[0]!r}")
        return self

    def follow_up_question(self, follow_up: FollowUp) -> Question:
        """A follow-up as a gradable question of its own (id ``<question>~<follow-up>``). Built
        from parts already validated, without the id check: ``~`` cannot occur in a bank's ids,
        which is what keeps these ids apart from them."""
        return Question.model_construct(
            id=f"{self.id}~{follow_up.id}",
            topic=self.topic,
            subtopic=self.subtopic,
            difficulty=self.difficulty,
            text=follow_up.text,
            reference_answer=follow_up.reference_answer or follow_up.text,
            rubric=follow_up.rubric,
            tags=self.tags,
        )

    def languages(self) -> list[str]:
        return [lang for lang in LANGS if lang == "en" or self.text.zh]


class BankFile(_Strict):
    """One YAML file of the bank. ``topic`` and ``title`` apply to every question that does not
    name its own topic. ``probes`` adds graded example answers to questions by id (of this or any
    other file): probes written apart from the rubric, by someone who has not seen its wording, test
    it honestly."""

    topic: str | None = None
    title: Text | None = None
    questions: list[Question] = Field(default_factory=list)
    probes: dict[str, list[Probe]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _inherit_topic(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("topic") and isinstance(data.get("questions"), list):
            for q in data["questions"]:
                if isinstance(q, dict):
                    q.setdefault("topic", data["topic"])
        return data

"""Question-bank data: the single source of truth for bank YAML files and their JSON Schema.

The rubric lives here rather than in ``rubrics/`` because it is part of a question's data;
``rubrics`` (the judges) depends on this package, never the other way round.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = ("en", "zh")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


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


class KeyPoint(_Strict):
    """One thing an interviewer listens for. ``aliases`` are whole phrasings of the point (any one
    is strong evidence); ``keywords`` are the concepts it is made of (coverage is the share present)."""

    id: str
    text: Text
    weight: float = Field(default=1.0, gt=0, le=10)
    aliases: Terms = Field(default_factory=Terms)
    keywords: Terms = Field(default_factory=Terms)

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("use lowercase letters, digits, '-', '_' or '.'")
        return v


class Misconception(_Strict):
    """A wrong claim that costs ``penalty`` points (0-10 scale) when an answer makes it.
    ``signals`` are phrasings of the wrong claim, used by the offline judge."""

    id: str
    text: Text
    penalty: float = Field(default=1.0, gt=0, le=10)
    signals: Terms = Field(default_factory=Terms)


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
        return self


class Question(_Strict):
    id: str
    topic: str
    subtopic: str = ""
    difficulty: Difficulty
    text: Text
    reference_answer: Text
    rubric: Rubric = Field(default_factory=Rubric)
    follow_ups: list[Text] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @field_validator("id", "topic")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("use lowercase letters, digits, '-', '_' or '.'")
        return v

    def languages(self) -> list[str]:
        return [lang for lang in LANGS if lang == "en" or self.text.zh]


class BankFile(_Strict):
    """One YAML file of the bank. ``topic`` and ``title`` apply to every question that does not
    name its own topic."""

    topic: str | None = None
    title: Text | None = None
    questions: list[Question]

    @model_validator(mode="before")
    @classmethod
    def _inherit_topic(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("topic") and isinstance(data.get("questions"), list):
            for q in data["questions"]:
                if isinstance(q, dict):
                    q.setdefault("topic", data["topic"])
        return data

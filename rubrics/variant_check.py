"""Every row of a parameterised question must grade its own reference answer at full marks.

A row renders the reference answer and the rubric from the same numbers; if the offline judge does
not give that reference full marks, the template put a number where the rubric does not expect it
(or the reverse), and candidates asked with that row would be marked down for a correct answer.
``interviewer bank validate`` runs this on the parameterised questions; the bank tests run it too.
"""

from __future__ import annotations

from collections.abc import Iterable

from question_bank.models import Question
from question_bank.variants import rows, variant
from rubrics.judge import Judge

#: Full marks, less float noise.
FULL_MARKS = 9.95


def reference_problems(questions: Iterable[Question], judge: Judge | None = None) -> list[tuple[Question, str]]:
    """(question, one line) per row and language whose reference answer scores below full marks."""
    if judge is None:
        from rubrics.offline import OfflineJudge  # noqa: PLC0415 - loads the glossary: only when asked

        judge = OfflineJudge()
    out = []
    for q in questions:
        for row in rows(q):
            instance = variant(q, row)
            for lang in instance.languages():
                score = judge.grade(instance, instance.reference_answer.get(lang)).score or 0.0
                if score < FULL_MARKS:
                    out.append((q, f"question {q.id!r}, row {row!r}: the {lang} reference answer scores {score:.2f}/10 "
                                   "with the offline judge; each row's reference must score full marks (`interviewer "
                                   f"bank show {q.id} --variant {row}` shows what the row renders)"))
    return out

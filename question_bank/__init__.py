"""The question bank: questions, reference answers and rubrics, bundled and user-supplied."""

from question_bank.loader import Bank, BankError, load_bank
from question_bank.models import DIFFICULTIES, BankFile, KeyPoint, Misconception, Question, Rubric, Terms, Text

__all__ = [
    "DIFFICULTIES", "Bank", "BankError", "BankFile", "KeyPoint", "Misconception", "Question", "Rubric",
    "Terms", "Text", "load_bank",
]

"""Judging: verdict models, the judge protocol, the offline judge and the LLM judge.

Depends on ``question_bank`` only. Heavy backends (litellm) are imported lazily by their modules.
"""

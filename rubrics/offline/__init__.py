"""The offline judge: grades against the rubric by text alone (no network, no key, no model)."""

from rubrics.offline.judge import OfflineJudge

__all__ = ["OfflineJudge"]

"""Small builders shared by tests: synthetic banks that do not depend on the bundled content."""

from __future__ import annotations

from question_bank.loader import Bank
from question_bank.models import Question

DIFFS = ("easy", "medium", "hard")


def make_question(qid: str, topic: str, difficulty: str = "easy", points: list[tuple[str, list[str]]] | None = None,
                  reference: str | None = None) -> Question:
    points = points or [("p1", ["alpha"]), ("p2", ["beta"])]
    return Question.model_validate(
        {
            "id": qid,
            "topic": topic,
            "difficulty": difficulty,
            "text": {"en": f"Question {qid}?", "zh": f"问题 {qid}？"},
            "reference_answer": {"en": reference or " ".join(k for _, ks in points for k in ks) + "."},
            "rubric": {
                "key_points": [
                    {"id": pid, "text": {"en": " ".join(ks)}, "keywords": {"en": ks}} for pid, ks in points
                ]
            },
        }
    )


def synthetic_bank(topics: dict[str, int]) -> Bank:
    """``{topic: n}`` -> a bank with n questions per topic, difficulties rotating."""
    bank = Bank()
    for topic, n in topics.items():
        for i in range(n):
            q = make_question(f"{topic}-{i:02d}", topic, DIFFS[i % 3])
            bank.questions[q.id] = q
    return bank


def judge_notes_removed(stderr: str) -> list[str]:
    """stderr's lines without the judge announcements printed before an interview (the setup hint,
    the "never checked" note or warning), which tests of other messages do not care about."""
    return [l for l in stderr.splitlines()
            if not l.startswith(("hint: no judge", "note: the offline judge", "warning: judge ", "warning: the offline judge"))]


def wait_for(check, timeout: float = 60.0, what: str = "condition"):  # noqa: ANN001, ANN201
    """Poll ``check`` until it returns something true (returned), or fail after ``timeout`` seconds:
    how the tests wait for another process without assuming how long it takes."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ladder_question(qid: str, topic: str = "ladder", difficulty: str = "easy") -> Question:
    """A question with key points p1 ("alpha", weight 2) and p2 ("beta") and a three-rung ladder of
    follow-ups: f-mech (mechanism, probes p1, "gamma"), f-trade (trade-off, probes p2, "delta") and
    f-num (numbers, probes nothing, "epsilon")."""
    q = make_question(qid, topic, difficulty, [("p1", ["alpha"]), ("p2", ["beta"])])
    q.rubric.key_points[0].weight = 2.0

    def rung(fid: str, level: str, word: str, targets: list[str]) -> dict:
        return {"id": fid, "level": level, "targets": targets,
                "text": {"en": f"Follow-up {fid} of {qid}: what about {word}?", "zh": f"{qid} 的追问 {fid}：{word} 呢？"},
                "reference_answer": {"en": f"It is {word}."},
                "rubric": {"key_points": [{"id": f"{fid}-k", "text": {"en": word}, "keywords": {"en": [word]}}]}}

    data = q.model_dump()
    data["follow_ups"] = [rung("f-mech", "mechanism", "gamma", ["p1"]), rung("f-trade", "trade_off", "delta", ["p2"]),
                          rung("f-num", "numbers", "epsilon", [])]
    return Question.model_validate(data)


def ladder_bank(n: int = 3) -> Bank:
    bank = Bank()
    for i in range(n):
        q = ladder_question(f"ladder-{i:02d}", difficulty=DIFFS[i % 3])
        bank.questions[q.id] = q
    return bank

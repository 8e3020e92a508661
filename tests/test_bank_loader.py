"""Bank models and loader: valid files load, every bad file gives one line naming file:line, id, field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from question_bank.loader import BANK_ENV, BankError, load_bank, load_file
from question_bank.models import BankFile, Question

EXAMPLE = Path(__file__).parents[1] / "question_bank" / "examples" / "custom_bank.yaml"


def _question(qid: str = "q-one", **over) -> dict:
    q = {
        "id": qid,
        "difficulty": "easy",
        "text": {"en": "What is a KV cache?", "zh": "什么是 KV cache？"},
        "reference_answer": {"en": "It stores keys and values of past tokens."},
        "rubric": {"key_points": [{"id": "stores-kv", "text": {"en": "stores keys and values"}, "weight": 2}]},
    }
    q.update(over)
    return q


def _write(tmp_path: Path, data, name: str = "bank.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def test_example_bank_loads_and_inherits_topic():
    qs = load_file(EXAMPLE)
    assert [q.id for q in qs] == ["example-attention-scaling"]
    assert qs[0].topic == "attention"
    assert qs[0].rubric.key_points[0].weight == 2
    assert qs[0].text.get("zh").startswith("缩放")
    assert qs[0].text.get("fr") == qs[0].text.en


def test_missing_chinese_falls_back_to_english():
    q = Question.model_validate({**_question(), "topic": "inference"})
    assert q.reference_answer.get("zh") == "It stores keys and values of past tokens."
    assert q.languages() == ["en", "zh"]


def test_user_bank_is_added_to_builtin(tmp_path):
    p = _write(tmp_path, {"topic": "mytopic", "questions": [_question()]})
    bank = load_bank([p])
    assert "q-one" in bank.questions
    assert bank.questions["q-one"].topic == "mytopic"
    assert bank.sources["q-one"] == p
    only = load_bank([p], include_builtin=False)
    assert list(only.questions) == ["q-one"]


def test_env_var_adds_a_folder(tmp_path, monkeypatch):
    folder = tmp_path / "banks"
    folder.mkdir()
    _write(folder, {"topic": "envtopic", "questions": [_question("env-q")]}, "a.yml")
    monkeypatch.setenv(BANK_ENV, str(folder))
    assert load_bank(include_builtin=False).questions["env-q"].topic == "envtopic"


def test_invalid_field_names_file_line_id_and_field(tmp_path):
    bad = _question()
    bad["rubric"]["key_points"][0]["weight"] = -1
    p = _write(tmp_path, {"topic": "t", "questions": [_question("fine"), bad]})
    with pytest.raises(BankError) as e:
        load_file(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:")
    assert "'q-one'" in msg and "rubric.key_points.0.weight" in msg and "greater than 0" in msg
    line = int(msg.split(":")[1])
    assert "weight: -1" in p.read_text().splitlines()[line - 1]
    assert "\n" not in msg


def test_unknown_difficulty_and_extra_field(tmp_path):
    p = _write(tmp_path, {"topic": "t", "questions": [_question(difficulty="expert")]})
    with pytest.raises(BankError, match="field difficulty"):
        load_file(p)
    p = _write(tmp_path, {"topic": "t", "questions": [_question(answer="typo'd field")]})
    with pytest.raises(BankError, match="field answer: Extra inputs"):
        load_file(p)


def test_yaml_syntax_error_has_line(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("topic: t\nquestions:\n  - id: a\n    text: {en: 'unclosed\n  - id: b\n", encoding="utf-8")
    with pytest.raises(BankError, match=r"broken\.yaml:\d+: invalid YAML"):
        load_file(p)


def test_a_key_written_twice_is_refused_not_silently_replaced(tmp_path):
    p = tmp_path / "twice.yaml"
    p.write_text("topic: t\nquestions:\n  - id: q-a\n    difficulty: easy\n"
                 "    text:\n      en: What is a KV cache?\n      zh: 第一个\n      zh: 第二个\n"
                 "    reference_answer: {en: It stores keys and values.}\n", encoding="utf-8")
    with pytest.raises(BankError, match=r"twice\.yaml:8: key 'zh' appears twice in one mapping \(first on line 7\)"):
        load_file(p)
    ok = tmp_path / "merge.yaml"  # a YAML merge key (<<) is not a duplicate
    ok.write_text("topic: t\nbase: &b {difficulty: easy}\nquestions:\n  - <<: *b\n    id: q-b\n"
                  "    text: {en: What is a KV cache?}\n    reference_answer: {en: It stores keys and values.}\n",
                  encoding="utf-8")
    with pytest.raises(BankError) as e:  # 'base' is an unknown top-level field: validation, not the key check
        load_file(ok)
    assert "appears twice" not in str(e.value)


def test_duplicate_ids_rejected_within_and_across_files(tmp_path):
    p = _write(tmp_path, {"topic": "t", "questions": [_question(), _question()]})
    with pytest.raises(BankError, match="duplicate question id 'q-one'"):
        load_file(p)
    a = _write(tmp_path, {"topic": "t", "questions": [_question()]}, "a.yaml")
    b = _write(tmp_path, {"topic": "t", "questions": [_question()]}, "b.yaml")
    with pytest.raises(BankError, match="also in"):
        load_bank([a, b], include_builtin=False)


def test_duplicate_key_point_ids_rejected(tmp_path):
    q = _question()
    q["rubric"]["key_points"].append(dict(q["rubric"]["key_points"][0]))
    p = _write(tmp_path, {"topic": "t", "questions": [q]})
    with pytest.raises(BankError, match="duplicate key point id 'stores-kv'"):
        load_file(p)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(BankError, match="no such bank file or folder"):
        load_bank([tmp_path / "nope.yaml"])


def test_select_unknown_topic_lists_known(tmp_path):
    p = _write(tmp_path, {"topic": "alpha", "questions": [_question()]})
    bank = load_bank([p], include_builtin=False)
    with pytest.raises(BankError, match="unknown topic 'beta'; known topics: alpha"):
        bank.select(["beta"])


def test_stats_shape(tmp_path):
    p = _write(tmp_path, {"topic": "alpha", "questions": [_question(), _question("q-two", difficulty="hard", text={"en": "x"})]})
    stats = load_bank([p], include_builtin=False).stats()
    assert stats == {
        "questions": 2,
        "topics": {"alpha": {"easy": 1, "medium": 0, "hard": 1}},
        "languages": {"en": 2, "zh": 1},
        "kinds": {"concept": 2, "numeric": 0, "coding": 0, "design": 0},
        "probes": 0,
        "follow_ups": 0,
        "parameterised": 0,
        "variants": 0,
    }


def test_json_schema_is_generated_from_models():
    schema = BankFile.model_json_schema()
    assert "questions" in schema["properties"]
    q = schema["$defs"]["Question"]
    assert set(q["required"]) >= {"id", "topic", "difficulty", "text", "reference_answer"}
    assert q["properties"]["difficulty"]["enum"] == ["easy", "medium", "hard"]
    json.dumps(schema)  # serialisable for editors


def test_validate_reports_every_mistake_of_every_file(tmp_path, cli):
    """One line per mistake, in every file of a folder, not just the first with "(+2 more)"."""
    folder = tmp_path / "mine"
    folder.mkdir()
    _write(folder, {"topic": "t", "questions": [_question("Bad Id"), _question("q-2", difficulty="extreme")]}, "a.yaml")
    (folder / "b.yaml").write_text("topic: t\nquestions:\n  - id: q-3\n    difficulty: easy\n    text: {en: q}\n",
                                   encoding="utf-8")
    (folder / "c.yaml").write_text("questions: [\n", encoding="utf-8")
    _write(folder, {"topic": "t", "questions": [_question("q-ok")]}, "d.yaml")
    code, _, err = cli("bank", "validate", str(folder))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 5 and lines[-1] == "4 mistakes in 3 files", lines
    mistakes = lines[:-1]
    assert all(ln.startswith("error: ") and "more" not in ln for ln in mistakes)
    assert any("a.yaml:" in ln and "'Bad Id', field id" in ln for ln in mistakes)
    assert any("a.yaml:" in ln and "'q-2', field difficulty" in ln for ln in mistakes)
    assert any("b.yaml:3:" in ln and "field reference_answer" in ln for ln in mistakes)
    assert any("c.yaml:" in ln and "invalid YAML" in ln for ln in mistakes)


def test_loading_a_bank_with_several_mistakes_names_the_first_and_counts_the_rest(tmp_path):
    p = _write(tmp_path, {"topic": "t", "questions": [_question("Bad Id"), _question("q-2", difficulty="extreme")]})
    with pytest.raises(BankError) as e:
        load_bank([p], include_builtin=False)
    assert "field id" in str(e.value) and "(+1 more; `interviewer bank validate` lists each)" in str(e.value)
    assert len(e.value.problems) == 2


def test_one_file_named_twice_loads_once(tmp_path, monkeypatch):
    """A session remembers its bank by absolute path and the user passes --bank again (relative),
    or names a folder and a file in it: the same file is one bank, not a duplicate id."""
    folder = tmp_path / "mine"
    folder.mkdir()
    p = _write(folder, {"topic": "alpha", "questions": [_question()]})
    monkeypatch.chdir(folder)
    bank = load_bank([p, Path("bank.yaml"), folder], include_builtin=False)
    assert list(bank.questions) == ["q-one"]


def test_regrade_with_the_sessions_own_bank_named_again(tmp_path, cli, monkeypatch):
    p = _write(tmp_path, {"topic": "alpha", "questions": [_question()]})
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"question_id": "q-one", "answer": "It stores keys and values of past tokens."}) + "\n",
                       encoding="utf-8")
    data = str(tmp_path / "d")
    code, _, err = cli("start", "--bank", str(p), "--topic", "alpha", "--count", "1", "--follow-ups", "0",
                       "--answers", str(answers), "--data-dir", data)
    assert code == 0, err
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("regrade", "latest", "--all", "--bank", "bank.yaml", "--data-dir", data)
    assert code == 0 and "1 graded" in out, err

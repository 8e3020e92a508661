"""Parameterised questions as bank writers see them: placeholders and formats, rows drawn from the
shared table and inline, derived names, and one clear line for every mistake in a template (a
hostile bank file can neither run code nor hang the loader)."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import yaml

from question_bank.loader import BankError, check_bank, load_bank, load_tables
from question_bank.template import TemplateError, format_number, placeholders, render
from question_bank.variants import row_of, row_title, row_values, rows, variant

QID = "inference-kv-demo"


def kv_question(**params: object) -> dict:
    """A KV-cache question drawn from the shared table, with an inline context per row."""
    return {
        "id": QID, "difficulty": "medium", "kind": "numeric",
        "params": {
            "table": "llm-configs",
            "rows": {"llama-3-8b": {"context": 131072}, "mistral-7b-v0.1": {"context": 32768},
                     "qwen2.5-7b": {"context": 32768}},
            "values": {"bytes": 2},
            "derive": {"per_token": "2*layers*kv_heads*head_dim*bytes", "total": "per_token*context"},
            **params,
        },
        "text": {"en": "How large is the BF16 KV cache of {{name}} ({{layers}} layers, {{kv_heads}} KV heads of dim "
                       "{{head_dim}}) for {{context:,}} tokens?",
                 "zh": "{{name}}（{{layers}} 层、{{kv_heads}} 个 KV 头）在 {{context:,}} 个 token 时的 KV cache 多大？"},
        "reference_answer": {
            "en": "Per token 2 x {{layers}} x {{kv_heads}} x {{head_dim}} x 2 bytes = {{per_token:,}} bytes, "
                  "{{per_token:KiB}}. For {{context:,}} tokens that is {{total:GiB}} per sequence.",
            "zh": "每个 token 2 x {{layers}} x {{kv_heads}} x {{head_dim}} x 2 字节 = {{per_token:,}} 字节，"
                  "即 {{per_token:KiB}}；{{context:,}} 个 token 共 {{total:GiB}}。"},
        "rubric": {"key_points": [
            {"id": "per-token", "text": {"en": "{{per_token:KiB}} per token", "zh": "每个 token {{per_token:KiB}}"},
             "keywords": {"en": ["per token"], "zh": ["每个 token"]},
             "paraphrases": {"en": ["each token costs {{per_token:KiB}}"], "zh": ["每个 token 占 {{per_token:KiB}}"]},
             "numbers": [{"value": 131072, "unit": "B", "tolerance": 0.02, "expr": "2*layers*kv_heads*head_dim*bytes",
                          "label": {"en": "KV per token of {{name}}"}}]},
            {"id": "total", "text": {"en": "{{total:GiB}} per sequence", "zh": "每条序列 {{total:GiB}}"},
             "keywords": {"en": ["sequence"], "zh": ["序列"]},
             "numbers": [{"value": 17179869184, "unit": "B", "tolerance": 0.02, "expr": "per_token*context"}]},
        ]},
        "follow_ups": [{"id": "fp8", "level": "numbers", "targets": ["total"],
                        "text": {"en": "And with an FP8 cache for {{name}}?", "zh": "{{name}} 用 FP8 缓存呢？"},
                        "reference_answer": {"en": "Half: {{total:GiB}} becomes half as much."}}],
    }


def write_bank(tmp_path: Path, *questions: dict, name: str = "bank.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"topic": "inference", "questions": list(questions)}, allow_unicode=True),
                    encoding="utf-8")
    return path


def problems_of(tmp_path: Path, *questions: dict) -> list[str]:
    return check_bank([write_bank(tmp_path, *questions)], include_builtin=False)[1]


def one_problem(tmp_path: Path, q: dict) -> str:
    problems = problems_of(tmp_path, q)
    assert len(problems) == 1, problems
    line = problems[0]
    assert "\n" not in line and str(tmp_path / "bank.yaml") in line and QID in line
    return line


# -- placeholders and formats -------------------------------------------------------------------

@pytest.mark.parametrize("value, spec, text", [
    (131072, "", "131072"), (131072, ",", "131,072"), (0.91666, "", "0.9167"), (38.86, ".1", "38.9"),
    (38.86, ".1f", "38.9"), (17179869184, "GiB", "16 GiB"), (9059696640, "GiB", "8.44 GiB"),
    (131072, "KiB", "128 KiB"), (13476831232, ".1GB", "13.5 GB"), (8030261248, ".2B", "8.03B"),
    (8030261248, ".2billion", "8.03 billion"), (8030261248, ".1亿", "80.3 亿"), (67108864, ".1M", "67.1M"),
    (0.3889, ".1%", "38.9%"), (1.26e19, "e", "1.26e19"), (8.4e22, "e", "8.4e22"), (3e8, "e", "3e8"),
    (1.0e15, ".1e", "1.0e15"), (20000, ",.2", "20,000.00"), (7, ".0", "7"), (2.5, "", "2.5"),
])
def test_number_formats(value, spec, text):
    assert format_number(value, spec) == text


def test_placeholders_fill_names_of_both_kinds_in_one_pass():
    names = {"name": "Llama {{layers}}", "layers": 32, "kv": 131072.0}
    assert render("{{ name }} has {{layers}} layers, {{kv:KiB}} ({{ kv : , }} bytes)", names) == \
        "Llama {{layers}} has 32 layers, 128 KiB (131,072 bytes)"  # a value is text, never a placeholder
    assert render('config: {"zero": {"stage": 3}} and {{"device": "cpu"}}', names) == \
        'config: {"zero": {"stage": 3}} and {{"device": "cpu"}}'  # braces of code samples stay text


@pytest.mark.parametrize("text, message", [
    ("{{layers:GiX}}", "unknown format 'GiX'"),
    ("{{ layers * 2 }}", "is not a placeholder"),
    ("{{layers", "is not closed"),
    ("{{nope}}", "unknown name 'nope'"),
    ("{{name:,}}", "is a text"),
])
def test_template_mistakes_say_what_to_write(text, message):
    with pytest.raises(TemplateError, match=message):
        render(text, {"name": "Llama", "layers": 32})


def test_placeholders_lists_name_and_format():
    assert placeholders("{{a}} and {{ b:,.1GiB }}") == [("a", None), ("b", ",.1GiB")]


# -- a parameterised question, rendered per row ---------------------------------------------------

def test_every_row_is_rendered_from_the_same_numbers_in_both_languages(tmp_path):
    bank = load_bank([write_bank(tmp_path, kv_question())], include_builtin=False)
    q = bank.get(QID)
    assert rows(q) == ["llama-3-8b", "mistral-7b-v0.1", "qwen2.5-7b"]
    assert q is variant(q, None) and row_of(q) == "llama-3-8b"  # the bank holds the canonical instance
    canon, qwen = variant(q, "llama-3-8b"), variant(q, "qwen2.5-7b")
    assert canon is q and row_title(qwen) == "Qwen2.5-7B"
    assert qwen.text.en.startswith("How large is the BF16 KV cache of Qwen2.5-7B (28 layers, 4 KV heads of dim 128)")
    assert qwen.text.zh.startswith("Qwen2.5-7B（28 层、4 个 KV 头）在 32,768 个 token")
    assert "57,344 bytes, 56 KiB" in qwen.reference_answer.en and "1.75 GiB" in qwen.reference_answer.en
    assert "57,344 字节" in qwen.reference_answer.zh and "1.75 GiB" in qwen.reference_answer.zh
    point, total = qwen.rubric.key_points
    assert point.text.en == "56 KiB per token" and point.paraphrases.zh == ["每个 token 占 56 KiB"]
    # the checks follow the row: value recomputed, expr written as the row's arithmetic
    assert (point.numbers[0].value, point.numbers[0].expr) == (57344, "2*28*4*128*2")
    assert point.numbers[0].label.en == "KV per token of Qwen2.5-7B"
    assert total.numbers[0].value == 57344 * 32768
    assert qwen.follow_ups[0].text.en == "And with an FP8 cache for Qwen2.5-7B?"
    # the canonical row keeps the values the writer stated (checked against the same arithmetic)
    assert canon.rubric.key_points[1].numbers[0].value == 17179869184
    assert row_values(qwen)["total"] == 57344 * 32768 and row_values(qwen)["bytes"] == 2
    assert variant(q, "no-longer-a-row") is q  # a row the bank lost: the canonical instance
    stats = bank.stats()
    assert stats["parameterised"] == 1 and stats["variants"] == 3


def test_inline_rows_need_no_table_and_a_row_may_override_shared_values(tmp_path):
    q = kv_question()
    q["params"] = {"rows": {"small": {"n": 7e9}, "big": {"n": 70e9, "bytes": 1}}, "values": {"bytes": 2},
                   "canonical": "big", "derive": {"weights": "n*bytes"}}
    q["text"] = {"en": "How much memory do {{n:.0B}} parameters take at {{bytes}} bytes each?"}
    q["reference_answer"] = {"en": "{{weights:GB}}."}
    q["rubric"] = {"key_points": [{"id": "w", "text": {"en": "{{weights:GB}}"},
                                   "numbers": [{"value": 7e10, "unit": "B", "expr": "n*bytes"}]}]}
    q["follow_ups"] = []
    bank = load_bank([write_bank(tmp_path, q)], include_builtin=False)
    qq = bank.get(QID)
    assert rows(qq) == ["big", "small"] and qq.text.en == "How much memory do 70B parameters take at 1 bytes each?"
    assert variant(qq, "small").reference_answer.en == "14 GB." and variant(qq, "small").rubric.key_points[0].numbers[0].value == 1.4e10


def test_yaml_numbers_without_a_dot_are_numbers(tmp_path):
    path = tmp_path / "bank.yaml"
    q = yaml.safe_dump({"topic": "inference", "questions": [kv_question()]}, allow_unicode=True)
    path.write_text(q.replace("bytes: 2", "bytes: 2e0"), encoding="utf-8")  # YAML 1.1 reads 2e0 as text
    assert variant(load_bank([path], include_builtin=False).get(QID), "qwen2.5-7b").rubric.key_points[0].numbers[0].value == 57344


# -- mistakes: one line each, naming file, question, row and field ----------------------------------

def test_each_template_mistake_is_one_line_naming_the_field(tmp_path):
    cases = {
        "unknown name": (lambda q: q["text"].update(en="{{layrs}} layers?"), ["row 'llama-3-8b'", "field text.en",
                                                                             "unknown name 'layrs'"]),
        "bad format": (lambda q: q["reference_answer"].update(zh="{{total:GiX}}"), ["field reference_answer.zh",
                                                                                   "unknown format 'GiX'"]),
        "expression": (lambda q: q["rubric"]["key_points"][0]["paraphrases"]["en"].append("{{total/2}}"),
                       ["field rubric.key_points.0.paraphrases.en.1", "is not a placeholder"]),
        "unknown row": (lambda q: q["params"]["rows"].update({"llama-9-9b": {}}),
                        ["row 'llama-9-9b'", "is not in table 'llm-configs'"]),
        "unknown table": (lambda q: q["params"].update(table="llm-confs"), ["unknown table 'llm-confs'"]),
        "bad derive": (lambda q: q["params"]["derive"].update(total="per_token*contxt"),
                       ["field params.derive.total", "unknown name 'contxt'"]),
        "fact typo": (lambda q: q["rubric"]["key_points"][1]["numbers"][0].update(expr="per_token*contxt"),
                      ["field rubric.key_points.1.numbers.0.expr", "unknown name 'contxt'"]),
        "canonical": (lambda q: q["params"].update(canonical="gpt-5"), ["canonical row 'gpt-5' is not one of the rows"]),
        "reserved": (lambda q: q["params"]["values"].update(sqrt=2), ["'sqrt' is a function or constant"]),
        "unused": (lambda q: [q.update(text={"en": "Q?"}, reference_answer={"en": "A."}, rubric={}, follow_ups=[])],
                   ["declares params but no text holds a {{placeholder}}"]),
    }
    for what, (edit, expected) in cases.items():
        q = kv_question()
        edit(q)
        line = one_problem(tmp_path, q)
        for part in expected:
            assert part in line, (what, line)


def test_a_value_that_disagrees_with_its_arithmetic_names_the_row(tmp_path):
    q = kv_question()
    q["rubric"]["key_points"][1]["numbers"][0]["value"] = 9e9  # the canonical row's total is 16 GiB
    line = one_problem(tmp_path, q)
    assert "(row 'llama-3-8b')" in line and "value 9e+09 but its expr '131072*131072' gives 1.71799e+10" in line


def test_a_placeholder_in_a_question_without_params_is_a_mistake(tmp_path):
    q = kv_question()
    del q["params"]
    line = one_problem(tmp_path, q)
    assert "is a placeholder, but the question declares no params" in line and "field " in line


def test_the_cli_prints_one_line_per_mistake(tmp_path, cli):
    q = kv_question()
    q["text"]["en"] = "{{layrs}}?"
    code, out, err = cli("bank", "validate", str(write_bank(tmp_path, q)))
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("error: ") and "unknown name 'layrs'" in err


def test_validate_grades_every_rows_reference_with_the_offline_judge(tmp_path, cli):
    good = write_bank(tmp_path, kv_question())
    code, out, err = cli("bank", "validate", str(good))
    assert code == 0, err
    q = kv_question()
    # the reference states the canonical row's numbers on every row: the other rows' checks refuse them
    q["reference_answer"]["en"] = "Each token costs 128 KiB. For the context that is 16 GiB per sequence."
    code, out, err = cli("bank", "validate", str(write_bank(tmp_path, q, name="stale.yaml")))
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert lines and all("the en reference answer scores" in ln for ln in lines)
    assert {ln.split("row ")[1].split(":")[0] for ln in lines} == {"'mistral-7b-v0.1'", "'qwen2.5-7b'"}


# -- the shared table ---------------------------------------------------------------------------------

def test_every_table_number_recomputes_and_a_wrong_count_is_refused(tmp_path):
    tables, problems = load_tables()
    assert not problems
    llm = tables["llm-configs"]
    assert llm.rows["llama-3-8b"]["params"] == 8_030_261_248 and llm.rows["gemma-2-9b"]["tied"] == 1
    assert all(isinstance(r.get("source"), str) and r["source"] for r in llm.spec.rows.values())
    bank_dir = tmp_path / "bank"
    (bank_dir / "tables").mkdir(parents=True)
    spec = copy.deepcopy(llm.spec.model_dump())
    spec["table"] = "my-configs"
    spec["rows"]["llama-3-8b"]["params"] = 8_030_261_249  # one parameter off
    (bank_dir / "tables" / "mine.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    q = kv_question(table="my-configs")
    write_bank(bank_dir, q)
    _, problems = check_bank([bank_dir], include_builtin=False)
    assert len(problems) == 1 and "table 'my-configs' row 'llama-3-8b': params is 8030261249 but" in problems[0]
    assert "gives 8030261248" in problems[0] and "mine.yaml" in problems[0]


def test_a_folder_tables_are_not_read_as_questions(tmp_path):
    bank_dir = tmp_path / "bank"
    (bank_dir / "tables").mkdir(parents=True)
    (bank_dir / "tables" / "t.yaml").write_text(yaml.safe_dump(
        {"table": "tiny", "rows": {"a": {"n": 1}, "b": {"n": 2}}}), encoding="utf-8")
    q = kv_question()
    q["params"] = {"table": "tiny", "rows": ["a", "b"]}
    q["text"] = {"en": "What is {{n}}?"}
    q["reference_answer"] = {"en": "It is {{n}}."}
    q["rubric"], q["follow_ups"] = {}, []
    write_bank(bank_dir, q)
    bank = load_bank([bank_dir], include_builtin=False)
    assert len(bank) == 1 and variant(bank.get(QID), "b").text.en == "What is 2?"


# -- hostile files ---------------------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_a_hostile_bank_file_cannot_run_code_or_hang(tmp_path):
    marker = tmp_path / "pwned"
    attacks = {
        "import": {"derive": {"x": f"__import__('os').system('touch {marker}')"}},
        "attribute": {"derive": {"x": "(1).__class__"}},
        "huge power": {"derive": {"x": "9**9**9**9"}},
        "huge comb": {"derive": {"x": "comb(100000, 50000)*comb(100000, 50000)"}},
        "long literal": {"derive": {"x": "9" * 399}},
        "many rows": {"rows": {f"r{i}": {"n": i} for i in range(1000)}},
    }
    for what, params in attacks.items():
        q = kv_question()
        q["params"] = {"rows": {"a": {"n": 1}}, **params}
        q["text"] = {"en": "{{n}} {{x}}?" if "derive" in params else "{{n}}?"}
        start = time.monotonic()
        problems = problems_of(tmp_path, q)
        assert problems and all("\n" not in p for p in problems), what
        assert time.monotonic() - start < 20, what
    # placeholders that could backtrack: long runs of spaces and colons inside braces
    q = kv_question()
    q["text"] = {"en": "{{ a:" + " " * 200_000 + "x}} " + "{{" * 50_000}
    start = time.monotonic()
    assert problems_of(tmp_path, q)
    assert time.monotonic() - start < 20
    assert not marker.exists()

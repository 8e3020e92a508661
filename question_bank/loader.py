"""Load and validate bank YAML files: the bundled bank plus the user's own files and folders.

Every problem is reported as one line naming the file, the line, the question id and the field,
so that a user editing a YAML file can go straight to the mistake.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from question_bank.arith import recompute
from question_bank.models import DIFFICULTIES, QUESTION_KINDS, BankFile, ConfigTable, Question
from question_bank.variants import RenderError, Table, build_table, build_variants, first_placeholder, rows

BUILTIN_DIR = Path(__file__).parent / "data"
BANK_ENV = "INTERVIEWER_BANK"
#: Shared tables of a bank folder live in this subfolder (``question_bank.variants``).
TABLES_DIR = "tables"

try:  # the C loader is ~10x faster on the bundled bank
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-python PyYAML
    _Loader = yaml.SafeLoader


CACHE_ENV = "INTERVIEWER_CACHE_DIR"
#: Bumped when parsing gets stricter, so a file cached under older rules is parsed (and checked) again.
CACHE_FORMAT = 2
_cache_home: Path | None = None


def use_cache_dir(path: Path | None) -> None:
    """Keep the parsed-bank cache in ``path`` (the interviewer puts it in a data dir the user chose);
    ``$INTERVIEWER_CACHE_DIR`` still wins."""
    global _cache_home
    _cache_home = path


def chosen_cache_dir() -> Path | None:
    """What ``use_cache_dir`` set, if anything."""
    return _cache_home


def _cache_dir() -> Path | None:
    """Read per call: the env var may change within a process (tests, embedding applications)."""
    env = os.environ.get(CACHE_ENV, "").strip()
    return Path(env).expanduser() if env else (_cache_home or _default_cache_dir())


@functools.lru_cache(maxsize=1)
def _default_cache_dir() -> Path | None:
    try:
        import platformdirs
    except ImportError:  # pragma: no cover
        return None
    return Path(platformdirs.user_cache_dir("mock-interview-grader", appauthor=False))


#: A bank file is text a person wrote: more than this is a mistake or an attack, not a bank.
MAX_BANK_FILE_BYTES = 16 * 1024 * 1024
#: Values in a file once YAML aliases are expanded. The bundled files hold ~10k each; a "billion
#: laughs" file of 305 bytes expands to 10^9 (and took ~1 GB of RAM and a 480 MB cache file).
MAX_YAML_VALUES = 2_000_000
MAX_YAML_DEPTH = 100


def _parse_yaml(path: Path, text: str) -> tuple[object, Path | None]:
    """YAML parsing dominates start-up (~0.8 s for the bundled bank even with libyaml), so the parsed
    data is cached as JSON keyed by the file's path, size and mtime. Validation still runs every time.
    Returns the data and the cache entry to write once the data has passed validation (None when
    it came from the cache or there is no cache): a bank that fails validation is never cached."""
    st = path.stat()
    key = hashlib.sha1(f"{CACHE_FORMAT}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()
    cache = _cache_dir()
    entry = cache / "bank" / f"{key}.json" if cache else None
    if entry is not None and entry.is_file():
        try:
            return json.loads(entry.read_text(encoding="utf-8")), None
        except (OSError, ValueError):
            pass
    return _load_bounded(path, text), entry


def _load_bounded(path: Path, text: str) -> object:
    """``yaml.load``, refusing alias expansion beyond ``MAX_YAML_VALUES`` values, recursive aliases
    and nesting deeper than ``MAX_YAML_DEPTH``, before any of it is built in memory."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(path, node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_size(path: Path, root: yaml.Node) -> None:
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, expanded = stack.pop()
        kids = _children(node)
        if expanded:
            on_path.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(k)] for k in kids)
            if sizes[id(node)] > MAX_YAML_VALUES:
                raise BankError(f"{path}:{node.start_mark.line + 1}: YAML aliases (*name) expand this file to more "
                                f"than {MAX_YAML_VALUES:,} values; write the repeated parts out or remove the aliases")
            continue
        if id(node) in sizes:
            continue
        if depth > MAX_YAML_DEPTH:
            raise BankError(f"{path}:{node.start_mark.line + 1}: nested more than {MAX_YAML_DEPTH} levels deep; "
                            "a bank file is questions with a few fields each")
        if isinstance(node, yaml.MappingNode):
            _check_unique_keys(path, node)
        on_path.add(id(node))
        stack.append((node, depth, True))
        for k in kids:
            if id(k) in on_path:
                raise BankError(f"{path}:{k.start_mark.line + 1}: a YAML alias refers to the value that contains it; "
                                "remove the recursive alias")
            if id(k) not in sizes:
                stack.append((k, depth + 1, False))


def _check_unique_keys(path: Path, node: yaml.MappingNode) -> None:
    """YAML keeps the last of two equal keys without a word: a second ``zh:`` silently replaces
    the first text, a second ``key_points:`` a whole rubric. Refuse it instead."""
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            if key.value in seen:
                raise BankError(f"{path}:{key.start_mark.line + 1}: key {key.value!r} appears twice in one mapping "
                                f"(first on line {seen[key.value]}); YAML would keep only the last, so remove or rename one")
            seen[key.value] = key.start_mark.line + 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _cache_write(entry: Path | None, data: object) -> None:
    if entry is None:
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(entry)
    except (OSError, TypeError, ValueError):
        pass  # a cache that cannot be written only costs time


class BankError(Exception):
    """A bank that cannot be used; ``str()`` is one line that says what to fix, ``problems`` has
    one such line for every mistake found (``bank validate`` prints them all)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]

    @classmethod
    def of(cls, problems: list[str]) -> BankError:
        more = f" (+{len(problems) - 1} more; `interviewer bank validate` lists each)" if len(problems) > 1 else ""
        return cls(problems[0] + more, problems)


@dataclass
class Bank:
    questions: dict[str, Question] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.questions)

    def get(self, qid: str) -> Question:
        try:
            return self.questions[qid]
        except KeyError:
            raise BankError(f"unknown question id {qid!r}; `interviewer bank list` shows the ids") from None

    @property
    def topics(self) -> list[str]:
        return sorted({q.topic for q in self.questions.values()})

    def select(
        self, topics: Sequence[str] = (), difficulty: str | None = None, kind: str | None = None
    ) -> list[Question]:
        """Questions on ``topics`` (all when empty) at ``difficulty`` (any when None or 'mixed'), of
        ``kind`` (any when None)."""
        unknown = [t for t in topics if t not in set(self.topics)]
        if unknown:
            raise BankError(
                f"unknown topic {', '.join(map(repr, unknown))}; known topics: {', '.join(self.topics)}"
            )
        if difficulty not in (None, "mixed", *DIFFICULTIES):
            raise BankError(f"unknown difficulty {difficulty!r}; use easy, medium, hard or mixed")
        if kind not in (None, *QUESTION_KINDS):
            raise BankError(f"unknown kind {kind!r}; use {', '.join(QUESTION_KINDS)}")
        wanted = set(topics)
        return [
            q
            for q in self.questions.values()
            if (not wanted or q.topic in wanted)
            and (difficulty in (None, "mixed") or q.difficulty == difficulty)
            and (kind is None or q.kind == kind)
        ]

    def stats(self) -> dict:
        topics: dict[str, dict[str, int]] = {}
        langs = {"en": 0, "zh": 0}
        kinds = {k: 0 for k in QUESTION_KINDS}
        for q in self.questions.values():
            cell = topics.setdefault(q.topic, {d: 0 for d in DIFFICULTIES})
            cell[q.difficulty] += 1
            langs["en"] += 1
            langs["zh"] += 1 if q.text.zh else 0
            kinds[q.kind] += 1
        return {"questions": len(self.questions), "topics": dict(sorted(topics.items())), "languages": langs,
                "kinds": kinds, "probes": sum(len(q.probes) for q in self.questions.values()),
                "follow_ups": sum(len(q.follow_ups) for q in self.questions.values()),
                "parameterised": sum(1 for q in self.questions.values() if q.params),
                "variants": sum(len(rows(q)) for q in self.questions.values())}


def bank_paths(extra: Iterable[str | Path] = (), include_builtin: bool = True) -> list[Path]:
    """The bundled bank, then ``$INTERVIEWER_BANK`` (os.pathsep-separated), then ``extra``."""
    paths = [BUILTIN_DIR] if include_builtin else []
    env = os.environ.get(BANK_ENV, "")
    paths += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    paths += [Path(p) for p in extra]
    return paths


def _yaml_files(path: Path) -> list[Path]:
    """The bank files of a file or folder (a folder's ``tables/`` holds tables, not questions)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                      and TABLES_DIR not in p.relative_to(path).parts[:-1])
    if path.is_file():
        return [path]
    raise BankError(f"{path}: no such bank file or folder; pass a .yaml file or a folder of them")


def script_args(prog: str, doc: str | None, no_probes_help: str, argv: list[str] | None):  # noqa: ANN201
    """The bank and arguments (``files``, ``no_probes``) of a bank-checking script (``python -m
    question_bank.quality``, ``python -m rubrics.selfcheck``): the files or folders given, else the
    bundled bank. A bank that does not load is printed as one line and returned as None."""
    import argparse  # noqa: PLC0415
    import sys  # noqa: PLC0415

    ap = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="bank YAML files or folders (default: the bundled bank)")
    ap.add_argument("--no-probes", action="store_true", help=no_probes_help)
    args = ap.parse_args(argv)
    try:
        return load_bank([Path(f) for f in args.files], include_builtin=not args.files), args
    except BankError as e:
        print(f"error: {e}", file=sys.stderr)
        return None, args


def _table_files(roots: Iterable[Path]) -> list[Path]:
    """Tables visible to a bank: the bundled ones, then each folder's ``tables/`` (a file's: the
    ``tables/`` folder beside it)."""
    dirs: list[Path] = [BUILTIN_DIR / TABLES_DIR]
    for root in roots:
        d = root / TABLES_DIR if root.is_dir() else root.parent / TABLES_DIR
        if d.is_dir() and all(d.resolve() != x.resolve() for x in dirs):
            dirs.append(d)
    return [p for d in dirs if d.is_dir() for p in sorted(d.iterdir()) if p.suffix in (".yaml", ".yml") and p.is_file()]


def load_tables(roots: Iterable[Path] = ()) -> tuple[dict[str, Table], list[str]]:
    """Every table visible from ``roots`` by name, and one line per mistake in them."""
    tables: dict[str, Table] = {}
    where: dict[str, Path] = {}
    problems: list[str] = []
    for path in _table_files(roots):
        try:
            data = _read_yaml(path)[0]
            spec = ConfigTable.model_validate(data)
        except BankError as e:
            problems += e.problems
            continue
        except ValidationError as e:
            err = e.errors()[0]
            problems.append(f"{path}: table field {'.'.join(map(str, err['loc'])) or '(table)'}: {err['msg']}")
            continue
        if spec.table in tables:
            problems.append(f"{path}: table {spec.table!r} is also defined in {where[spec.table]}; names must be unique")
            continue
        table, bad = build_table(spec)
        problems += [f"{path}: {p}" for p in bad]
        tables[spec.table], where[spec.table] = table, path
    return tables, problems


@functools.lru_cache(maxsize=1)
def _builtin_tables() -> dict[str, Table]:
    return load_tables()[0]


def load_bank(extra: Iterable[str | Path] = (), include_builtin: bool = True) -> Bank:
    bank, problems = check_bank(extra, include_builtin)
    if problems:
        raise BankError.of(problems)
    return bank


def check_bank(extra: Iterable[str | Path] = (), include_builtin: bool = True) -> tuple[Bank, list[str]]:
    """Load every file it can and collect every mistake (one line each) instead of stopping at
    the first: the bank of the files that loaded, and the mistakes."""
    bank = Bank()
    roots = bank_paths(extra, include_builtin)
    tables, problems = load_tables([r for r in roots if r.exists()])
    probes: list[tuple[Path, dict]] = []
    seen: set[Path] = set()  # one file named twice (a session's bank and --bank, a folder and a file in it) loads once
    for root in roots:
        try:
            files = _yaml_files(root)
        except BankError as e:
            problems += e.problems
            continue
        for path in files:
            if (real := path.resolve()) in seen:
                continue
            seen.add(real)
            try:
                questions = load_file(path, bank, probes, tables)
            except BankError as e:
                problems += e.problems
                continue
            for q in questions:
                if q.id in bank.questions:
                    problems.append(
                        f"{path}: duplicate question id {q.id!r} (also in {bank.sources[q.id]}); ids must be unique"
                    )
                    continue
                bank.questions[q.id] = q
                bank.sources[q.id] = path
                for instance in (q._instances or {q.id: q}).values():
                    problems += [f"{path}: {p}" for p in fact_problems(instance)]
    for path, by_id in probes:
        for qid, items in by_id.items():
            if qid not in bank.questions:
                problems.append(f"{path}: probes for unknown question id {qid!r}; `interviewer bank list` shows the ids")
                continue
            bank.questions[qid].probes.extend(items)
    return bank, problems


def fact_problems(q: Question) -> list[str]:
    """Numbers whose own arithmetic (``expr``) gives another value: one of the two is wrong."""
    out = []
    rubrics = [("", q.rubric)] + [(f" follow-up {f.id}", f.rubric) for f in q.follow_ups if f.rubric]
    for where, rubric in rubrics:
        for kp in rubric.key_points:
            for fact in kp.numbers:
                got = recompute(fact.value, fact.tolerance, fact.expr) if fact.expr else None
                if got is not None:
                    row = f" (row {q._variant!r})" if q._variant else ""
                    out.append(
                        f"question {q.id!r}{row}{where} point {kp.id!r}: value {fact.value:g} but its expr "
                        f"{fact.expr!r} gives {got:.6g}; correct one of them"
                    )
    return out


def _read_yaml(path: Path) -> tuple[object, Path | None, str]:
    """(data, cache entry to write once it validates, text) of a YAML file; raises BankError."""
    try:
        size = path.stat().st_size
        if size > MAX_BANK_FILE_BYTES:
            raise BankError(f"{path}: {size:,} bytes is too large for a bank file (the limit is "
                            f"{MAX_BANK_FILE_BYTES // 2**20} MiB); split it into several files")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BankError(f"{path}: cannot read ({e.__class__.__name__}: {e}); save it as UTF-8 text") from None
    try:
        data, cache_entry = _parse_yaml(path, text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise BankError(f"{where}: invalid YAML: {problem}") from None
    return data, cache_entry, text


def load_file(path: Path, bank: Bank | None = None, probes: list | None = None,
              tables: dict[str, Table] | None = None) -> list[Question]:
    """The questions of one file; its ``probes`` section, if any, is appended to ``probes`` as
    (path, {question id: [Probe]}) for the caller to attach once every file is loaded. A
    parameterised question is returned as its canonical instance, every row rendered (``tables``:
    the tables it may draw from; default: the bundled ones)."""
    data, cache_entry, text = _read_yaml(path)
    raw = data
    if isinstance(data, list):
        data = {"questions": data}
    if not isinstance(data, dict) or not ("questions" in data or "probes" in data):
        raise BankError(f"{path}: expected a mapping with a 'questions' list (or a list of questions)")
    try:
        parsed = BankFile.model_validate(data)
    except ValidationError as e:
        raise BankError.of([_describe(path, text, data, err) for err in e.errors()]) from None
    seen: set[str] = set()
    duplicates = []
    for i, q in enumerate(parsed.questions):
        if q.id in seen:
            duplicates.append(f"{path}:{_question_line(text, i)}: duplicate question id {q.id!r}; ids must be unique")
        seen.add(q.id)
    if duplicates:
        raise BankError.of(duplicates)
    questions = _instantiate(path, text, data, parsed.questions, _builtin_tables() if tables is None else tables)
    _cache_write(cache_entry, raw)  # only now: a file that failed validation is never cached
    if bank is not None and parsed.title and parsed.topic:
        bank.titles[parsed.topic] = parsed.title.en
    if parsed.probes and probes is not None:
        probes.append((path, parsed.probes))
    return questions


def _instantiate(path: Path, text: str, data: dict, questions: list[Question], tables: dict[str, Table]) -> list[Question]:
    """Parameterised questions rendered for every row (the canonical instance stands for the
    question); a placeholder in a question without params is a mistake. One line per problem."""
    may_hold = "{{" in text or any(q.params for q in questions)
    if not may_hold:
        return questions
    out, problems = [], []
    for i, q in enumerate(questions):
        raw = data["questions"][i]
        if q.params is None:
            hit = first_placeholder(raw)
            if hit is not None:
                where, ph = hit
                problems.append(f"{path}:{_question_line(text, i, where)}: question {q.id!r}, field "
                                f"{'.'.join(map(str, where))}: {ph} is a placeholder, but the question declares no params")
            out.append(q)
            continue
        try:
            instances = build_variants(raw, q, tables)
        except RenderError as e:
            row = f", row {e.row!r}" if e.row else ""
            problems.append(f"{path}:{_question_line(text, i, e.where)}: question {q.id!r}{row}, field {e.field()}: {e}")
            continue
        out.append(next(iter(instances.values())))
    if problems:
        raise BankError.of(problems)
    return out


def _describe(path: Path, text: str, data: dict, err: ErrorDetails) -> str:
    """One validation error as ``file:line: question 'id', field f: what is wrong``."""
    loc = list(err["loc"])
    line: int | str = "?"
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        idx = loc[1]
        item = data["questions"][idx] if idx < len(data["questions"]) else None
        qid = str(item.get("id", f"#{idx + 1}")) if isinstance(item, dict) else "?"
        line = _question_line(text, idx, loc[2:])
        field_path = ".".join(str(p) for p in loc[2:]) or "(question)"
        where = f"question {qid!r}, field {field_path}"
    else:
        where = "field " + ".".join(str(p) for p in loc)
    return f"{path}:{line}: {where}: {err['msg']}"


@functools.lru_cache(maxsize=4)
def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree (with line numbers) of a file, once per file however many mistakes it has."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _question_line(text: str, index: int, sub: Sequence[object] = ()) -> int | str:
    """Line (1-based) of question ``index``, and of the deepest part of ``sub`` that exists."""
    node = _compose(text)
    if node is None:
        return "?"
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if k.value == "questions"), None)
    if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
        return "?"
    node = node.value[index]
    for part in sub:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            nxt = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
    return node.start_mark.line + 1

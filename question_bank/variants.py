"""Parameterised questions: one instance (a *variant*) per row of numbers.

A question with ``params`` is written once, with placeholders, and rendered per row when the bank
is loaded: its text, reference answer, rubric phrasings and follow-ups get the row's numbers, and
every ``NumericFact`` whose ``expr`` names a parameter gets its value recomputed for the row (and
its ``expr`` rewritten as the row's arithmetic). Each instance is an ordinary ``Question`` with
the same id, so judges, reports and history need not know about parameters; they only need the
instance the candidate saw (``variant``). Every row is rendered and validated at load time, so a
bad template is a one-line bank error, never a failure in the middle of an interview.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from question_bank.arith import ArithError, evaluate, names_in, substitute
from question_bank.models import ConfigTable, Params, Question
from question_bank.template import TemplateError, has_placeholder, placeholders, render

#: Keys whose strings are ids, enums or lists of ids: never rendered.
_PLAIN_KEYS = frozenset({"id", "topic", "subtopic", "difficulty", "kind", "params", "tags", "level", "targets",
                         "contradicts", "unit", "probes"})


class RenderError(ValueError):
    """A row that cannot be rendered: ``where`` is the path of the field (for a line number)."""

    def __init__(self, message: str, where: tuple = (), row: str | None = None) -> None:
        super().__init__(message)
        self.where = where
        self.row = row

    def field(self) -> str:
        return ".".join(str(p) for p in self.where) or "params"


@dataclass
class Table:
    """A loaded table: its rows with their derived columns computed."""

    spec: ConfigTable
    rows: dict[str, dict[str, float | str]] = field(default_factory=dict)


def build_table(spec: ConfigTable) -> tuple[Table, list[str]]:
    """The table with each row's derived columns, and one line per row whose stated value of a
    derived column disagrees with its arithmetic (or whose arithmetic fails)."""
    table, problems = Table(spec), []
    for key, row in spec.rows.items():
        names = dict(row)
        for name, expr in spec.derive.items():
            try:
                got = evaluate(expr, _numbers(names))
            except ArithError as e:
                problems.append(f"table {spec.table!r} row {key!r}, derived column {name!r}: {e}")
                break
            stated = names.get(name)
            if isinstance(stated, (int, float)) and abs(got - stated) > 1e-12 * abs(stated) + 1e-9:  # exact: a count
                problems.append(f"table {spec.table!r} row {key!r}: {name} is {stated:.12g} but {expr!r} gives "
                                f"{got:.12g}; correct the row or the formula")
            names[name] = stated if stated is not None else got
        table.rows[key] = names
    return table, problems


def _numbers(names: Mapping[str, float | str]) -> dict[str, float]:
    return {k: float(v) for k, v in names.items() if not isinstance(v, str)}


def row_names(params: Params, row: str, tables: Mapping[str, Table]) -> dict[str, float | str]:
    """Every name of ``row``: shared values, then the table's row, then the row's own values, then
    the question's derived names in order. Raises RenderError."""
    names: dict[str, float | str] = dict(params.values)
    inline = params.rows[row]
    if params.table is not None:
        table = tables.get(params.table)
        if table is None:
            known = ", ".join(sorted(tables)) or "none"
            raise RenderError(f"unknown table {params.table!r} (tables: {known}); tables live in a tables/ folder "
                              "next to the bank files", ("params", "table"))
        if row in table.rows:
            names.update(table.rows[row])
        elif not inline:
            raise RenderError(f"row {row!r} is not in table {params.table!r} and gives no values of its own; "
                              f"the table's rows: {', '.join(table.rows)}", ("params", "rows", row), row)
    names.update(inline)
    for name, expr in params.derive.items():
        unknown = sorted(names_in(expr) - set(_numbers(names)))
        if unknown:
            raise RenderError(f"derived {name!r}: unknown name {unknown[0]!r} in {expr!r} (a number of the row, "
                              "or a name derived above it)", ("params", "derive", name), row)
        try:
            names[name] = evaluate(expr, _numbers(names))
        except ArithError as e:
            raise RenderError(f"derived {name!r}: {e}", ("params", "derive", name), row) from None
    return names


def render_data(data: object, names: Mapping[str, float | str], canonical: bool, where: tuple = ()) -> object:
    """A copy of a question's raw data with ``names`` filled in (see the module's docstring).
    Raises RenderError naming the field."""
    if isinstance(data, str):
        try:
            return render(data, dict(names))
        except TemplateError as e:
            raise RenderError(str(e), where) from None
    if isinstance(data, list):
        return [render_data(x, names, canonical, (*where, i)) for i, x in enumerate(data)]
    if not isinstance(data, dict):
        return data
    if where and where[-2:-1] == ("numbers",):
        return _render_fact(data, names, canonical, where)
    return {k: (copy.deepcopy(v) if k in _PLAIN_KEYS else render_data(v, names, canonical, (*where, k)))
            for k, v in data.items()}


def _render_fact(fact: dict, names: Mapping[str, float | str], canonical: bool, where: tuple) -> dict:
    """A NumericFact: its value recomputed from ``expr`` for this row (the canonical row keeps the
    value the writer stated, which ``fact_problems`` checks against the same arithmetic)."""
    out = {k: (render_data(v, names, canonical, (*where, k)) if k == "label" else copy.deepcopy(v))
           for k, v in fact.items()}
    expr = fact.get("expr")
    if not isinstance(expr, str):
        return out
    if "{{" in expr:
        raise RenderError("an expr uses bare names (2*layers*head_dim), not {{placeholders}}", (*where, "expr"))
    used = names_in(expr)
    numbers = _numbers(names)
    if not used or not used <= set(numbers):
        return out  # plain arithmetic, or a source note ("LoRA paper: 25%"), as in any question
    try:
        value = evaluate(expr, numbers)
    except ArithError as e:
        raise RenderError(f"expr {expr!r}: {e}", (*where, "expr")) from None
    out["expr"] = substitute(expr, numbers)
    if not canonical or "value" not in out:
        out["value"] = value
    return out


def unknown_fact_names(data: object, names: Mapping[str, float | str], where: tuple = ()) -> RenderError | None:
    """A fact whose expr is arithmetic over a name the row lacks (a typo such as ``2*layrs``): it
    would silently keep the canonical value on every row, so it is an error. A source note that is
    not an expression ("LoRA paper, Table 4") stays a note."""
    if isinstance(data, list):
        for i, x in enumerate(data):
            if (e := unknown_fact_names(x, names, (*where, i))) is not None:
                return e
    elif isinstance(data, dict):
        if where[-2:-1] == ("numbers",) and isinstance(data.get("expr"), str):
            try:
                evaluate(data["expr"], _numbers(names))
            except ArithError as e:
                if str(e).startswith("unknown name"):
                    return RenderError(f"{e} in expr {data['expr']!r}", (*where, "expr"))
            return None
        for k, v in data.items():
            if k not in _PLAIN_KEYS and (e := unknown_fact_names(v, names, (*where, k))) is not None:
                return e
    return None


def uses_params(data: object) -> bool:
    """Whether any text of the raw question holds a placeholder."""
    if isinstance(data, str):
        return has_placeholder(data)
    if isinstance(data, list):
        return any(uses_params(x) for x in data)
    if isinstance(data, dict):
        return any(uses_params(v) for k, v in data.items() if k not in _PLAIN_KEYS)
    return False


def first_placeholder(data: object, where: tuple = ()) -> tuple[tuple, str] | None:
    """(field, placeholder) of the first placeholder-looking text (for a question without params)."""
    if isinstance(data, str):
        if "{{" in data:
            try:
                found = placeholders(data)
            except TemplateError:
                return None  # braces in plain text are the writer's business
            if found:
                name, spec = found[0]
                return where, "{{" + name + (f":{spec}" if spec else "") + "}}"
        return None
    items = enumerate(data) if isinstance(data, list) else data.items() if isinstance(data, dict) else ()
    for k, v in items:
        if k in _PLAIN_KEYS:
            continue
        if (hit := first_placeholder(v, (*where, k))) is not None:
            return hit
    return None


def build_variants(raw: dict, question: Question, tables: Mapping[str, Table]) -> dict[str, Question]:
    """Every row of a parameterised question rendered and validated: {row: instance}, the canonical
    row first. Raises RenderError (with the row) for the first problem found."""
    params = question.params
    assert params is not None
    if not uses_params(raw) and not _fact_uses_names(raw, params, tables):
        raise RenderError("declares params but no text holds a {{placeholder}} and no expr a parameter's name")
    canonical = params.canonical_row
    order = [canonical, *(r for r in params.rows if r != canonical)]
    instances: dict[str, Question] = {}
    for row in order:
        try:
            names = row_names(params, row, tables)
            if (err := unknown_fact_names(raw, names)) is not None:
                raise err
            data = render_data(raw, names, canonical=row == canonical)
        except RenderError as e:
            e.row = e.row or row
            raise
        if row != canonical:
            data.pop("probes", None)  # probes are written for the canonical row
        try:
            q = Question.model_validate(data)
        except ValidationError as e:
            err = e.errors()[0]
            raise RenderError(f"once filled in: {err['msg']}", tuple(err["loc"]), row) from None
        if row == canonical:
            q.probes = question.probes  # the same list: probes files add to it after loading
        q._variant, q._names, q._instances = row, names, instances
        instances[row] = q
    return instances


def _fact_uses_names(raw: dict, params: Params, tables: Mapping[str, Table]) -> bool:
    try:
        names = row_names(params, params.canonical_row, tables)
    except RenderError:
        return True  # reported when the row is rendered
    return _any_fact_name(raw, set(_numbers(names)))


def _any_fact_name(data: object, names: set[str], where: tuple = ()) -> bool:
    if isinstance(data, list):
        return any(_any_fact_name(x, names, (*where, i)) for i, x in enumerate(data))
    if isinstance(data, dict):
        if where[-2:-1] == ("numbers",) and isinstance(data.get("expr"), str):
            return bool(names_in(data["expr"]) & names)
        return any(_any_fact_name(v, names, (*where, k)) for k, v in data.items() if k not in _PLAIN_KEYS)
    return False


# -- what the rest of the program uses ----------------------------------------------------------

def variant(question: Question, row: str | None) -> Question:
    """The instance of ``question`` asked with ``row``'s numbers. The question itself when it has
    no params or ``row`` is None (records from before variants: the canonical row); the canonical
    instance when the bank no longer has that row."""
    instances = question._instances
    if not instances or row is None:
        return question
    return instances.get(row) or instances[next(iter(instances))]


def rows(question: Question) -> list[str]:
    """The rows of a parameterised question, the canonical one first; [] for any other question."""
    return list(question._instances or ())


def row_of(question: Question) -> str | None:
    """The row an instance was rendered with; None for a question without params."""
    return question._variant


def row_title(question: Question) -> str | None:
    """What the instance's row is called for people: its ``name`` (a model's name), else its key."""
    if question._variant is None:
        return None
    name = (question._names or {}).get("name")
    return name if isinstance(name, str) and name.strip() else question._variant


def row_values(question: Question) -> dict[str, float | str]:
    """The names an instance was rendered with (bank show)."""
    return dict(question._names or {})

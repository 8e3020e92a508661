"""A tiny, safe arithmetic evaluator for the bank's ``expr`` fields.

Bank files are untrusted input, so ``eval`` is out: this walks the ``ast`` of one expression and
allows only numbers, + - * / // % **, unary signs, parentheses and a few math functions, with caps
on exponent size and expression length so a hostile file cannot hang the loader."""

from __future__ import annotations

import ast
import math
import re

MAX_LEN = 400

def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _phi_cdf(x: float) -> float:
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _comb(n: float, k: float) -> float:
    if n != int(n) or k != int(k) or n > 100_000:
        raise ValueError("comb takes whole numbers up to 100000")
    try:
        return float(math.comb(int(n), int(k)))
    except OverflowError:
        raise ValueError("the result is too large") from None


_FUNCS = {
    "sigmoid": _sigmoid, "sigma": _sigmoid, "Phi": _phi_cdf, "comb": _comb, "C": _comb,
    "cos": math.cos, "sin": math.sin, "tanh": math.tanh, "erf": math.erf,
    "sqrt": math.sqrt, "log": math.log, "ln": math.log, "log2": math.log2, "log10": math.log10,
    "exp": math.exp, "ceil": math.ceil, "floor": math.floor, "min": min, "max": max, "abs": abs,
    "round": round,
}
_CONSTS = {"pi": math.pi, "e": math.e}
#: Names an expression already gives a meaning to: a parameter may not take them.
RESERVED = frozenset(_FUNCS) | frozenset(_CONSTS)
_BIN = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
}
# Notation people write in an expression that Python spells differently.
_REWRITES = (("×", "*"), ("·", "*"), ("÷", "/"), ("−", "-"), ("^", "**"))


class ArithError(ValueError):
    """The expression is not plain arithmetic (or is too large to evaluate safely)."""


def _normalise(expr: str) -> str:
    s = expr.strip()
    for a, b in _REWRITES:
        s = s.replace(a, b)
    s = re.sub(r"√\s*(\d+(?:\.\d+)?)", r"sqrt(\1)", s).replace("√", "sqrt")
    # Thousands separators inside a number ("8,030,261,248") are not argument separators.
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", s)


def evaluate(expr: str, names: dict[str, float] | None = None) -> float:
    """The value of ``expr``; ``names`` are variables it may use. Raises ArithError.

    "a = b" evaluates ``a``: writers often put the result after the arithmetic."""
    if len(expr) > MAX_LEN:
        raise ArithError(f"expression longer than {MAX_LEN} characters")
    expr = expr.split("=")[0] if re.search(r"(?<![<>=!])=(?!=)", expr) else expr
    if len(expr) > MAX_LEN:
        raise ArithError(f"expression longer than {MAX_LEN} characters")
    try:
        tree = ast.parse(_normalise(expr), mode="eval")
    except SyntaxError as exc:
        raise ArithError(f"not an arithmetic expression: {exc.msg}") from None
    env = {**_CONSTS, **(names or {})}

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            raise ArithError(f"unknown name {node.id!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            v = walk(node.operand)
            return v if isinstance(node.op, ast.UAdd) else -v
        if isinstance(node, ast.BinOp):
            a, b = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow):
                # Float power: instant, and it overflows loudly instead of building a huge int.
                try:
                    return math.pow(a, b)
                except (OverflowError, ValueError):
                    raise ArithError("power out of range") from None
            op = _BIN.get(type(node.op))
            if op is None:
                raise ArithError(f"operator {type(node.op).__name__} is not allowed")
            try:
                return op(a, b)
            except ZeroDivisionError:
                raise ArithError("division by zero") from None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
            if len(node.args) > 8:
                raise ArithError("too many arguments")
            args = [walk(a) for a in node.args]
            try:
                return _FUNCS[node.func.id](*args)
            except (ValueError, TypeError, OverflowError) as exc:
                raise ArithError(f"{node.func.id}: {exc}") from None
        raise ArithError(f"{type(node).__name__} is not allowed in an expression")

    try:
        value = float(walk(tree))  # a 400-digit literal is an int too large for a float
    except (OverflowError, TypeError):
        raise ArithError("the value is not a finite real number") from None
    if not math.isfinite(value):
        raise ArithError("the value is not a finite real number")
    return value


def recompute(value: float, tolerance: float, expr: str) -> float | None:
    """What ``expr`` gives when it is arithmetic and disagrees with ``value`` beyond ``tolerance``;
    None when they agree or when ``expr`` is a source note ("BERT paper") rather than arithmetic."""
    try:
        got = evaluate(expr)
    except ArithError:
        return None
    return got if abs(got - value) > max(tolerance, 1e-9) * abs(value) + 1e-12 else None


_NAME = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")


def names_in(expr: str) -> set[str]:
    """The variable names ``expr`` uses (function names and constants excluded)."""
    return {m.group(1) for m in _NAME.finditer(expr)} - RESERVED


def substitute(expr: str, names: dict[str, float]) -> str:
    """``expr`` with each name replaced by its number ("2*layers*2" -> "2*32*2"): the arithmetic a
    reviewer recomputes for one row of a parameterised question."""

    def number(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in names:
            return name
        v = float(names[name])
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)

    return _NAME.sub(number, expr)

"""The small expression language of the catalogue, compiled to narwhals expressions.

Catalogue conditions are written once, as text, in a subset of Python syntax (parsed with `ast`,
never evaluated): column and parameter names, constants, comparisons (== != < <= > >=, `in [...]`,
`is None`, `is not None`), `and` / `or` / `not`, arithmetic (+ - * /) and `coalesce(a, b, …)`.
The same text is shown in docs/method.md, so the page says exactly what is computed.

NULL follows SQL's three-valued logic on both engines: a comparison with NULL is NULL, which the
engine reads as "unknown".
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable, Mapping
from typing import Any

import narwhals as nw

from leviers.indicators.errors import CatalogueError

_COMPARE: dict[type[ast.cmpop], Callable[[nw.Expr, Any], nw.Expr]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], nw.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
Scalar = str | int | float | bool | datetime.date


def names(text: str) -> set[str]:
    """The column and parameter names an expression reads (functions excluded)."""
    tree = _parse(text)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def never_null(text: str) -> bool:
    """Whether the expression can never be NULL (`x is None`, `coalesce(…, constant)`, a constant):
    its "known" count is then the population's, and need not be computed."""
    node = _parse(text).body
    match node:
        case ast.Compare(ops=ops) if all(isinstance(op, ast.Is | ast.IsNot) for op in ops):
            return True
        case ast.Call(func=ast.Name(id="coalesce"), args=args) if args:
            return isinstance(args[-1], ast.Constant) and args[-1].value is not None
        case ast.Constant(value=value):
            return value is not None
    return False


def compile_expression(text: str, columns: set[str], parameters: Mapping[str, Scalar]) -> nw.Expr:
    """The narwhals expression for `text` over `columns`; parameter names become literals."""
    return _Compiler(text, columns, parameters).expr(_parse(text).body)


def _parse(text: str) -> ast.Expression:
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise CatalogueError(f"expression illisible « {text} » : {exc.msg}") from None


class _Compiler:
    def __init__(self, text: str, columns: set[str], parameters: Mapping[str, Scalar]) -> None:
        self.text = text
        self.columns = columns
        self.parameters = parameters

    def fail(self, what: str) -> CatalogueError:
        return CatalogueError(f"expression « {self.text} » : {what}")

    def expr(self, node: ast.expr) -> nw.Expr:
        value = self.operand(node)
        return value if isinstance(value, nw.Expr) else nw.lit(value)

    def operand(self, node: ast.expr) -> nw.Expr | Scalar:
        match node:
            case ast.Name(id=name):
                if name in self.columns:
                    return nw.col(name)
                if name in self.parameters:
                    return self.parameters[name]
                raise self.fail(f"nom inconnu « {name} »")
            case ast.Constant(value=value) if isinstance(value, str | int | float | bool):
                return value
            case ast.BoolOp(op=op, values=values):
                parts = [self.expr(v) for v in values]
                combined = parts[0]
                for part in parts[1:]:
                    combined = combined & part if isinstance(op, ast.And) else combined | part
                return combined
            case ast.UnaryOp(op=ast.Not(), operand=inner):
                return ~self.expr(inner)
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float() as number)):
                return -number
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITHMETIC:
                return _ARITHMETIC[type(op)](self.expr(left), self.operand(right))
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self.compare(left, ops, comparators)
            case ast.Call(func=ast.Name(id="coalesce"), args=args, keywords=[]) if len(args) >= 2:
                return nw.coalesce(*[self.expr(a) for a in args])
        raise self.fail(f"construction non prise en charge ({ast.unparse(node)})")

    def compare(self, left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr]) -> nw.Expr:
        result: nw.Expr | None = None
        for op, right in zip(ops, comparators, strict=True):
            part = self.compare_one(left, op, right)
            result = part if result is None else result & part
            left = right
        assert result is not None
        return result

    def compare_one(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> nw.Expr:
        if isinstance(op, ast.Is | ast.IsNot):
            if not (isinstance(right, ast.Constant) and right.value is None):
                raise self.fail("« is » ne s'emploie qu'avec None")
            is_null = self.expr(left).is_null()
            return is_null if isinstance(op, ast.Is) else ~is_null
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right, ast.List | ast.Tuple):
                raise self.fail("« in » attend une liste de constantes")
            values = [self.operand(v) for v in right.elts]
            if any(isinstance(v, nw.Expr) for v in values):
                raise self.fail("« in » attend une liste de constantes")
            member = self.expr(left).is_in(values)
            return member if isinstance(op, ast.In) else ~member
        if type(op) not in _COMPARE:
            raise self.fail(f"comparaison non prise en charge ({type(op).__name__})")
        return _COMPARE[type(op)](self.expr(left), self.operand(right))

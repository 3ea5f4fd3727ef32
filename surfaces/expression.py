r"""The expression language of typed-in functions: a tokenizer and a recursive-descent parser that build a SymPy
expression from checked tokens, never through Python's ``eval`` (nor ``sympy.sympify``, which calls it).

    >>> parse("2w^2 - 3w", ("w",))
    2*w**2 - 3*w

What is accepted and the limits checked before any symbolic work are described in ``surfaces.typed``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import sympy


MAX_LENGTH = 300
MAX_DEPTH = 30
MAX_DIGITS = 20
MAX_LITERAL = 1e15
MAX_EXPONENT = 100
MAX_CONSTANT = 1e300
MAX_OPS = 300
DERIVATIVE_TIMEOUT = 1.0
SEARCH_BOX = (-5.0, 5.0)
PREFIX = "f("  #: typed surfaces are named ``f(w)=<text>`` or ``f(x,y)=<text>``: ``surfaces.get`` rebuilds them

FUNCTIONS = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "exp": sympy.exp, "log": sympy.log,
    "sqrt": sympy.sqrt, "abs": sympy.Abs, "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "arctan": sympy.atan, "min": sympy.Min, "max": sympy.Max,
}
ARITY = {"min": 2, "max": 2}
CONSTANTS = {"pi": sympy.pi, "e": sympy.E}
SYMBOLS = {name: sympy.Symbol(name, real=True) for name in ("w", "x", "y")}

_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|[-+*/^(),]))", re.ASCII)


def _fail(message: str) -> None:
    raise ValueError(" ".join(message.split()))


def _show(text: str) -> str:
    text = text if len(text) <= 12 else text[:12] + "…"
    return repr(text)


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """``(kind, text, position)`` tokens (position counted from 1); a ValueError names the first bad character."""
    if not isinstance(text, str):
        _fail("the function must be text")
    if len(text) > MAX_LENGTH:
        _fail(f"the function is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
    tokens, i = [], 0
    while i < len(text):
        if text[i].isspace() and text[i] in " \t\n\r":
            i += 1
            continue
        m = _TOKEN.match(text, i)
        if m is None or m.end() == i:
            _fail(f"character {_show(text[i])} at position {i + 1} is not understood")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind) + 1))
        i = m.end()
    return tokens


class _Parser:
    """Recursive descent over checked tokens; builds the SymPy expression bottom-up."""

    def __init__(self, text: str, variables: tuple[str, ...]):
        self.text, self.tokens, self.i, self.depth = text, tokenize(text), 0, 0
        self.variables = variables
        self.names = set(variables) | ({"x"} if variables == ("w",) else set())
        self.used: set[str] = set()

    # -- helpers
    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", len(self.text) + 1)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, op: str, what: str):
        kind, value, pos = self.peek()
        if kind != "op" or value != op:
            found = "the end of the text" if kind == "end" else f"{_show(value)} at position {pos}"
            _fail(f"expected {what} but found {found}")
        return self.take()

    def enter(self, pos: int):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            _fail(f"nested more than {MAX_DEPTH} deep at position {pos}")

    # -- grammar
    def parse(self):
        if not self.tokens:
            _fail("the function is empty")
        expr = self.expression()
        kind, value, pos = self.peek()
        if kind != "end":
            _fail(f"{_show(value)} at position {pos} is not understood here" if value != ")"
                  else f"unbalanced ')' at position {pos}")
        if "w" in self.used and "x" in self.used and self.variables == ("w",):
            _fail("use one variable, w or x, not both")
        return expr

    def expression(self):
        left = self.term()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take()[1]
            right = self.term()
            left = left + right if op == "+" else left - right
        return left

    def term(self):
        left = self.unary()
        while True:
            kind, value, pos = self.peek()
            if kind == "op" and value in ("*", "/"):
                self.take()
                right = self.unary()
                if value == "/" and right.is_zero:
                    _fail(f"division by zero at position {pos}")
                left = left * right if value == "*" else left / right
            elif kind == "name" or (kind == "op" and value == "("):
                left = left * self.power()  # implicit multiplication: 2w, 3(x + 1), sin(x)cos(y)
            elif kind == "number":
                _fail(f"a number at position {pos} follows another term; write * between them")
            else:
                return left

    def unary(self):
        kind, value, pos = self.peek()
        if kind == "op" and value in "+-":
            self.take()
            self.enter(pos)
            operand = self.unary()
            self.depth -= 1
            return operand if value == "+" else -operand
        return self.power()

    def power(self):
        base = self.atom()
        kind, value, pos = self.peek()
        if kind == "op" and value in ("^", "**"):
            self.take()
            self.enter(pos)
            exponent = self.unary()
            self.depth -= 1
            return _power(base, exponent, pos)
        return base

    def atom(self):
        kind, value, pos = self.take()
        if kind == "number":
            return _number(value, pos)
        if kind == "name":
            if value in self.names:
                self.used.add(value)
                return SYMBOLS[self.variables[0] if len(self.variables) == 1 else value]
            if value in CONSTANTS:
                return CONSTANTS[value]
            if value in FUNCTIONS:
                return self.call(value, pos)
            allowed = " and ".join(sorted(self.names))
            _fail(f"name {_show(value)} at position {pos} is not understood (variables: {allowed}; "
                  f"functions: {', '.join(FUNCTIONS)}; constants: pi, e)")
        if kind == "op" and value == "(":
            self.enter(pos)
            inner = self.expression()
            self.depth -= 1
            self.expect(")", f"')' to close the '(' at position {pos}")
            return inner
        if kind == "end":
            _fail("the function ends too early: a number, variable or '(' is missing at the end")
        _fail(f"{_show(value)} at position {pos} is not understood here")

    def call(self, name: str, pos: int):
        self.expect("(", f"'(' after {name} at position {pos}")
        self.enter(pos)
        args = [self.expression()]
        while self.peek()[0] == "op" and self.peek()[1] == ",":
            self.take()
            args.append(self.expression())
        self.depth -= 1
        self.expect(")", f"')' to close {name}( at position {pos}")
        if len(args) != ARITY.get(name, 1):
            n = ARITY.get(name, 1)
            _fail(f"{name} at position {pos} takes {n} argument{'s' if n > 1 else ''}, got {len(args)}")
        if name == "log" and args[0].is_number and args[0].is_zero:
            _fail(f"log(0) at position {pos}")
        return FUNCTIONS[name](*args)


def _number(text: str, pos: int):
    mantissa, _, power = text.lower().partition("e")
    if sum(c.isdigit() for c in mantissa) > MAX_DIGITS:
        _fail(f"the number at position {pos} has more than {MAX_DIGITS} digits")
    if power and (len(power.lstrip("+-")) > 3 or abs(int(power)) > 30):
        _fail(f"the number at position {pos} has a power of ten beyond ±30")
    value = Fraction(text)  # exact, and cheap now that the digits and the power of ten are bounded
    if abs(value) > MAX_LITERAL:
        _fail(f"the number at position {pos} is larger than {MAX_LITERAL:g}")
    return sympy.Rational(value.numerator, value.denominator)


def _power(base, exponent, pos: int):
    """``base ** exponent``, refusing constant exponents beyond ±MAX_EXPONENT and huge constants, before SymPy
    evaluates anything."""
    if not exponent.free_symbols:
        e = float(exponent.evalf(30)) if exponent.is_real is not False else math.nan
        if not abs(e) <= MAX_EXPONENT:
            _fail(f"the exponent at position {pos} must be a number between -{MAX_EXPONENT} and {MAX_EXPONENT}")
        if not base.free_symbols:
            b = complex(base.evalf(30))
            if b == 0 and e < 0:
                _fail(f"division by zero at position {pos} (0 to a negative power)")
            if b != 0 and e * math.log10(abs(b)) > math.log10(MAX_CONSTANT):
                _fail(f"the power at position {pos} is too large (beyond {MAX_CONSTANT:g})")
    return sympy.Pow(base, exponent)


def parse(text: str, variables: tuple[str, ...] = ("x", "y")):
    """The SymPy expression of ``text`` in ``variables`` (``("w",)`` or ``("x", "y")``); a ValueError (one line,
    with the character position) otherwise."""
    variables = tuple(variables)
    if variables not in (("w",), ("x", "y")):
        _fail(f"the variables must be (w) or (x, y), got {variables}")
    try:
        expr = _Parser(text, variables).parse()
    except RecursionError:
        _fail(f"nested too deeply (more than {MAX_DEPTH} levels)")
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or expr.has(sympy.I):
        _fail("the function is not a finite real number (a constant part is infinite, undefined or complex)")
    if sympy.count_ops(expr) > MAX_OPS:
        _fail(f"the function has more than {MAX_OPS} operations")
    return expr

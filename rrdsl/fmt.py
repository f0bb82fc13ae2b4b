"""Formatter: a clause file in its one canonical layout, every comment kept.

The layout is printed from the AST (so it cannot change what the file means: the tests check
`parse(format(x)) == parse(x)`), with the comments the parser collected put back:

* a comment on a line of its own stays before the item that follows it, at that item's indent;
* a comment after code on a line stays at the end of the printed line of the item it was on;
* when an item's printed lines cannot hold its comments where they were (several comments
  inside one expression, say), they move to just before the item, in order;
* indented comments after the last item of a section stay at the end of that section.

The canonical layout (docs/language.md, "Canonical layout"): two-space indents; the header's
`dated`, `calendar`, `source` on lines of their own; two blank lines before each section; blank
lines between declarations kept as written, at most one; clause and exception parts one per line;
a text that does not fit in 100 columns is split at spaces into several quoted pieces on
continuation lines (the pieces join to the same text); a long expression breaks before `and`,
`or`, `+`, `-`, `then`/`else`, and between the arguments of a call.

Every AST node class has exactly one printing rule, registered with `@_rule(ast.Class)`; a test
fails when a class of `rrdsl.ast` has none (see `RULES`).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, TypeVar

from . import ast
from .diagnostics import Span
from .numwords import ordinal_digits
from .parser import Comment, parse_with_comments

WIDTH = 100
STEP = "  "

#: AST class → the printer method that prints it (filled by `@_rule`).
RULES: dict[type, str] = {}

F = TypeVar("F", bound=Callable[..., Any])


def _rule(*classes: type) -> Callable[[F], F]:
    def register(fn: F) -> F:
        for cls in classes:
            assert cls not in RULES, f"two printing rules for {cls.__name__}"
            RULES[cls] = fn.__name__
        return fn

    return register


def format_text(text: str, file: str = "<input>") -> str:
    """The canonical layout of a clause file's text. Raises `SyntaxErrors` if it does not parse."""
    module, comments = parse_with_comments(text, file)
    return _Printer(text, comments).module(module)


# ── pieces ───────────────────────────────────────────────────────────────────


def quote(value: str) -> str:
    """`value` as one quoted piece that the parser reads back as `value`."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def text_pieces(value: str, room: int) -> list[str]:
    """`value` split after spaces into quoted pieces of at most `room` characters (a single
    word longer than that stays whole). The pieces join to `value`."""
    words = re.findall(r"\S+\s*|\s+", value)
    if not words:
        return [quote(value)]
    pieces: list[str] = []
    cur = ""
    for w in words:
        if cur and len(quote(cur + w)) > room:
            pieces.append(quote(cur))
            cur = w
        else:
            cur += w
    pieces.append(quote(cur))
    return pieces


def _number(value: Decimal | int) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _money(value: Decimal) -> str:
    text = format(value, "f")
    whole, dot, frac = text.partition(".")
    return "$" + f"{int(whole):,}" + dot + frac


_UNIT_ONE = {"days": "day", "business_days": "business day", "months": "month", "years": "year"}
_UNIT_MANY = {"days": "days", "business_days": "business days", "months": "months",
              "years": "years"}

# precedence levels of the grammar, loosest first
_IF, _OR, _AND, _NOT, _CMP, _SUM, _PROD, _UNARY, _POSTFIX, _ATOM = range(1, 11)


# ── the printer ──────────────────────────────────────────────────────────────


class _Printer:
    def __init__(self, source: str, comments: Iterable[Comment]):
        self.src = source.removeprefix("\ufeff").split("\n")
        self.pending: list[Comment] = sorted(comments, key=lambda c: (c.line, c.col))
        self.out: list[str] = []
        self.commented: set[int] = set()  # indexes of output lines ending in a comment

    # comments and blank lines -------------------------------------------------

    def _blank_between(self, a: int, b: int) -> bool:
        """Is a source line strictly between lines a and b blank?"""
        return any(not self.src[i - 1].strip() for i in range(a + 1, b) if 0 < i <= len(self.src))

    def _take(self, pred: Callable[[Comment], bool]) -> list[Comment]:
        taken = [c for c in self.pending if pred(c)]
        if taken:
            self.pending = [c for c in self.pending if not pred(c)]
        return taken

    def blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    def leading(self, before: int, indent: str, prev_end: int | None,
                keep_blank: bool = True) -> None:
        """Emit the comments before source line `before`, and the blank lines around them."""
        comments = self._take(lambda c: c.line < before)
        last = prev_end
        for c in comments:
            if keep_blank and last is not None and self._blank_between(last, c.line):
                self.blank()
            self.out.append(indent + c.text)
            self.commented.add(len(self.out) - 1)
            last = c.line
        if keep_blank and last is not None and self._blank_between(last, before):
            self.blank()

    def item(self, span: Span | None, indent: str, body: Callable[[], None],
             prev_end: int | None = None, keep_blank: bool = True) -> None:
        """Print one item with `body`, keeping the comments before it and on its lines."""
        if span is None:
            body()
            return
        self.leading(span.line, indent, prev_end, keep_blank)
        start = len(self.out)
        # a comment at the end of the item's first line stays on its first printed line
        head = self._take(lambda c: c.line == span.line < span.end_line and not c.own_line)
        body()
        if len(head) == 1 and len(self.out) > start and start not in self.commented:
            self.out[start] += "  " + head[0].text
            self.commented.add(start)
            head = []
        inside = head + self._take(lambda c: span.line <= c.line <= span.end_line)
        trailing = [c for c in inside if not c.own_line]
        if len(inside) == 1 and trailing and len(self.out) > start:
            c = trailing[0]
            at = start if c.line == span.line and c.line != span.end_line else len(self.out) - 1
            if at not in self.commented:
                self.out[at] += "  " + c.text
                self.commented.add(at)
                return
        if inside:
            moved = [indent + c.text for c in inside]
            self.out[start:start] = moved
            self.commented = {i + len(moved) if i >= start else i for i in self.commented}
            self.commented.update(range(start, start + len(moved)))

    def lines(self, lines: list[str]) -> None:
        self.out.extend(lines)

    # module structure -----------------------------------------------------------

    @_rule(ast.Module)
    def module(self, m: ast.Module) -> str:
        prev: int | None = None
        if m.header is not None:
            self.item(m.header.span, "", lambda: self.header(m.header), prev)  # type: ignore[arg-type]
            prev = _end(m.header.span)
        for group in (m.imports, m.preamble):
            for i, node in enumerate(group):
                if i == 0 and self.out:
                    self.blank()
                self.item(node.span, "", lambda n=node: self.decl(n, ""), prev)  # type: ignore[misc]
                prev = _end(node.span, prev)
        for sec in m.sections:
            if self.out:
                self.blank()
                self.out.append("")
            nxt = [s for s in m.sections if s.span and sec.span and s.span.line > sec.span.line]
            self.item(sec.span, "", lambda s=sec: self.section(s), prev)  # type: ignore[misc]
            prev = self.section_tail(sec, nxt[0].span.line if nxt and nxt[0].span else None)
        rest = self._take(lambda c: True)
        if rest:
            last = prev
            for c in rest:
                if last is not None and self._blank_between(last, c.line):
                    self.blank()
                self.out.append(("" if c.col == 1 or not m.sections else STEP) + c.text)
                last = c.line
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def section_tail(self, sec: ast.Section, next_line: int | None) -> int | None:
        """Indented comments after a section's last item (before the next section) stay in it."""
        end = _end(sec.span)
        limit = next_line if next_line is not None else 1 << 30
        last = end
        for c in list(self.pending):
            if c.line >= limit or c.col == 1:
                break
            if end is not None and c.line > end:
                if last is not None and self._blank_between(last, c.line):
                    self.blank()
                self.out.append(STEP + c.text)
                self.pending.remove(c)
                last = c.line
        return last

    @_rule(ast.Header)
    def header(self, h: ast.Header) -> None:
        self.text_after(f"{h.kind} {h.name}", h.title, "")
        if h.base is not None:
            word = "variant of" if h.kind == "agreement" else "amends"
            self.out.append(f"{STEP}{word} {quote(h.base)}")
        if h.writing is not None:
            self.out.append(f"{STEP}writing {quote(h.writing)}")
        if h.retroactive is not None:
            self.text_after("retroactive", h.retroactive, STEP)
        if h.dated is not None:
            self.out.append(f"{STEP}dated {h.dated.isoformat()}")
        if h.calendar is not None:
            self.text_after("calendar", h.calendar, STEP)
        if h.source is not None:
            self.out.append(f"{STEP}source {quote(h.source)}")
        if h.inherited_assumed is not None:
            self.text_after("inherited terms assumed", h.inherited_assumed, STEP)
        for r in h.refers:
            self.agreement_ref(r, STEP)

    @_rule(ast.AgreementRef)
    def agreement_ref(self, r: ast.AgreementRef, indent: str) -> None:
        self.text_after(f"refers to {r.name}", r.title, indent)

    @_rule(ast.Section)
    def section(self, s: ast.Section) -> None:
        self.text_after(f"section {s.number}", s.heading, "")
        for p in s.priorities:
            self.item(p.span, STEP, functools.partial(self.priority, p, STEP), keep_blank=False)
        prev: int | None = max((_end(p.span) or 0 for p in s.priorities),
                               default=_end_line(s.span))
        for d in s.items:
            self.item(d.span, STEP, lambda d=d: self.decl(d, STEP), prev)  # type: ignore[misc]
            prev = _end(d.span, prev)

    @_rule(ast.Priority)
    def priority(self, p: ast.Priority, indent: str) -> None:
        refs = ", ".join("§" + r for r in p.refs)
        words = {"subject_to": "subject to", "notwithstanding": "notwithstanding",
                 "except_as_provided": "except as provided in"}
        if p.kind == "notwithstanding_all":
            self.out.append(indent + "notwithstanding anything to the contrary")
        else:
            self.out.append(f"{indent}{words[p.kind]} {refs}")

    # declarations ---------------------------------------------------------------

    def decl(self, d: Any, indent: str) -> None:
        getattr(self, RULES[type(d)])(d, indent)

    @_rule(ast.Import)
    def import_(self, d: ast.Import, indent: str) -> None:
        self.out.append(f"{indent}import {quote(d.path)}")

    @_rule(ast.PartyDecl, ast.RoleDecl)
    def party_or_role(self, d: ast.PartyDecl | ast.RoleDecl, indent: str) -> None:
        word = "party" if isinstance(d, ast.PartyDecl) else "role"
        self.text_after(f"{word} {d.name}", d.title, indent)

    @_rule(ast.EnumDecl)
    def enum(self, d: ast.EnumDecl, indent: str) -> None:
        members = [self.enum_member(m) for m in d.members]
        flat = f"{indent}enum {d.name}{_opt_title(d.title)} {{ {', '.join(members)} }}"
        if len(flat) <= WIDTH and not self._has_comments(d.span):
            self.out.append(flat)
            return
        self.text_after(f"enum {d.name}", d.title, indent, suffix=" {")
        for m in d.members:
            self.item(m.span, indent + STEP, functools.partial(
                self.text_after, m.name, m.title, indent + STEP, suffix=","), keep_blank=False)
        self.out.append(indent + "}")

    @_rule(ast.EnumMember)
    def enum_member(self, m: ast.EnumMember) -> str:
        return m.name + _opt_title(m.title)

    @_rule(ast.Param)
    def param(self, p: ast.Param) -> str:
        return f"{p.name}: {self.type(p.type)}"

    def params(self, params: tuple[ast.Param, ...]) -> str:
        return "(" + ", ".join(self.param(p) for p in params) + ")" if params else ""

    @_rule(ast.FactDecl)
    def fact(self, d: ast.FactDecl, indent: str) -> None:
        qual = "qualitative " if d.qualitative else ""
        over_time = " over time" if d.over_time else ""
        self.text_after(f"{qual}fact {d.name}{self.params(d.params)}: {self.type(d.type)}"
                        f"{over_time}", d.title, indent)

    @_rule(ast.Field)
    def field(self, f: ast.Field) -> str:
        return f"{f.name}: {self.type(f.type)}{_opt_title(f.title)}"

    @_rule(ast.EventDecl)
    def event(self, d: ast.EventDecl, indent: str) -> None:
        head = f"{'qualitative ' if d.qualitative else ''}event {d.name}"
        fields = ", ".join(self.field(f) for f in d.fields)
        flat = indent + head + _opt_title(d.title) + (f" ({fields})" if d.fields else "")
        if len(flat) <= WIDTH and not self._has_comments(d.span):
            self.out.append(flat)
            return
        self.text_after(head, d.title, indent, suffix=" (" if d.fields else "")
        if not d.fields:
            return
        inner = indent + STEP
        for f in d.fields:
            self.item(f.span, inner, functools.partial(
                self.text_after, f"{f.name}: {self.type(f.type)}", f.title, inner, suffix=","),
                keep_blank=False)
        self.out.append(indent + ")")

    @_rule(ast.Define)
    def define(self, d: ast.Define, indent: str) -> None:
        head = f"{indent}define {d.name}{self.params(d.params)}: {self.type(d.type)}"
        title = f" {quote(d.title)}" if d.title is not None else ""
        body = self.expr(d.expr, _IF)
        if len(head + title + " = " + body) <= WIDTH and "\n" not in body:
            self.out.append(head + title + " = " + body)
            return
        inner = indent + STEP
        if len(head + title + " =") <= WIDTH or d.title is None:
            self.out.append(head + title + " =")
        else:
            self.out.append(head)
            self.text_after("", d.title, inner, suffix=" =", room=WIDTH - len(inner) - 2)
        self.lines(self.lay(d.expr, inner, inner))

    @_rule(ast.StateDecl)
    def state(self, d: ast.StateDecl, indent: str) -> None:
        self.text_after(f"state {d.name}{self.params(d.params)}: {self.type(d.type)}", d.title,
                        indent)
        inner = indent + STEP
        self.item(d.initial.span, inner,
                  functools.partial(self.keyword_expr, inner, "initially", d.initial),
                  keep_blank=False)
        for st in d.steps:
            self.item(st.span, inner, functools.partial(self.state_step, st, inner),
                      keep_blank=False)

    @_rule(ast.StateStep)
    def state_step(self, st: ast.StateStep, indent: str) -> None:
        head = f"upon {' or '.join(st.events)} {st.var}"
        value = self.expr(st.expr, _IF)
        if st.where is None:
            self.keyword_expr(indent, head + ":", st.expr)
            return
        flat = f"{indent}{head} where {self.expr(st.where, _IF)}: {value}"
        if len(flat) <= WIDTH:
            self.out.append(flat)
            return
        self.lines(self.lay(st.where, f"{indent}{head} where ", indent + STEP, suffix=":"))
        self.lines(self.lay(st.expr, indent + STEP, indent + STEP))

    @_rule(ast.CheckDecl)
    def check_decl(self, d: ast.CheckDecl, indent: str) -> None:
        head = f"{indent}check {d.name}"
        inner = indent + STEP
        if d.title is None:
            self.out.append(head + ":")
        elif len(head + " " + quote(d.title) + ":") <= WIDTH:
            self.out.append(head + " " + quote(d.title) + ":")
        else:
            self.out.append(head)
            self.text_after("", d.title, inner, suffix=":", room=WIDTH - len(inner) - 1)
        self.keyword_expr(inner, f"for {' or '.join(d.events)} {d.var} requires", d.cond)

    @_rule(ast.Reading)
    def reading(self, d: ast.Reading, indent: str) -> None:
        self.out.append(f"{indent}reading {d.name}:")
        self.text_after("", d.text, indent + STEP)

    @_rule(ast.NonOperative)
    def nonoperative(self, d: ast.NonOperative, indent: str) -> None:
        self.out.append(f"{indent}clause {d.name}: nonoperative")
        self.text_after("", d.text, indent + STEP)

    @_rule(ast.Clause)
    def clause(self, d: ast.Clause, indent: str) -> None:
        self.out.append(f"{indent}clause {d.name}: {self.bearer(d.bearer)} {d.modal}")
        inner = indent + STEP
        self.text_after("", d.action, inner)
        for p in d.parts:
            self.item(p.span, inner, functools.partial(self.part, p, inner), keep_blank=False)

    @_rule(ast.Governed)
    def governed(self, d: ast.Governed, indent: str) -> None:
        self.out.append(f"{indent}clause {d.name}: governed by {d.agreement}.{d.target}")
        self.text_after("", d.matter, indent + STEP)

    @_rule(ast.AmendedBy)
    def amended_by(self, d: ast.AmendedBy, indent: str) -> None:
        self.out.append(f"{indent}amended by {d.event} from {d.definition}")

    @_rule(ast.Survives)
    def survives(self, d: ast.Survives, indent: str) -> None:
        self.keyword_expr(indent, "survives while", d.expr)

    @_rule(ast.Replace)
    def replace(self, d: ast.Replace, indent: str) -> None:
        start = len(self.out)
        self.decl(d.decl, indent)
        self.out[start] = indent + "replace " + self.out[start][len(indent):]

    @_rule(ast.Remove)
    def remove(self, d: ast.Remove, indent: str) -> None:
        names = ", ".join(d.names)
        if d.because is None:
            self.out.append(f"{indent}remove {names}")
        else:
            self.text_after(f"remove {names} because", d.because, indent)

    @_rule(ast.TermMark)
    def term_mark(self, d: ast.TermMark, indent: str) -> None:
        self.text_after(f"{d.status} {', '.join(d.names)}:", d.text, indent)

    @_rule(ast.BearerParty, ast.BearerEach)
    def bearer(self, b: ast.BearerParty | ast.BearerEach) -> str:
        if isinstance(b, ast.BearerEach):
            return f"each {b.var} in {b.role}"
        return b.name

    @_rule(ast.ExceptionDecl)
    def exception(self, d: ast.ExceptionDecl, indent: str) -> None:
        targets = ", ".join(self.target(t) for t in d.targets)
        self.out.append(f"{indent}exception {d.name}: {d.effect} {targets}")
        inner = indent + STEP
        for p in d.parts:
            self.item(p.span, inner, functools.partial(self.part, p, inner), keep_blank=False)

    @_rule(ast.Target)
    def target(self, t: ast.Target) -> str:
        return str(t)

    # clause and exception parts -----------------------------------------------------

    def part(self, p: Any, indent: str) -> None:
        getattr(self, RULES[type(p)])(p, indent)

    def keyword_expr(self, indent: str, words: str, e: ast.Expr, tail: str = "") -> None:
        self.lines(self.lay(e, indent + words + " ", indent + STEP, suffix=tail))

    def lay(self, e: Any, first: str, cont: str, min_prec: int = _IF,
            suffix: str = "") -> list[str]:
        """`e` after the text `first` (which holds its indent), as lines of at most WIDTH
        columns where it can: continuation lines start at `cont`. When the expression would
        fit on a line of its own but not after `first`, it goes on the next line."""
        lines = self._lay(e, first, cont, min_prec, suffix)
        if len(lines) > 1 or len(lines[0]) > WIDTH:
            flat = self.expr(e, min_prec)
            if first.strip() and len(cont + STEP + flat + suffix) <= WIDTH:
                return [first.rstrip(), cont + STEP + flat + suffix]
        return lines

    @_rule(ast.ToPart, ast.When, ast.WhilePart, ast.ByDate, ast.FromPart, ast.Until,
           ast.Through, ast.FulfilledWhen, ast.FulfilledOn)
    def simple_part(self, p: Any, indent: str) -> None:
        words = {ast.ToPart: "to", ast.When: "when", ast.WhilePart: "while", ast.ByDate: "by",
                 ast.FromPart: "from",
                 ast.Until: "until", ast.Through: "through",
                 ast.FulfilledWhen: "fulfilled when", ast.FulfilledOn: "fulfilled on"}
        self.keyword_expr(indent, words[type(p)], p.expr)

    @_rule(ast.Upon, ast.FulfilledBy, ast.BreachedBy)
    def event_part(self, p: ast.Upon | ast.FulfilledBy | ast.BreachedBy, indent: str) -> None:
        if isinstance(p, ast.Upon):
            head = f"upon {' or '.join(p.events)} {p.var}"
        else:
            word = "fulfilled by" if isinstance(p, ast.FulfilledBy) else "breached by"
            head = f"{word} {p.event} {p.var}"
        if p.where is None:
            self.out.append(indent + head)
        else:
            self.keyword_expr(indent, head + " where", p.where)

    @_rule(ast.Within)
    def within(self, p: ast.Within, indent: str) -> None:
        flat = f"{indent}within {self.expr(p.duration, _IF)} {p.word} "
        self.lines(self.lay(p.anchor, flat, indent + STEP))

    @_rule(ast.DeadlineText)
    def deadline(self, p: ast.DeadlineText, indent: str) -> None:
        self.keyword_text(indent, "deadline", p.text)

    @_rule(ast.Because)
    def because(self, p: ast.Because, indent: str) -> None:
        self.keyword_text(indent, "because", p.text)

    @_rule(ast.WithPart)
    def with_part(self, p: ast.WithPart, indent: str) -> None:
        self.keyword_expr(indent, f"with {quote(p.label)} =", p.expr)

    @_rule(ast.ForBinding)
    def for_binding(self, p: ast.ForBinding, indent: str) -> None:
        self.out.append(f"{indent}for {p.type + ' ' if p.type else ''}{p.var}")

    # texts ------------------------------------------------------------------------

    def text_after(self, head: str, value: str | None, indent: str, suffix: str = "",
                   room: int | None = None) -> None:
        """`head "value"suffix` on one line if it fits; else the text on continuation lines
        (one step further in, or at `indent` when there is no head), split at spaces."""
        if value is None:
            self.out.append(indent + head + suffix)
            return
        one = indent + (head + " " if head else "") + quote(value) + suffix
        if len(one) <= WIDTH:
            self.out.append(one)
            return
        inner = indent + STEP if head else indent
        if head:
            self.out.append(indent + head)
        pieces = text_pieces(value, room or WIDTH - len(inner) - len(suffix))
        self.out.extend(inner + piece for piece in pieces)
        self.out[-1] += suffix

    def keyword_text(self, indent: str, word: str, value: str) -> None:
        """`word "text"`, a long text continuing under its first quote."""
        lead = indent + word + " "
        pieces = text_pieces(value, WIDTH - len(lead))
        self.out.append(lead + pieces[0])
        self.out.extend(" " * len(lead) + piece for piece in pieces[1:])

    def _has_comments(self, span: Span | None) -> bool:
        """Are there comments inside the item (not just one at the end of its last line)?"""
        return span is not None and any(
            span.line <= c.line <= span.end_line and (c.line < span.end_line or c.own_line)
            for c in self.pending)

    # types ------------------------------------------------------------------------

    def type(self, t: Any) -> str:
        result: str = getattr(self, RULES[type(t)])(t)
        return result

    @_rule(ast.NamedType)
    def named_type(self, t: ast.NamedType) -> str:
        return t.name

    @_rule(ast.UnionType)
    def union_type(self, t: ast.UnionType) -> str:
        return " or ".join(t.names)

    @_rule(ast.SetType)
    def set_type(self, t: ast.SetType) -> str:
        return f"set of {self.type(t.elem)}"

    @_rule(ast.MapType)
    def map_type(self, t: ast.MapType) -> str:
        return f"map of {self.type(t.key)} to {self.type(t.value)}"

    @_rule(ast.OptionalType)
    def optional_type(self, t: ast.OptionalType) -> str:
        return f"{self.type(t.inner)}?"

    # expressions on one line ------------------------------------------------------

    def expr(self, e: Any, min_prec: int) -> str:
        """`e` on one line, bracketed when it binds more loosely than `min_prec` allows."""
        prec, text = getattr(self, RULES[type(e)])(e)
        return f"({text})" if prec < min_prec else text

    @_rule(ast.Name)
    def e_name(self, e: ast.Name) -> tuple[int, str]:
        return _ATOM, e.name

    @_rule(ast.Call)
    def e_call(self, e: ast.Call) -> tuple[int, str]:
        return _ATOM, f"{e.func}({', '.join(self.expr(a, _IF) for a in e.args)})"

    @_rule(ast.Attr)
    def e_attr(self, e: ast.Attr) -> tuple[int, str]:
        return _POSTFIX, f"{self.expr(e.obj, _POSTFIX)}.{e.name}"

    @_rule(ast.Index)
    def e_index(self, e: ast.Index) -> tuple[int, str]:
        return _POSTFIX, f"{self.expr(e.obj, _POSTFIX)}[{self.expr(e.key, _IF)}]"

    def _binding(self, var: str, source: Any, where: Any) -> str:
        text = f" for {var} in {self.expr(source, _IF)}"
        return text + (f" where {self.expr(where, _IF)}" if where is not None else "")

    @_rule(ast.Aggregate)
    def e_aggregate(self, e: ast.Aggregate) -> tuple[int, str]:
        return _ATOM, f"{e.func}({self.expr(e.expr, _IF)}{self._binding(e.var, e.source, e.where)})"

    @_rule(ast.AggregateSet)
    def e_aggregate_set(self, e: ast.AggregateSet) -> tuple[int, str]:
        return _ATOM, f"{e.func}({self.expr(e.expr, _IF)})"

    @_rule(ast.Allocate)
    def e_allocate(self, e: ast.Allocate) -> tuple[int, str]:
        return _ATOM, (f"allocate({self.expr(e.total, _IF)} among {e.var} in "
                       f"{self.expr(e.source, _IF)} by {self.expr(e.weight, _IF)} "
                       + "".join(f"{word} {self.expr(x, _IF)} "
                                 for word, x in _allocation_options(e))
                       + f"rounding {e.rounding})")

    @_rule(ast.SetComprehension)
    def e_set_comprehension(self, e: ast.SetComprehension) -> tuple[int, str]:
        return _ATOM, f"{{{self.expr(e.expr, _IF)}{self._binding(e.var, e.source, e.where)}}}"

    @_rule(ast.SetLiteral)
    def e_set_literal(self, e: ast.SetLiteral) -> tuple[int, str]:
        return _ATOM, "{" + ", ".join(self.expr(i, _IF) for i in e.items) + "}"

    @_rule(ast.Literal)
    def e_literal(self, e: ast.Literal) -> tuple[int, str]:
        v = e.value
        if e.kind == "money":
            assert isinstance(v, Decimal)
            return _ATOM, _money(v)
        if e.kind == "percent":
            assert isinstance(v, Decimal)
            return _ATOM, _number(v) + "%"
        if e.kind == "decimal":
            assert isinstance(v, Decimal)
            text = _number(v)
            return _ATOM, text if "." in text else text + ".0"
        if e.kind == "int":
            assert isinstance(v, int)
            return _ATOM, str(v)
        if e.kind == "date":
            assert isinstance(v, datetime.date)
            return _ATOM, v.isoformat()
        if e.kind == "text":
            assert isinstance(v, str)
            return _ATOM, quote(v)
        if e.kind == "bool":
            return _ATOM, "true" if v else "false"
        return _ATOM, "none"

    @_rule(ast.DurationLit)
    def e_duration(self, e: ast.DurationLit) -> tuple[int, str]:
        unit = _UNIT_ONE[e.unit] if e.amount == 1 else _UNIT_MANY[e.unit]
        number = e.words if e.words is not None else str(e.amount)  # words stay words
        return _ATOM, f"{number} {'calendar ' if e.calendar else ''}{unit}"

    @_rule(ast.NthAfter)
    def e_nth_after(self, e: ast.NthAfter) -> tuple[int, str]:
        cal = "calendar " if e.calendar else ""
        nth = e.words if e.words is not None else ordinal_digits(e.amount)  # words stay words
        return _UNARY, (f"{nth} {cal}{_UNIT_ONE[e.unit]} {e.word} "
                        f"{self.expr(e.anchor, _POSTFIX)}")

    @_rule(ast.BinOp)
    def e_binop(self, e: ast.BinOp) -> tuple[int, str]:
        prec = _SUM if e.op in "+-" else _PROD
        return prec, f"{self.expr(e.left, prec)} {e.op} {self.expr(e.right, prec + 1)}"

    @_rule(ast.Compare)
    def e_compare(self, e: ast.Compare) -> tuple[int, str]:
        return _CMP, f"{self.expr(e.left, _SUM)} {e.op} {self.expr(e.right, _SUM)}"

    @_rule(ast.Member)
    def e_member(self, e: ast.Member) -> tuple[int, str]:
        op = "not in" if e.negated else "in"
        return _CMP, f"{self.expr(e.item, _SUM)} {op} {self.expr(e.collection, _SUM)}"

    @_rule(ast.BoolOp)
    def e_boolop(self, e: ast.BoolOp) -> tuple[int, str]:
        prec = _OR if e.op == "or" else _AND
        return prec, f"{self.expr(e.left, prec)} {e.op} {self.expr(e.right, prec + 1)}"

    @_rule(ast.Not)
    def e_not(self, e: ast.Not) -> tuple[int, str]:
        return _NOT, f"not {self.expr(e.expr, _NOT)}"

    @_rule(ast.Neg)
    def e_neg(self, e: ast.Neg) -> tuple[int, str]:
        return _UNARY, f"-{self.expr(e.expr, _UNARY)}"

    @_rule(ast.StatusTest)
    def e_status_test(self, e: ast.StatusTest) -> tuple[int, str]:
        args = f"[{', '.join(self.expr(a, _IF) for a in e.args)}]" if e.args else ""
        return _CMP, f"§{e.section}.{e.clause}{args} is {e.status}"

    @_rule(ast.AsOf)
    def e_as_of(self, e: ast.AsOf) -> tuple[int, str]:
        return _UNARY, f"{self.expr(e.expr, _POSTFIX)} as of {self.expr(e.day, _POSTFIX)}"

    @_rule(ast.IfThenElse)
    def e_if(self, e: ast.IfThenElse) -> tuple[int, str]:
        return _IF, (f"if {self.expr(e.cond, _IF)} then {self.expr(e.then, _IF)} "
                     f"else {self.expr(e.otherwise, _IF)}")

    # expressions over several lines ---------------------------------------------------

    def _lay(self, e: Any, first: str, cont: str, min_prec: int = _IF,
             suffix: str = "") -> list[str]:
        flat = self.expr(e, min_prec)
        if len(first) + len(flat) + len(suffix) <= WIDTH:
            return [first + flat + suffix]
        prec = getattr(self, RULES[type(e)])(e)[0]
        if prec < min_prec:  # bracketed: lay it out inside the brackets
            return self.lay(e, first + "(", cont + " ", _IF, ")" + suffix)
        if isinstance(e, ast.BinOp) and e.op in "*/":  # break inside the right operand
            head = f"{first}{self.expr(e.left, prec)} {e.op} "
            if len(head) <= WIDTH - 20:
                return self.lay(e.right, head, cont, prec + 1, suffix)
        if isinstance(e, ast.BoolOp | ast.BinOp):
            ops = _chain(e)
            lines = self.lay(ops[0][1], first, cont, prec)
            for op, operand in ops[1:]:
                lines += self.lay(operand, f"{cont}{op} ", cont + " " * (len(op) + 1), prec + 1)
            lines[-1] += suffix
            return lines
        if isinstance(e, ast.IfThenElse):
            lines = self.lay(e.cond, first + "if ", cont + STEP)
            lines += self.lay(e.then, cont + "then ", cont + STEP)
            lines += self.lay(e.otherwise, cont + "else ", cont + STEP, suffix=suffix)
            return lines
        if isinstance(e, ast.Call) and e.args:
            return self._lay_list(first + e.func + "(", list(e.args), ")" + suffix)
        if isinstance(e, ast.SetLiteral) and e.items:
            return self._lay_list(first + "{", list(e.items), "}" + suffix)
        if isinstance(e, ast.AggregateSet):  # `max({a, b})`: inside the brackets
            head = first + e.func + "("
            return self.lay(e.expr, head, " " * len(head), _IF, ")" + suffix)
        if isinstance(e, ast.Aggregate | ast.SetComprehension):
            opening, closing = (e.func + "(", ")") if isinstance(e, ast.Aggregate) else ("{", "}")
            head = first + opening
            align = " " * len(head)
            lines = self.lay(e.expr, head, align)
            binding = f"{align}{self._binding(e.var, e.source, e.where)[1:]}{closing}{suffix}"
            if len(binding) <= WIDTH:
                return [*lines, binding]
            lines += self.lay(e.source, f"{align}for {e.var} in ", align + STEP,
                              suffix=closing + suffix if e.where is None else "")
            if e.where is not None:
                lines += self.lay(e.where, f"{align}where ", align + STEP,
                                  suffix=closing + suffix)
            return lines
        if isinstance(e, ast.Compare | ast.Member):
            left, right = (e.left, e.right) if isinstance(e, ast.Compare) else (e.item,
                                                                                  e.collection)
            op = e.op if isinstance(e, ast.Compare) else ("not in" if e.negated else "in")
            right_flat = self.expr(right, _SUM)
            if len(right_flat) <= 30:
                return self.lay(left, first, cont, _SUM, f" {op} {right_flat}{suffix}")
            lines = self.lay(left, first, cont, _SUM)
            lines += self.lay(right, f"{cont}{op} ", cont + STEP, _SUM, suffix)
            return lines
        if isinstance(e, ast.Allocate):
            head = first + "allocate("
            align = " " * len(head)
            lines = self.lay(e.total, head, align)
            lines += self.lay(e.source, f"{align}among {e.var} in ", align + STEP)
            lines += self.lay(e.weight, f"{align}by ", align + STEP)
            for word, x in _allocation_options(e):
                lines += self.lay(x, f"{align}{word} ", align + STEP)
            return [*lines, f"{align}rounding {e.rounding}){suffix}"]
        if isinstance(e, ast.Index):
            return self.lay(e.obj, first, cont, _POSTFIX,
                            f"[{self.expr(e.key, _IF)}]{suffix}")
        if isinstance(e, ast.Not):
            return self.lay(e.expr, first + "not ", cont, _NOT, suffix)
        if isinstance(e, ast.AsOf):  # `(a and b) as of d`: broken inside the brackets
            return self.lay(e.expr, first, cont, _POSTFIX,
                            f" as of {self.expr(e.day, _POSTFIX)}{suffix}")
        return [first + flat + suffix]

    def _lay_list(self, head: str, items: list[Any], closing: str) -> list[str]:
        align = " " * len(head)
        lines: list[str] = []
        for i, item in enumerate(items):
            last = i == len(items) - 1
            lines += self.lay(item, head if i == 0 else align, align,
                              suffix=closing if last else ",")
        return lines


def _allocation_options(e: ast.Allocate) -> list[tuple[str, Any]]:
    """`limited to CAP`, `ranked by RANK`, `reserving FLOOR for CONDITION`, as written."""
    out: list[tuple[str, Any]] = []
    if e.cap is not None:
        out.append(("limited to", e.cap))
    if e.rank is not None:
        out.append(("ranked by", e.rank))
    if e.reserve is not None and e.reserve_for is not None:
        out.append(("reserving", e.reserve))
        out.append(("for", e.reserve_for))
    return out


def _chain(e: ast.BoolOp | ast.BinOp) -> list[tuple[str, Any]]:
    """`a and b and c` → [("", a), ("and", b), ("and", c)] (left-associative chains; `+` and
    `-` together)."""
    same = ("+", "-") if e.op in ("+", "-") else (e.op,)
    out: list[tuple[str, Any]] = []
    node: Any = e
    while isinstance(node, type(e)) and node.op in same:
        out.append((node.op, node.right))
        node = node.left
    out.append(("", node))
    return out[::-1]


def _opt_title(title: str | None) -> str:
    return f" {quote(title)}" if title is not None else ""


def _end(span: Span | None, default: int | None = None) -> int | None:
    return span.end_line if span is not None else default


def _end_line(span: Span | None) -> int:
    return span.line if span is not None else 0


__all__ = ["RULES", "WIDTH", "format_text", "quote", "text_pieces"]


# ── the command ──────────────────────────────────────────────────────────────


def clause_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the `.rrd` files under the folders named, in order."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.rglob("*.rrd")) if p.is_dir() else [p])
    return out


def run(paths: Iterable[Path], check: bool = False, diff: bool = False,
        out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`rrdsl fmt`: 0 when done (or, with --check, when nothing would change); 1 when a file
    does not parse or cannot be read, or with --check when a file would change.

    A file that does not parse is reported and left alone; files are written only without
    --check and --diff, and then through a temporary file renamed over the original."""
    import difflib

    from .diagnostics import Diagnostic, RrdslError, Span, render_all
    from .files import TooLarge, read_limited
    from .loader import display_path
    from .parser import MAX_FILE_BYTES, decode_source

    out = out or sys.stdout
    err = err or sys.stderr
    status = 0
    changed = unchanged = refused = 0
    for path in clause_files(paths):
        name = display_path(path)
        try:
            try:
                data = read_limited(path, MAX_FILE_BYTES)
            except TooLarge as exc:
                raise RrdslError(Diagnostic(
                    "E107", f"the file is {exc.size:,} bytes; clause files are limited to "
                    f"{MAX_FILE_BYTES:,} bytes", Span.point(name, 1, 1))) from None
            except OSError as exc:
                raise RrdslError(Diagnostic("E110", f"cannot read {name}: {exc.strerror}")
                                 ) from None
            before = decode_source(data, name)
            after = format_text(before, name)
        except RrdslError as exc:
            err.write(render_all(exc.diagnostics) + "\n")
            err.write(f"{name}: not formatted (fix the error first)\n")
            status = 1
            continue
        if after == before:
            unchanged += 1
            continue
        changed += 1
        if diff:
            out.writelines(difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True),
                f"{name} (as written)", f"{name} (formatted)"))
        if check:
            out.write(f"would reformat {name}\n")
            status = 1
        elif not diff:
            try:
                _write(path, after)
            except RrdslError as exc:
                changed -= 1
                refused += 1
                err.write(render_all(exc.diagnostics) + "\n")
                status = 1
                continue
            link = f" (through the link {path})" if path.is_symlink() else ""
            out.write(f"reformatted {name}{link}\n")
    verb = "would be reformatted" if check or diff else "reformatted"
    err.write(f"{changed} file{'s' if changed != 1 else ''} {verb}, {unchanged} unchanged"
              + (f", {refused} not written" if refused else "") + "\n")
    return status


def _write(path: Path, text: str) -> None:
    """Write the formatted text over the file `path` names: through a temporary file in the
    same folder, renamed over it, so that the file is either the old text or the new one. A
    symbolic link is followed: the file it links to is replaced and the link kept. Refuses,
    with E114, a file or folder that is read-only (by its permission bits, which hold even for
    a superuser) or that the user may not write, instead of going around the protection."""
    import os
    import stat
    import tempfile

    from .diagnostics import Diagnostic, RrdslError
    from .loader import display_path

    name = display_path(path)
    target = path.resolve() if path.is_symlink() else path
    via = f" (through the link {path})" if target != path else ""

    def refuse(why: str, *hints: str) -> RrdslError:
        return RrdslError(Diagnostic("E114", f"cannot write {name}: {why}{via}",
                                     hints=hints or ("nothing was changed",)))

    try:
        st = target.stat()
    except OSError as exc:
        raise refuse(exc.strerror or "it cannot be read") from None
    if not stat.S_ISREG(st.st_mode):
        raise refuse("it is not a regular file")
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise refuse("the file is read-only",
                     f"make it writable (chmod u+w {name}) to format it, or see the changes "
                     "with rrdsl fmt --diff; nothing was changed")
    folder = target.parent
    try:
        fst = folder.stat()
    except OSError as exc:
        raise refuse(exc.strerror or "its folder cannot be read") from None
    if not fst.st_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(f"its folder {display_path(folder)} is read-only, and the formatted text "
                     "is written to a new file there that replaces the old one",
                     "make the folder writable to format the file, or see the changes with "
                     "rrdsl fmt --diff; nothing was changed")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            if tmp is not None:
                os.unlink(tmp)
        raise refuse(exc.strerror or str(exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            if tmp is not None:
                os.unlink(tmp)
        raise


__all__ += ["clause_files", "run"]

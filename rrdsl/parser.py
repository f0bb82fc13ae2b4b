"""Parser stage: clause-file text → `ast.Module`.

Lark (LALR, contextual lexer, strict) is used here and nowhere else: no Lark `Tree` or `Token`
leaves this module. Syntax errors become `SyntaxErrors` with spans and "did you mean" hints.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import attrs
from lark import Lark, Token, Tree
from lark.tree import Meta
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ast, cachedir, numwords, parsecache
from .diagnostics import (
    Diagnostic,
    Span,
    SyntaxErrors,
    date_problem,
    did_you_mean,
    edit_distance,
)
from .sourcetext import (  # defined there so that a cached file needs no parser
    MAX_FILE_BYTES,
    Comment,
    decode_source,
    grammar_text,
    keywords,
    prepared,
    read_and_parse,
)

#: Documented limits (docs/language.md, "Limits").
MAX_NESTING = 64  # brackets inside brackets
MAX_DEPTH = 192  # operations inside operations (the tree's depth)
MAX_INT_DIGITS = 30
MAX_FRACTION_DIGITS = 10


class _BracketsTooDeep(Exception):
    """Raised by the post-lexer at the opening bracket that passes `MAX_NESTING`."""

    def __init__(self, token: Token):
        super().__init__(str(token))
        self.token = token


_STATE = threading.local()

_OPEN = {"LPAR", "LSQB", "LBRACE"}
_CLOSE = {"RPAR", "RSQB", "RBRACE"}


class _KeywordPostLex:
    """Always accept NAME, so a misspelled keyword lexes as the whole word the user wrote.

    It also records the tokens of the current parse (for messages that look back) and stops
    brackets nested deeper than `MAX_NESTING`, before the tree gets deep."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        history: list[Token] = []
        _STATE.tokens = history
        depth = 0
        for tok in stream:
            if tok.type in _OPEN:
                depth += 1
                if depth > MAX_NESTING:
                    raise _BracketsTooDeep(tok)
            elif tok.type in _CLOSE:
                depth = max(0, depth - 1)
            history.append(tok)
            yield tok


def _collect_comment(tok: Token) -> Token:
    # one Lark object serves every parse: the list is per thread and reset by each parse
    found = getattr(_STATE, "comments", None)
    if found is not None:
        found.append(tok)
    return tok


def _cache_path(text: str, options: dict[str, Any]) -> str | None:
    """Lark's cache of the parser for this grammar and these options (Lark checks both
    again when it reads it; in the name, two versions of rrdsl do not overwrite each other's)."""
    folder = cachedir.folder()  # the one cache folder, shared with the parse cache
    if folder is None:
        return None
    plain = sorted((k, v) for k, v in options.items() if isinstance(v, str | bool))
    digest = hashlib.sha256((text + repr(plain)).encode()).hexdigest()[:16]
    return str(folder / f"grammar-{digest}.lark-cache")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    text = grammar_text()
    options: dict[str, Any] = dict(
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,  # done by `_with_positions`, the same positions, faster
        postlex=_KeywordPostLex(),
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": _collect_comment},
    )
    path = _cache_path(text, options)
    lark = None
    if path is not None:
        try:
            lark = Lark(text, cache=path, **options)
        except OSError:
            pass
    if lark is None:
        lark = Lark(text, **options)
    callbacks = lark._callbacks  # each rule's tree builder, called by the LALR parser
    for rule, build in callbacks.items():
        callbacks[rule] = _with_positions(build)
    return lark


def _with_positions(build: Any) -> Any:
    """`build` (a rule's tree builder), giving the tree it makes the positions Lark's
    `propagate_positions=True` gives (lark/parse_tree_builder.py, `PropagatePositions`): a
    node starts where the first of the rule's children starts and ends where the last ends,
    counting the tokens the tree leaves out (keywords, brackets), and a rule inlined into
    its parent (`?rule`) keeps its own start and end but passes its parent the outer ones
    ("container" positions).  Lark's also sets offsets, reads every position through `getattr`
    with a default and runs for rules inlined whole (one child passed up as it is); this one
    sets only the lines and columns the AST keeps: the parse of the agreement in 0.7–0.8 of
    the time (docs/performance.md, the ninth round).
    tests/test_parser_positions.py requires every node's positions equal to Lark's."""
    def build_with_positions(children: list[Any]) -> Any:
        res = build(children)
        if type(res) is not Tree or (len(children) == 1 and children[0] is res):
            return res  # a token, or a rule inlined whole: its one child's positions stand
        meta: Any = res._meta  # (`Tree.meta` is a property that makes a `Meta` when none)
        fresh = meta is None
        if fresh:
            meta = res._meta = Meta()  # type: ignore[no-untyped-call]
        first: Any
        last: Any
        for c in children:
            first = _outer_span(c)
            if first is not None:
                break
        else:
            return res  # no child with a position: none for the node either
        for c in reversed(children):
            last = _outer_span(c)
            if last is not None:
                break
        if fresh or not hasattr(meta, "line"):
            meta.line, meta.column, meta.empty = first[0], first[1], False
        meta.container_line, meta.container_column = first[0], first[1]
        if fresh or not hasattr(meta, "end_line"):
            meta.end_line, meta.end_column, meta.empty = last[2], last[3], False
        meta.container_end_line, meta.container_end_column = last[2], last[3]
        return res

    return build_with_positions


def _outer_span(c: Any) -> tuple[int, int, int, int] | None:
    """A child's positions as its parent counts them (a tree's container positions, a
    token's own), or None for one without (an optional part left out, an empty rule)."""
    if type(c) is Tree:
        m: Any = c._meta
        if m is None or m.empty:
            return None
        return (m.container_line, m.container_column,
                m.container_end_line, m.container_end_column)
    if c is None:  # an optional part left out (maybe_placeholders)
        return None
    return c.line, c.column, c.end_line, c.end_column


# ── terminal descriptions for messages ──────────────────────────────────────

_TERMINAL_NAMES = {
    "NAME": "a name",
    "SECNUM": "a section number such as 3(c)(viii)",
    "SECREF": "a section reference such as §3(j)",
    "DATE": "a date (YYYY-MM-DD)",
    "ORDINAL": "an ordinal such as 180th",
    "NUMWORD": "a number in words such as five",
    "ORDWORD": "an ordinal in words such as fifth",
    "PERCENT": "a percentage such as 50%",
    "DECIMAL": "a decimal number",
    "MONEY": "an amount of money such as $5,000,000",
    "INT": "a whole number",
    "STRING": 'a quoted text "..."',
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "$END": "the end of the file",
}

#: Terminals that can begin an expression.
_EXPR_START = {"INT", "NAME", "LPAR", "DATE", "MONEY", "STRING"}
_EXPR_START_ALL = _EXPR_START | {
    "DECIMAL", "PERCENT", "ORDINAL", "NUMWORD", "ORDWORD", "MINUS", "LBRACE", "TRUE", "FALSE",
    "NONE", "NOT", "IF",
    "ALLOCATE", "SUM", "COUNT", "ALL", "ANY", "MIN", "MAX", "EARLIEST", "LATEST", "SECREF",
}
#: Terminals that continue a complete expression.
_OPERATORS = {"DOT", "LSQB", "MUL_OP", "ADD_OP", "COMPARE", "AND", "OR", "IN", "NOT", "AS"}
#: Units of time, accepted after a whole number.
_UNITS = {"DAY", "DAYS", "BUSINESS", "CALENDAR", "MONTH", "MONTHS", "YEAR", "YEARS"}
#: Terminals that begin the next statement of a section (or a new section, or end the file).
_ESCAPE = re.compile(r'\\(["\\\\n])')  # the escapes the STRING terminal allows
_ESCAPED = {'"': '"', "\\": "\\", "n": "\n"}

_STATEMENT_START = {
    "CLAUSE", "DEFINE", "ENUM", "EVENT", "EXCEPTION", "FACT", "PARTY", "QUALITATIVE", "READING",
    "REMOVE", "ROLE", "SECTION", "IMPORT", "SUBJECT", "NOTWITHSTANDING", "EXCEPT", "$END",
    "AMENDED", "ASSUMED", "KNOWN", "REPLACE", "CHECK", "STATE", "SURVIVES",
}


@lru_cache(maxsize=1)
def _terminal_display() -> dict[str, str]:
    out = dict(_TERMINAL_NAMES)
    for term in lark_parser().terminals:
        if term.name in out:
            continue
        if term.pattern.type == "str":
            out[term.name] = f"'{term.pattern.value}'"
    return out


def _join(parts: list[str]) -> str:
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " or " + parts[-1]
    return parts[0] if parts else "nothing more"


def _describe_expected(accepts: set[str]) -> tuple[str, list[str]]:
    """Say in words what the parser accepts; also return the keywords among it."""
    display = _terminal_display()
    accepts = set(accepts)
    keywords_expected = sorted(display[a].strip("'") for a in accepts
                               if display.get(a, "")[1:2].isalpha())
    head: list[str] = []
    tail: list[str] = []
    if accepts >= _EXPR_START:
        head.append("an expression")
        accepts -= _EXPR_START_ALL
    if {"DAYS", "MONTHS"} <= accepts:
        tail.append("a unit of time (days, business days, calendar days, months, years)")
        accepts -= _UNITS
    if {"ADD_OP", "MUL_OP"} <= accepts:
        tail.append("an operator")
        accepts -= _OPERATORS
    if len(accepts & _STATEMENT_START) > 3:
        tail.append("a new statement (section, clause, exception, define, fact, event, ...)")
        accepts -= _STATEMENT_START
    words = sorted((display.get(a, a) for a in accepts),
                   key=lambda w: (not w.startswith("'"), w))
    return _join(head + words + tail), keywords_expected


def _token_desc(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "NAME":
        return f"word '{tok.value}'"
    if tok.type == "STRING":
        return f"text {tok.value}"
    return f"'{tok.value}'"


def _accepts_at(text: str, pos: int) -> set[str] | None:
    """The terminals the parser accepts at character `pos` of `text` (None if unknown)."""
    try:
        ip = lark_parser().parse_interactive(text[:pos])
        ip.exhaust_lexer()
        accepted: set[str] = ip.accepts()  # type: ignore[no-untyped-call]
        return set(accepted)
    except (UnexpectedInput, _BracketsTooDeep):
        return None


def _error_pos(text: str) -> int | None:
    """Where parsing `text` fails (None when it parses)."""
    try:
        lark_parser().parse(text)
    except UnexpectedToken as err:
        return len(text) if err.token.type == "$END" else err.token.start_pos
    except UnexpectedInput as err:
        return err.pos_in_stream if err.pos_in_stream is not None else len(text)
    except _BracketsTooDeep as err:
        return err.token.start_pos
    return None


def _misspelled_before(tok: Token, history: list[Token], text: str) -> tuple[Token, str] | None:
    """A word shortly before `tok` that parsed as a name but is a misspelled keyword: with the
    keyword in its place the parse gets past `tok`. E.g. `eahc i in Investor` fails at `i`."""
    import difflib

    err_pos = tok.start_pos or 0
    before = [t for t in history if t.end_pos is not None and t.end_pos <= err_pos]
    candidates = [t for t in before[-3:] if t.type == "NAME" and t.value not in keywords()]
    # parsing up to the end of the error's line is enough to see whether it gets past it
    stop = text.find("\n", tok.end_pos or err_pos)
    stop = len(text) if stop < 0 else stop
    for cand in reversed(candidates):
        for kw in difflib.get_close_matches(cand.value, sorted(keywords()), n=3, cutoff=0.6):
            fixed = text[: cand.start_pos] + kw + text[cand.end_pos: stop]
            pos = _error_pos(fixed)
            if pos is None or pos - (len(kw) - len(cand.value)) > err_pos:
                return cand, kw
    return None


_CHARACTER_HINTS = {
    "&": "write 'and' to join two conditions",
    "|": "write 'or' for either of two conditions",
    "!": "write 'not' to negate a condition, or != for 'is not equal to'",
    "'": 'quote text with double quotes: "..."',
    "“": 'quote text with straight double quotes: "..."',
    "”": 'quote text with straight double quotes: "..."',
    ";": "statements end at the end of the line; remove the ';'",
}


_AGGREGATES = frozenset({"min", "max", "sum", "count", "all", "any", "earliest", "latest"})


def _aggregate_open(tok: Token, history: list[Token]) -> str | None:
    """The aggregate whose parenthesis is open at `tok` (a comma there: `max(a, b)`)."""
    depth = 0
    before = [t for t in history if t.end_pos is not None and t.end_pos <= (tok.start_pos or 0)]
    for i in range(len(before) - 1, -1, -1):
        v = before[i].value
        if v in (")", "}", "]"):
            depth += 1
        elif v in ("(", "{", "["):
            if depth == 0:
                name = before[i - 1].value if i > 0 and v == "(" else None
                return name if name in _AGGREGATES else None
            depth -= 1
    return None


_PLURAL_UNITS = frozenset({"days", "months", "years"})


def _number_words_diagnostic(tok: Token, history: list[Token], file: str) -> Diagnostic | None:
    """A number of units that does not fit, at `tok`: a word before a unit that is no number
    word (`fivty days`), an ordinal before a plural unit (`fifth business days`), or a length
    of time before `after` (`five business days following X` where a date is wanted)."""
    before = [t for t in history if t.end_pos is not None and t.end_pos <= (tok.start_pos or 0)]
    value = str(tok.value)
    if not before or tok.type == "$END":
        return None

    def span(first: Token, last: Token) -> Span:
        width = (last.end_pos or 0) - (first.start_pos or 0) if first.line == last.line else 0
        return Span.point(file, first.line or 1, first.column or 1,
                          width or len(str(first.value)))

    if value in numwords.UNIT_WORDS and before[-1].type == "NAME":
        first = last = before[-1]
        if (len(before) >= 3 and before[-2].value == "-" and before[-3].type == "NAME"
                and before[-3].end_pos == before[-2].start_pos
                and before[-2].end_pos == before[-1].start_pos):
            first = before[-3]  # `fourty-five`: three tokens
        word = f"{first.value}-{last.value}" if first is not last else str(last.value)
        if word in numwords.CARDINALS or word in numwords.ORDINALS:  # `five # c` + `days`
            return Diagnostic(
                "E101", f"'{word}' is read as a number only where a value may be written, "
                "with its unit right after it (no comment between)",
                span(first, last), hints=(f"write the number and its unit together: "
                                          f"'{word} {value}'",))
        guess = did_you_mean(word, list(numwords.CARDINALS) + list(numwords.ORDINALS))
        if guess is not None and edit_distance(word, guess) <= (2 if len(word) >= 6 else 1):
            return Diagnostic(
                "E115", f"'{word}' is not a number word", span(first, last),
                expected="a number before the unit, in digits (5) or words (one ... ninety-nine)",
                hints=(f"did you mean '{guess}'?",))
        if first is not last and str(last.value) in numwords.CARDINALS:  # `sent-five days`
            return Diagnostic(
                "E101", f"'{word}' is not a number word: '-' joins only the words of a number "
                "such as forty-five", span(first, last),
                hints=(f"to subtract, put spaces around the minus sign: "
                       f"'{first.value} - {last.value} {value}'",))
        if first is last:
            return Diagnostic(
                "E101", f"unexpected word '{value}' after the name '{word}'",
                Span.point(file, tok.line or 1, tok.column or 1, len(value)),
                hints=("a number of units is written in digits or in words: `5 days`, "
                       "`five days`, `forty-five days`",))
        return None
    counted = [t for t in before[-3:] if t.type in ("ORDINAL", "ORDWORD", "INT", "NUMWORD")]
    if not counted:
        return None
    num = counted[-1]
    units = [t for t in before if (t.start_pos or 0) > (num.start_pos or 0)]
    if not all(str(t.value) in numwords.UNIT_WORDS for t in units):
        return None
    if num.type in ("ORDINAL", "ORDWORD") and value in _PLURAL_UNITS:
        nth = numwords.written(str(num.value))
        amount = numwords.number_word(nth)[1] if num.type == "ORDWORD" else int(
            re.match(r"[0-9]+", nth).group())  # type: ignore[union-attr]
        cardinal = (numwords.CARDINAL_OF.get(amount, str(amount)) if num.type == "ORDWORD"
                    else str(amount))
        unit_many = " ".join([str(t.value) for t in units] + [value])
        unit_one = unit_many.removesuffix("s")
        return Diagnostic(
            "E101", f"an ordinal names one {value.removesuffix('s')}: "
            f"'{nth} {unit_many}' mixes the two forms",
            span(num, tok), hints=(
                f"for a date, write '{nth} {unit_one} after X'",
                f"for a length of time, write '{cardinal} {unit_many}'"))
    if num.type in ("INT", "NUMWORD") and value in ("after", "following"):
        words = numwords.written(str(num.value))
        amount = numwords.number_word(words)[1] if num.type == "NUMWORD" else int(
            str(num.value).replace("_", ""))
        nth = (f"the {numwords.ORDINAL_OF[amount]}" if num.type == "NUMWORD"
               and amount in numwords.ORDINAL_OF else numwords.ordinal_digits(amount))
        unit = " ".join(str(t.value) for t in units).removesuffix("s")
        return Diagnostic(
            "E101", f"'{words} {unit}' is a length of time, not a date: it cannot be followed "
            f"by '{value}' here", span(num, tok), hints=(
                f"for the date that many units later, write '{nth} {unit} {value} X'",
                f"or add the length to the date: 'X + {words} {unit}"
                f"{'' if amount == 1 else 's'}'"))
    return None


def _syntax_diagnostic(err: UnexpectedInput, file: str, text: str,
                       history: list[Token]) -> Diagnostic:
    if isinstance(err, UnexpectedToken):
        tok = err.token
        found_n = _number_words_diagnostic(tok, history, file)
        if found_n is not None:
            return found_n
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            span = Span.point(file, len(lines), len(lines[-1]) + 1)
            expected, _ = _describe_expected(set(err.accepts))
            return Diagnostic("E103", "the file ends in the middle of a statement", span,
                              expected=expected)
        expected, kws = _describe_expected(set(err.accepts))
        hints: list[str] = []
        if tok.type == "NAME" or str(tok.value).isalpha():
            guess = did_you_mean(str(tok.value), kws)
            if guess:
                hints.append(f"did you mean '{guess}'?")
        if not hints and tok.type == "NAME":
            found = _misspelled_before(tok, history, text)
            if found is not None:
                word, kw = found
                return Diagnostic(
                    "E101", f"'{word.value}' is not a keyword, and as a name it cannot be "
                    f"followed by {_token_desc(tok).replace('word ', '')}",
                    Span.point(file, word.line or 1, word.column or 1, len(word.value)),
                    hints=(f"did you mean '{kw}'?",))
        aggregate = _aggregate_open(tok, history) if tok.value == "," else None
        if aggregate is not None:
            hints.append(f"{aggregate} takes one set: write {aggregate}({{a, b}})"
                         + ("; for two dates, earlier(a, b) or later(a, b)"
                            if aggregate in ("min", "max", "earliest", "latest") else ""))
        accepts = set(err.accepts)
        if not hints and len(accepts) == 1 and not _terminal_display().get(
                next(iter(accepts)), "")[1:2].isalpha():
            prev = [t for t in history if t.end_pos is not None and t.end_pos <= tok.start_pos]
            if prev and expected.startswith("'"):
                hints.append(f"add {expected} after '{prev[-1].value}'")
        width = len(str(tok.value)) if tok.value else 1
        span = Span.point(file, tok.line or 1, tok.column or 1, width)
        return Diagnostic("E101", f"unexpected {_token_desc(tok)}", span, expected=expected,
                          hints=tuple(hints))
    if isinstance(err, UnexpectedCharacters):
        line, col = err.line, err.column
        pos = err.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        span = Span.point(file, line, col)
        if ch == '"':
            return Diagnostic("E109", "this quoted text is not closed on its line", span,
                              hints=('close it with " before the end of the line; '
                                     "split long text into several quoted pieces",))
        precise = _accepts_at(text, err.pos_in_stream or 0)
        expected, _ = _describe_expected(precise if precise is not None
                                         else set(err.allowed or ()))
        hint = _CHARACTER_HINTS.get(ch)
        shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
        return Diagnostic("E102", f"unexpected character {shown}", span, expected=expected,
                          hints=(hint,) if hint else ())
    if isinstance(err, UnexpectedEOF):
        lines = text.splitlines() or [""]
        span = Span.point(file, len(lines), len(lines[-1]) + 1)
        return Diagnostic("E103", "the file ends in the middle of a statement", span)
    return Diagnostic("E101", str(err), Span.point(file, 1, 1))


def parse(text: str, file: str = "<input>") -> ast.Module:
    """Parse one clause file's text into an `ast.Module`."""
    return _parse(text, file)


def parse_with_comments(text: str, file: str = "<input>") -> tuple[ast.Module, tuple[Comment, ...]]:
    """Parse like `parse`, and also return the file's comments in order (for the formatter)."""
    module = _parse(text, file)
    return module, module.comments


def _comments(tokens: list[Token], text: str) -> tuple[Comment, ...]:
    lines = text.split("\n")
    out = []
    for tok in tokens:
        line, col = tok.line or 1, tok.column or 1
        before = lines[line - 1][: col - 1] if line <= len(lines) else ""
        out.append(Comment(line, col, str(tok).rstrip(), not before.strip()))
    return tuple(out)


def parse_new(text: str, file: str) -> ast.Module:
    """Parse a file read from disk that the parse cache does not hold (sourcetext.read_and_parse
    looked), and keep its AST there."""
    return _parse(text, file, cache=True, looked=True)


def _parse(text: str, file: str, cache: bool = False, looked: bool = False) -> ast.Module:
    text = prepared(text, file)
    if cache and not looked:  # a file read from disk: parsed before, with the same text?
        module = parsecache.load(file, text)  # (rrdsl/parsecache.py)
        if module is not None:
            return module
    _STATE.comments = []  # the comments of this parse (the lexer callback appends to it)
    try:
        tree = lark_parser().parse(text)
        comments: list[Token] = _STATE.comments
    except UnexpectedInput as err:
        history = list(getattr(_STATE, "tokens", []))
        raise SyntaxErrors(_syntax_diagnostic(err, file, text, history)) from None
    except _BracketsTooDeep as err:
        tok = err.token
        raise SyntaxErrors(Diagnostic(
            "E106", f"brackets are nested more than {MAX_NESTING} deep",
            Span.point(file, tok.line or 1, tok.column or 1),
            hints=("name an inner part with `define` and use the name",))) from None
    finally:
        _STATE.comments = None
    _check_depth(tree, file)
    module = attrs.evolve(_Builder(file, text).module(tree), comments=_comments(comments, text))
    if cache:
        parsecache.store(file, text, module)
    return module


_EXPR_NODES = frozenset({
    "call", "attr", "index", "aggregate", "aggregate_set", "allocate", "set_comprehension",
    "set_literal", "nth_after", "arith", "compare", "member", "not_member", "and_", "or_", "not_",
    "neg", "as_of", "status_test", "if_then_else",
})


def _check_depth(tree: Tree[Token], file: str) -> None:
    """Reject trees deeper than `MAX_DEPTH`, pointing at the start of the expression."""
    stack: list[tuple[Tree[Token], int, Tree[Token] | None]] = [(tree, 1, None)]
    while stack:
        node, depth, top = stack.pop()
        if top is None and node.data in _EXPR_NODES:
            top = node
        if depth > MAX_DEPTH:
            meta = (top or node).meta
            span = Span.point(file, getattr(meta, "line", 1), getattr(meta, "column", 1))
            raise SyntaxErrors(Diagnostic(
                "E106", f"this expression is too deep: it has more than {MAX_DEPTH} operations "
                "inside one another", span,
                hints=("name an inner part with `define` and use the name",)))
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1, top))


# ── tree → AST ───────────────────────────────────────────────────────────────


_HEADER_WORDS = {"variant_of": "variant of", "amends": "amends"}


class _Builder:
    """Turns the Lark tree into AST nodes. Recursive, guarded by `_check_depth`."""

    def __init__(self, file: str, text: str = ""):
        self.file = file
        self.source = text
        self._line_starts: list[int] | None = None  # each line's offset, when asked

    def span(self, node: Tree[Token] | Token) -> Span:
        if isinstance(node, Token):
            return Span(self.file, node.line or 1, node.column or 1,
                        node.end_line or node.line or 1,
                        node.end_column or (node.column or 1) + 1)
        m = node.meta
        if getattr(m, "empty", True):
            return Span.point(self.file, 1, 1)
        return Span(self.file, m.line, m.column, m.end_line, m.end_column)

    def error(self, node: Tree[Token] | Token, code: str, message: str,
              *hints: str) -> SyntaxErrors:
        return SyntaxErrors(Diagnostic(code, message, self.span(node), hints=tuple(hints)))

    # module structure ------------------------------------------------------

    def module(self, tree: Tree[Token]) -> ast.Module:
        header = None
        imports: list[ast.Import] = []
        preamble: list[ast.Decl] = []
        sections: list[ast.Section] = []
        for child in tree.children:
            assert isinstance(child, Tree)
            if child.data == "header":
                header = self.header(child)
            elif child.data == "import_stmt":
                tok = child.children[0]
                assert isinstance(tok, Token)
                imports.append(ast.Import(self.path(tok), self.span(child)))
            elif child.data == "section":
                sections.append(self.section(child))
            else:
                preamble.append(self.decl(child))
        return ast.Module(self.file, header, tuple(imports), tuple(preamble), tuple(sections))

    def header(self, tree: Tree[Token]) -> ast.Header:
        kind_t = tree.children[0]
        assert isinstance(kind_t, Tree)
        kind = str(kind_t.children[0])
        name = str(tree.children[1])
        title = self.text(tree.children[2])
        dated = calendar = source = base = writing = inherited = retro = None
        cal_span = source_span = base_span = writing_span = inherited_span = retro_span = None
        refers: list[ast.AgreementRef] = []
        for part in tree.children[3:]:
            assert isinstance(part, Tree)
            if part.data == "dated":
                dated = self.date(part.children[0])
            elif part.data == "calendar":
                calendar = self.text(part.children[0])
                cal_span = self.span(part)
            elif part.data == "source":
                source = self.path(part.children[0])
                source_span = self.span(part)
            elif part.data in ("variant_of", "amends"):
                if base is not None or (part.data == "variant_of") != (kind == "agreement"):
                    what = ("an agreement is a `variant of` another file; an amendment `amends` "
                            "one")
                    raise self.error(part, "E111", f"`{_HEADER_WORDS[str(part.data)]}` "
                                     f"does not fit here: {what}, once",
                                     'write: agreement NAME "Title" variant of "base.rrd", or '
                                     'amendment NAME "Title" amends "agreement.rrd" writing '
                                     '"id"')
                base = self.path(part.children[0])
                base_span = self.span(part)
            elif part.data == "writing":
                writing = self.string(part.children[0])
                writing_span = self.span(part)
            elif part.data == "retroactive":
                if kind != "amendment":
                    raise self.error(part, "E111", "`retroactive` does not fit here: only an "
                                     "amendment says whether it governs earlier events",
                                     'write it in an amendment\'s header: amendment NAME "Title" '
                                     'amends "agreement.rrd" writing "id" retroactive "why"')
                retro = self.text(part.children[0])
                retro_span = self.span(part)
            elif part.data == "inherited":
                inherited = self.text(part.children[0])
                inherited_span = self.span(part)
            elif part.data == "refers":
                refers.append(ast.AgreementRef(str(part.children[0]),
                                               self.text(part.children[1]), self.span(part)))
        return ast.Header(name, title, dated, calendar, self.span(tree), cal_span, source,
                          source_span, kind, base, base_span, writing, writing_span, inherited,
                          inherited_span, tuple(refers), retro, retro_span)

    def section(self, tree: Tree[Token]) -> ast.Section:
        number = str(tree.children[0])
        heading = self.text(tree.children[1])
        priorities: list[ast.Priority] = []
        items: list[ast.Decl] = []
        for child in tree.children[2:]:
            assert isinstance(child, Tree)
            if child.data in ("subject_to", "notwithstanding", "notwithstanding_all",
                              "except_as_provided"):
                refs: tuple[str, ...] = ()
                ref_spans: tuple[Span, ...] = ()
                if child.children:
                    lst = child.children[0]
                    assert isinstance(lst, Tree)
                    refs = tuple(self.secref(r) for r in lst.children)
                    ref_spans = tuple(self.span(r) for r in lst.children)
                priorities.append(ast.Priority(str(child.data), refs, self.span(child),
                                               ref_spans))
            else:
                items.append(self.decl(child))
        return ast.Section(number, heading, tuple(priorities), tuple(items), self.span(tree))

    def secref(self, node: Any) -> str:
        tok = node.children[0] if isinstance(node, Tree) else node
        return str(tok).lstrip("§").strip()

    def decl(self, tree: Tree[Token]) -> ast.Decl:
        method = getattr(self, "d_" + str(tree.data))
        result: ast.Decl = method(tree)
        return result

    def d_party_decl(self, t: Tree[Token]) -> ast.PartyDecl:
        return ast.PartyDecl(str(t.children[0]), self.opt_text(t.children[1:]), self.span(t))

    def d_role_decl(self, t: Tree[Token]) -> ast.RoleDecl:
        return ast.RoleDecl(str(t.children[0]), self.opt_text(t.children[1:]), self.span(t))

    def d_enum_decl(self, t: Tree[Token]) -> ast.EnumDecl:
        name = str(t.children[0])
        title = None
        members: list[ast.EnumMember] = []
        for c in t.children[1:]:
            if isinstance(c, Tree) and c.data == "text":
                title = self.text(c)
            elif isinstance(c, Tree) and c.data == "enum_member":
                members.append(ast.EnumMember(str(c.children[0]),
                                              self.opt_text(c.children[1:]), self.span(c)))
        return ast.EnumDecl(name, title, tuple(members), self.span(t))

    def d_fact_decl(self, t: Tree[Token]) -> ast.FactDecl:
        kids = list(t.children)
        qual = bool(kids and isinstance(kids[0], Tree) and kids[0].data == "qualitative")
        if qual:
            kids = kids[1:]
        name = str(kids[0])
        params: tuple[ast.Param, ...] = ()
        rest = kids[1:]
        if rest and isinstance(rest[0], Tree) and rest[0].data == "params":
            params = self.params(rest[0])
            rest = rest[1:]
        typ = self.type(rest[0])
        over_time = len(rest) > 1 and isinstance(rest[1], Tree) and rest[1].data == "over_time"
        if over_time:
            rest = rest[1:]
        return ast.FactDecl(name, params, typ, self.opt_text(rest[1:]), qual, self.span(t),
                            over_time)

    def d_event_decl(self, t: Tree[Token]) -> ast.EventDecl:
        kids = list(t.children)
        qual = bool(kids and isinstance(kids[0], Tree) and kids[0].data == "qualitative")
        if qual:
            kids = kids[1:]
        name = str(kids[0])
        title = None
        fields: list[ast.Field] = []
        for c in kids[1:]:
            assert isinstance(c, Tree)
            if c.data == "text":
                title = self.text(c)
            elif c.data == "fields":
                for f in c.children:
                    assert isinstance(f, Tree)
                    fields.append(ast.Field(str(f.children[0]), self.type(f.children[1]),
                                            self.opt_text(f.children[2:]), self.span(f)))
        return ast.EventDecl(name, title, tuple(fields), qual, self.span(t))

    def _head(self, t: Tree[Token]) -> tuple[str, tuple[ast.Param, ...], ast.TypeExpr,
                                              str | None, list[Any]]:
        """`NAME[(params)]: TYPE ["title"]` of a definition or a state, and what follows."""
        kids = list(t.children)
        params: tuple[ast.Param, ...] = ()
        rest = kids[1:]
        if isinstance(rest[0], Tree) and rest[0].data == "params":
            params = self.params(rest[0])
            rest = rest[1:]
        typ = self.type(rest[0])
        rest = rest[1:]
        title = None
        if rest and isinstance(rest[0], Tree) and rest[0].data == "text":
            title = self.text(rest[0])
            rest = rest[1:]
        return str(kids[0]), params, typ, title, rest

    def d_define(self, t: Tree[Token]) -> ast.Define:
        name, params, typ, title, rest = self._head(t)
        return ast.Define(name, params, typ, title, self.expr(rest[-1]), self.span(t))

    def d_state_decl(self, t: Tree[Token]) -> ast.StateDecl:
        name, params, typ, title, rest = self._head(t)
        initial = self.expr(rest[0])
        steps = []
        for st in rest[1:]:
            assert isinstance(st, Tree)
            k: list[Any] = list(st.children)
            names: list[Token] = k[0].children
            has_where = isinstance(k[2], Tree) and k[2].data == "where"
            where = self.expr(k[2].children[0]) if has_where else None
            steps.append(ast.StateStep(tuple(str(x) for x in names), str(k[1]), where,
                                       self.expr(k[-1]), self.span(st),
                                       tuple(self.span(x) for x in names)))
        return ast.StateDecl(name, params, typ, title, initial, tuple(steps), self.span(t))

    def d_check_decl(self, t: Tree[Token]) -> ast.CheckDecl:
        name_tok = t.children[0]
        rest = list(t.children[1:])
        title = None
        if isinstance(rest[0], Tree) and rest[0].data == "text":
            title = self.text(rest.pop(0))
        types, var, cond = rest
        assert isinstance(types, Tree)
        names: list[Token] = list(types.children)  # type: ignore[arg-type]
        return ast.CheckDecl(str(name_tok), title, tuple(str(x) for x in names), str(var),
                             self.expr(cond), self.span(t), self.span(name_tok),
                             tuple(self.span(x) for x in names))

    def d_reading(self, t: Tree[Token]) -> ast.Reading:
        return ast.Reading(str(t.children[0]), self.text(t.children[1]), self.span(t))

    def d_clause(self, t: Tree[Token]) -> ast.Clause:
        name_tok = t.children[0]
        bearer_t = t.children[1]
        modal_t = t.children[2]
        assert isinstance(bearer_t, Tree) and isinstance(modal_t, Tree)
        if bearer_t.data == "bearer_party":
            bearer: ast.BearerParty | ast.BearerEach = ast.BearerParty(
                str(bearer_t.children[0]), self.span(bearer_t))
        else:
            bearer = ast.BearerEach(str(bearer_t.children[0]), str(bearer_t.children[1]),
                                    self.span(bearer_t))
        modal = " ".join(str(x) for x in modal_t.children)
        action = self.text(t.children[3])
        parts = tuple(self.part(p) for p in t.children[4:] if isinstance(p, Tree))
        return ast.Clause(str(name_tok), bearer, modal, action, parts,
                          self.span(t), self.span(name_tok))

    def d_nonoperative(self, t: Tree[Token]) -> ast.NonOperative:
        name_tok = t.children[0]
        return ast.NonOperative(str(name_tok), self.text(t.children[1]), self.span(t),
                                self.span(name_tok))

    def d_governed(self, t: Tree[Token]) -> ast.Governed:
        name_tok, agreement, target = t.children[0], t.children[1], t.children[2]
        assert isinstance(target, Token)
        return ast.Governed(str(name_tok), str(agreement), str(target),
                            self.text(t.children[3]), self.span(t), self.span(name_tok),
                            self.span(target), self.span(agreement))

    def d_survives(self, t: Tree[Token]) -> ast.Survives:
        return ast.Survives(self.expr(t.children[0]), self.span(t))

    def d_amended_by(self, t: Tree[Token]) -> ast.AmendedBy:
        ev, df = t.children[0], t.children[1]
        return ast.AmendedBy(str(ev), str(df), self.span(t), self.span(ev), self.span(df))

    def d_replace(self, t: Tree[Token]) -> ast.Replace:
        inner = t.children[0]
        assert isinstance(inner, Tree)
        decl = self.decl(inner)
        if isinstance(decl, (ast.NonOperative, ast.Governed)):  # `clause` rule's other forms
            form = "nonoperative" if isinstance(decl, ast.NonOperative) else "governed by"
            raise self.error(
                inner, "E112", f"a clause cannot be replaced by a `{form}` clause",
                f'to take clause {decl.name} out of the agreement, write: remove {decl.name} '
                'because "why"' if form == "nonoperative" else
                f"write the clause that replaces {decl.name} with its bearer, modal and action")
        assert not isinstance(decl, (ast.Reading, ast.AmendedBy, ast.Survives, ast.Replace,
                                     ast.Remove, ast.TermMark))  # not in _replaceable
        return ast.Replace(decl, self.span(t))

    def _names(self, lst: Any) -> tuple[tuple[str, ...], tuple[Span, ...]]:
        return (tuple(str(n) for n in lst.children), tuple(self.span(n) for n in lst.children))

    def d_remove(self, t: Tree[Token]) -> ast.Remove:
        names, spans = self._names(t.children[0])
        because = None
        if len(t.children) > 1:
            b = t.children[1]
            assert isinstance(b, Tree)
            because = self.text(b.children[0])
        return ast.Remove(names, because, self.span(t), spans)

    def d_known_terms(self, t: Tree[Token]) -> ast.TermMark:
        names, spans = self._names(t.children[0])
        return ast.TermMark("known", names, self.text(t.children[1]), self.span(t), spans)

    def d_assumed_terms(self, t: Tree[Token]) -> ast.TermMark:
        names, spans = self._names(t.children[0])
        return ast.TermMark("assumed", names, self.text(t.children[1]), self.span(t), spans)

    def d_exception(self, t: Tree[Token]) -> ast.ExceptionDecl:
        name_tok = t.children[0]
        effect_t = t.children[1]
        assert isinstance(effect_t, Tree)
        effect = str(effect_t.children[0])
        targets: list[ast.Target] = []
        parts: list[Any] = []
        for c in t.children[2:]:
            assert isinstance(c, Tree)
            if c.data in ("qualified_target", "local_target", "any_target"):
                targets.append(self.target(c))
            else:
                parts.append(self.part(c))
        return ast.ExceptionDecl(str(name_tok), effect, tuple(targets), tuple(parts),
                                 self.span(t), self.span(name_tok))

    def target(self, c: Any) -> ast.Target:
        if c.data == "any_target":
            return ast.Target(None, "any clause", self.span(c), every=True)
        if c.data == "qualified_target":
            return ast.Target(self.secref(c.children[0]), str(c.children[1]), self.span(c))
        return ast.Target(None, str(c.children[0]), self.span(c))

    def part(self, p: Tree[Token]) -> Any:
        k: list[Any] = list(p.children)
        sp = self.span(p)
        d = p.data
        if d == "to_part":
            return ast.ToPart(self.expr(k[0]), sp)
        if d in ("upon", "fulfilled_by", "breached_by"):
            where = self.expr(k[2].children[0]) if len(k) > 2 and k[2] is not None else None
            if d == "upon":
                names: list[Token] = k[0].children
                return ast.Upon(tuple(str(x) for x in names), str(k[1]), where, sp,
                                tuple(self.span(x) for x in names))
            cls = {"fulfilled_by": ast.FulfilledBy, "breached_by": ast.BreachedBy}[str(d)]
            return cls(str(k[0]), str(k[1]), where, sp, self.span(k[0]))
        if d == "when":
            return ast.When(self.expr(k[0]), sp)
        if d == "while_part":
            return ast.WhilePart(self.expr(k[0]), sp)
        if d == "within":
            return ast.Within(self.expr(k[0]), self.expr(k[-1]), sp, self.after_word(p))
        if d == "by_date":
            return ast.ByDate(self.expr(k[0]), sp)
        if d == "deadline_text":
            return ast.DeadlineText(self.text(k[0]), sp)
        if d == "from_part":
            return ast.FromPart(self.expr(k[0]), sp)
        if d == "until":
            return ast.Until(self.expr(k[0]), sp)
        if d == "through":
            return ast.Through(self.expr(k[0]), sp)
        if d == "fulfilled_when":
            return ast.FulfilledWhen(self.expr(k[0]), sp)
        if d == "fulfilled_on":
            return ast.FulfilledOn(self.expr(k[0]), sp)
        if d == "with_part":
            return ast.WithPart(self.text(k[0]), self.expr(k[1]), sp)
        if d == "for_binding":
            if len(k) == 2 and k[1] is not None:
                return ast.ForBinding(str(k[0]), str(k[1]), sp)
            return ast.ForBinding(None, str(k[0]), sp)
        if d == "because":
            return ast.Because(self.text(k[0]), sp)
        raise AssertionError(d)

    # pieces -------------------------------------------------------------------

    def params(self, t: Tree[Token]) -> tuple[ast.Param, ...]:
        out = []
        for p in t.children:
            assert isinstance(p, Tree)
            out.append(ast.Param(str(p.children[0]), self.type(p.children[1]), self.span(p)))
        return tuple(out)

    def type(self, t: Any) -> ast.TypeExpr:
        sp = self.span(t)
        if t.data == "named_type":
            return ast.NamedType(str(t.children[0]), sp)
        if t.data == "union_type":
            return ast.UnionType(tuple(str(n) for n in t.children), sp)
        if t.data == "set_type":
            return ast.SetType(self.type(t.children[0]), sp)
        if t.data == "map_type":
            return ast.MapType(self.type(t.children[0]), self.type(t.children[1]), sp)
        if t.data == "optional_type":
            return ast.OptionalType(self.type(t.children[0]), sp)
        raise AssertionError(t.data)

    def string(self, tok: Any) -> str:
        # one pass: in `"\\n"` the backslash is escaped and the n is a letter
        return _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], str(tok)[1:-1])

    def path(self, tok: Any) -> str:
        """A quoted file path (`import`, `source`, `variant of`, `amends`)."""
        value = self.string(tok)
        if "\0" in value or "\n" in value:
            if "\0" in value:
                what, hint = "a NUL character", "remove it"
            else:  # `"text\new.txt"`: a backslash starts an escape; folders are parted by /
                what, hint = "a line break (\\n)", 'separate folders with /: "text/new.txt"'
            raise self.error(tok, "E113", f"a file path cannot contain {what}", hint)
        return value

    def text(self, t: Any) -> str:
        return "".join(self.string(s) for s in t.children)

    def opt_text(self, rest: list[Any]) -> str | None:
        for c in rest:
            if isinstance(c, Tree) and c.data == "text":
                return self.text(c)
        return None

    def date(self, tok: Any) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(tok))
        except ValueError:
            raise self.error(tok, "E104", f"{tok} is not a date: {date_problem(str(tok))}",
                             "write a real calendar date as YYYY-MM-DD") from None

    def int_value(self, tok: Any) -> int:
        digits = str(tok).replace("_", "")
        if len(digits.lstrip("0")) > MAX_INT_DIGITS:
            raise self.error(tok, "E105", f"this number has {len(digits.lstrip('0'))} digits; "
                             f"numbers are limited to {MAX_INT_DIGITS}")
        return int(digits)

    def number_word(self, tok: Token) -> int:
        """A number of units in words (`five`, `thirty (30)`); the digits beside the words, if
        any, must say the same number."""
        word, value, digits = numwords.number_word(numwords.written(str(tok)))
        if digits is not None and digits != value:
            raise self.error(
                tok, "E115", f"'{numwords.written(str(tok))}': the words say {value}, the digits "
                f"{digits}",
                f"write {word} ({value}), or {numwords.CARDINAL_OF.get(digits, str(digits))} "
                f"({digits})" if digits in numwords.CARDINAL_OF else
                f"write {word} ({value}), or {digits} alone")
        return value

    def decimal_value(self, tok: Any, text: str) -> Decimal:
        digits = text.replace("_", "").replace(",", "")
        whole, _, fraction = digits.partition(".")
        if len(whole.lstrip("0")) > MAX_INT_DIGITS:
            raise self.error(tok, "E105", f"this number has {len(whole.lstrip('0'))} digits "
                             f"before the point; numbers are limited to {MAX_INT_DIGITS}")
        if len(fraction) > MAX_FRACTION_DIGITS:
            raise self.error(tok, "E105", f"this number has {len(fraction)} digits after the "
                             f"point; numbers are limited to {MAX_FRACTION_DIGITS}")
        try:
            return Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            raise self.error(tok, "E105", f"{text} is not a number") from None

    # expressions --------------------------------------------------------------

    def expr(self, t: Any) -> ast.Expr:
        sp = self.span(t)
        if isinstance(t, Token):  # pragma: no cover - every literal is wrapped in a rule
            raise AssertionError(t)
        d = str(t.data)
        k = t.children
        if d == "name":
            return ast.Name(str(k[0]), sp)
        if d == "call":
            args = tuple(self.expr(a) for a in k[1:] if a is not None)
            return ast.Call(str(k[0]), args, sp)
        if d == "attr":
            return ast.Attr(self.expr(k[0]), str(k[1]), sp)
        if d == "index":
            return ast.Index(self.expr(k[0]), self.expr(k[1]), sp)
        if d == "aggregate":
            where = self.expr(k[4].children[0]) if len(k) > 4 and k[4] is not None else None
            return ast.Aggregate(str(k[0].children[0]), self.expr(k[1]), str(k[2]),
                                 self.expr(k[3]), where, sp)
        if d == "aggregate_set":
            return ast.AggregateSet(str(k[0].children[0]), self.expr(k[1]), sp)
        if d == "allocate":
            opts = {c.data: c for c in k[4:-1] if isinstance(c, Tree)}
            cap, rank, res = (opts.get(n) for n in ("alloc_cap", "alloc_rank", "alloc_reserve"))
            return ast.Allocate(self.expr(k[0]), str(k[1]), self.expr(k[2]), self.expr(k[3]),
                                str(k[-1]), sp, self.span(k[-1]),
                                cap=self.expr(cap.children[0]) if cap is not None else None,
                                rank=self.expr(rank.children[0]) if rank is not None else None,
                                reserve=self.expr(res.children[0]) if res is not None else None,
                                reserve_for=self.expr(res.children[1]) if res is not None
                                else None)
        if d == "set_comprehension":
            where = self.expr(k[3].children[0]) if len(k) > 3 and k[3] is not None else None
            return ast.SetComprehension(self.expr(k[0]), str(k[1]), self.expr(k[2]), where, sp)
        if d == "set_literal":
            return ast.SetLiteral(tuple(self.expr(a) for a in k if a is not None), sp)
        if d == "int_lit":
            return ast.Literal("int", self.int_value(k[0]), sp)
        if d == "decimal_lit":
            return ast.Literal("decimal", self.decimal_value(k[0], str(k[0])), sp)
        if d == "money_lit":
            return ast.Literal("money", self.decimal_value(k[0], str(k[0])[1:]), sp)
        if d == "percent_lit":
            return ast.Literal("percent", self.decimal_value(k[0], str(k[0])[:-1]), sp)
        if d == "date_lit":
            return ast.Literal("date", self.date(k[0]), sp)
        if d == "string_lit":
            return ast.Literal("text", self.string(k[0]), sp)
        if d == "true_lit":
            return ast.Literal("bool", True, sp)
        if d == "false_lit":
            return ast.Literal("bool", False, sp)
        if d == "none_lit":
            return ast.Literal("none", None, sp)
        if d == "duration_lit":
            if k[0].type == "NUMWORD":
                return ast.DurationLit(self.number_word(k[0]), self.unit(k[1]), sp,
                                       calendar=self.calendar_unit(k[1]),
                                       words=numwords.written(str(k[0])))
            return ast.DurationLit(self.int_value(k[0]), self.unit(k[1]), sp,
                                   calendar=self.calendar_unit(k[1]))
        if d == "nth_after":
            words = None
            if k[0].type == "ORDWORD":
                words = numwords.written(str(k[0]))
                amount = numwords.number_word(words)[1]
            else:
                digits = re.match(r"\d+", str(k[0]))
                assert digits is not None  # the ORDINAL terminal begins with digits
                amount = self.int_value(digits.group())
            return ast.NthAfter(amount, self.unit(k[1]), self.expr(k[-1]), sp, self.after_word(t),
                                calendar=self.calendar_unit(k[1]), words=words)
        if d == "arith":
            return ast.BinOp(str(k[1]), self.expr(k[0]), self.expr(k[2]), sp)
        if d == "compare":
            return ast.Compare(str(k[1]), self.expr(k[0]), self.expr(k[2]), sp)
        if d == "member":
            return ast.Member(self.expr(k[0]), self.expr(k[1]), False, sp)
        if d == "not_member":
            return ast.Member(self.expr(k[0]), self.expr(k[1]), True, sp)
        if d in ("and_", "or_"):
            return ast.BoolOp(d.rstrip("_"), self.expr(k[0]), self.expr(k[1]), sp)
        if d == "not_":
            return ast.Not(self.expr(k[0]), sp)
        if d == "neg":
            return ast.Neg(self.expr(k[0]), sp)
        if d == "as_of":
            return ast.AsOf(self.expr(k[0]), self.expr(k[1]), sp)
        if d == "status_test":
            ref = self.secref(k[0])
            instance: tuple[ast.Expr, ...] = ()
            if len(k) == 4 and isinstance(k[2], Tree):
                instance = tuple(self.expr(a) for a in k[2].children)
            return ast.StatusTest(ref, str(k[1]), instance, str(k[-1]), sp, self.span(k[-1]))
        if d == "if_then_else":
            return ast.IfThenElse(self.expr(k[0]), self.expr(k[1]), self.expr(k[2]), sp)
        raise AssertionError(d)

    def after_word(self, t: Tree[Token]) -> str:
        """`after` or `following`, as written (the grammar drops the anonymous keyword)."""
        start = self.offset(t.children[-2], end=True)
        end = self.offset(t.children[-1], end=False)
        if start is None or end is None:
            return "after"
        return "following" if "following" in self.source[start:end] else "after"

    def offset(self, node: Any, end: bool) -> int | None:
        """Where a node starts or ends in the text, as an offset (a tree's positions are
        lines and columns: `_with_positions`)."""
        if isinstance(node, Token):
            return node.end_pos if end else node.start_pos
        meta = getattr(node, "meta", None)
        if meta is None or meta.empty:
            return None
        line: int
        column: int
        line, column = (meta.end_line, meta.end_column) if end else (meta.line, meta.column)
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.source)]
        return self._line_starts[line - 1] + column - 1

    def unit(self, t: Any) -> str:
        words = [str(x) for x in t.children]
        base = words[-1].rstrip("s")
        return "business_days" if words[0] == "business" else base + "s"

    @staticmethod
    def calendar_unit(t: Any) -> bool:
        """`calendar day(s)`: days, as agreements often write them."""
        return str(t.children[0]) == "calendar"


__all__ = ["MAX_FILE_BYTES", "Comment", "decode_source", "grammar_text", "keywords", "parse", "parse_with_comments",
           "read_and_parse"]

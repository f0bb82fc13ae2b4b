"""Pygments lexer for clause files (`.rrd`): text → highlighting tokens.

The keyword list is checked against the grammar's string literals by a test, so the two cannot
drift apart. Registered through the `pygments.lexers` entry point (`pygmentize -l rrdsl`).
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from .numwords import HIGHLIGHT

#: Every word of the grammar used as a keyword (tests/test_lexer.py checks it against the grammar).
KEYWORDS = (
    "after", "agreement", "all", "allocate", "amended", "amendment", "amends", "among", "and",
    "any", "anything", "as", "assumed", "because",
    "breached", "business", "by", "calendar", "check", "clause", "contrary", "count", "dated",
    "day",
    "days", "deadline", "define", "each", "earliest", "else", "enum", "event", "except",
    "exception", "excuses", "fact", "false", "following", "for", "from", "fulfilled",
    "governed", "if", "import", "in", "inherited", "initially", "is", "known", "latest",
    "limited", "map",
    "max",
    "may",
    "min", "month", "months", "none",
    "nonoperative", "not", "notwithstanding", "of", "on", "or", "over", "party", "provided",
    "qualitative", "ranked", "reading", "refers", "remove", "replace", "requires", "reserving",
    "retroactive", "role",
    "rounding",
    "section",
    "set", "shall", "source", "state", "subject", "sum", "survives", "suspends", "terms", "the",
    "then",
    "through", "time", "to", "true", "until", "upon", "variant", "when", "where", "while",
    "will", "with",
    "within", "writing", "year", "years",
)
_MODALS = ("shall", "will", "may")
_DECLARATIONS = ("agreement", "amendment", "section", "clause", "exception", "define", "fact",
                 "event", "party", "role", "enum", "reading", "import", "qualitative",
                 "nonoperative", "replace", "remove", "known", "assumed", "governed", "check",
                 "state", "survives")
_CONSTANTS = ("true", "false", "none")
_OTHER = tuple(k for k in KEYWORDS if k not in _MODALS + _DECLARATIONS + _CONSTANTS
               and k not in ("and", "or", "not", "in"))


class RrdslLexer(RegexLexer):
    name = "rrdsl"
    aliases: ClassVar[list[str]] = ["rrdsl", "rrd"]
    filenames: ClassVar[list[str]] = ["*.rrd"]
    mimetypes: ClassVar[list[str]] = ["text/x-rrdsl"]
    url = "https://example.invalid/rrdsl"

    tokens: ClassVar[dict[str, list[object]]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"([^"\\\n]|\\["\\n])*"', String.Double),
            (r'"[^\n]*', String.Double),  # an unclosed string still highlights as text
            (r"§\s?[0-9]+(\.[0-9]+)*[A-Za-z]?(\([a-z0-9]+\))*", Name.Label),
            (r"(section)(\s+)([0-9]+(?:\.[0-9]+)*[A-Za-z]?(?:\([a-z0-9]+\))*)",
             bygroups(Keyword.Declaration, Whitespace, Name.Label)),  # type: ignore[no-untyped-call]
            (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", Number.Other),
            (r"\$[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?|\$[0-9][0-9_]*(\.[0-9]+)?", Number.Float),
            (r"[0-9]+(\.[0-9]+)?%", Number.Float),
            (r"[0-9]+(st|nd|rd|th)(?![A-Za-z0-9_])", Number.Integer),
            (r"[0-9][0-9_]*\.[0-9]+", Number.Float),
            (r"[0-9][0-9_]*", Number.Integer),
            (HIGHLIGHT, Number.Integer),  # `five` in `five days`: a number in words
            (words(_MODALS, suffix=r"\b"), Keyword.Reserved),
            (words(_DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(_CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(("and", "or", "not", "in"), suffix=r"\b"), Operator.Word),
            (words(_OTHER, suffix=r"\b"), Keyword),
            (r"[A-Z][A-Za-z0-9_]*", Name.Class),
            (r"[a-z_][A-Za-z0-9_]*", Name),
            (r"==|!=|<=|>=|[<>+\-*/=?]", Operator),
            (r"[(){}\[\],.:]", Punctuation),
            (r"[^\s]", Text),  # never an Error token: a stray character is plain text
        ],
    }

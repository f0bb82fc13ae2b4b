"""Numbers of units written in words: `five business days`, `the fifth business day following`.

The words one to ninety-nine (cardinals) and first to ninety-ninth (ordinals), lower case, a
compound written with a hyphen as agreements write it (`forty-five`, `twenty-first`). The
grammar's NUMWORD and ORDWORD terminals (grammar/rrdsl.lark) match exactly these words, and
only right before a unit of time; tests/test_number_words.py checks the two agree. The
pygments lexer and the editors' grammars use the same patterns.
"""

from __future__ import annotations

import re

_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ONES_TH = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth")
_TEENS_TH = ("tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
             "sixteenth", "seventeenth", "eighteenth", "nineteenth")
_TENS_TH = ("twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth",
            "eightieth", "ninetieth")


def _table(ones: tuple[str, ...], teens: tuple[str, ...],
           tens_th: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, w in enumerate(ones, 1):
        out[w] = i
    for i, w in enumerate(teens, 10):
        out[w] = i
    for t, (tens, own) in enumerate(zip(_TENS, tens_th, strict=True), 2):
        out[own] = 10 * t
        for i, w in enumerate(ones, 1):
            out[f"{tens}-{w}"] = 10 * t + i
    return out


#: `one` ... `ninety-nine` → 1 ... 99
CARDINALS: dict[str, int] = _table(_ONES, _TEENS, _TENS)
#: `first` ... `ninety-ninth` → 1 ... 99
ORDINALS: dict[str, int] = _table(_ONES_TH, _TEENS_TH, _TENS_TH)
CARDINAL_OF: dict[int, str] = {v: k for k, v in CARDINALS.items()}
ORDINAL_OF: dict[int, str] = {v: k for k, v in ORDINALS.items()}

#: The words of a unit of time, and what may follow a number word.
UNIT_WORDS = frozenset({"day", "days", "business", "calendar", "month", "months", "year",
                        "years"})


CARDINAL_RE = ("(?:(?:" + "|".join(_TENS) + ")(?:-(?:" + "|".join(_ONES) + "))?|"
               + "|".join(sorted(_TEENS + _ONES, key=lambda w: (-len(w), w))) + ")")
ORDINAL_RE = ("(?:(?:" + "|".join(_TENS) + ")-(?:" + "|".join(_ONES_TH) + ")|"
              + "|".join(sorted(_TENS_TH + _TEENS_TH + _ONES_TH, key=lambda w: (-len(w), w)))
              + ")")


def ordinal_digits(n: int) -> str:
    """`n` as an ordinal in digits: 1st, 2nd, 3rd, 4th, 11th, 21st, 112th."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def number_word(text: str) -> tuple[str, int, int | None]:
    """A NUMWORD or ORDWORD token's text → (the word, its value, the digits beside it).

    `five` → ("five", 5, None); `five (5)` → ("five", 5, 5); `the fifth` → ("fifth", 5, None);
    `the 5th` → ("5th", 5, None)."""
    m = re.fullmatch(r"(?:the\s+)?([a-z0-9-]+)(?:\s*\(\s*([0-9][0-9_]*)\s*\))?", text)
    assert m is not None, text
    word, digits = m.group(1), m.group(2)
    if word[0].isdigit():
        value = int(re.match(r"[0-9]+", word).group())  # type: ignore[union-attr]
    else:
        value = CARDINALS.get(word) or ORDINALS[word]
    return word, value, int(digits.replace("_", "")) if digits is not None else None


def written(text: str) -> str:
    """The token's text with its blanks made single spaces (`five(5)` → `five (5)`)."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s*\(\s*", " (", text).replace(" )", ")")


_UNIT = r"(?:(?:business|calendar)\s+)?(?:day|month|year)s?(?![A-Za-z0-9_])"
_DOUBLED = r"\s*\(\s*[0-9][0-9_]*\s*\)"  # `thirty (30)`
_START = r"(?<![-A-Za-z0-9_])"  # a whole word, and not the end of `fourty-five`

#: The grammar's NUMWORD and ORDWORD terminals (tests/test_number_words.py checks they are these).
NUMWORD_RE = rf"{_START}{CARDINAL_RE}(?:{_DOUBLED}(?=\s*{_UNIT})|(?=\s+{_UNIT}))"
ORDWORD_RE = (rf"{_START}(?:(?:the\s+)?{ORDINAL_RE}|the\s+[0-9]+(?:st|nd|rd|th))"
              rf"(?=\s+{_UNIT})")

#: For highlighting (the pygments lexer, the editors): the number word alone, where the grammar
#: reads it as a number (`the` and the digits of `thirty (30)` keep their own colours).
HIGHLIGHT = rf"{_START}(?:{CARDINAL_RE}|{ORDINAL_RE})(?=(?:{_DOUBLED}\s*|\s+){_UNIT})"

"""The console transcripts of docs/*.md are run, so that the documents show what rrdsl does.

Every `$ rrdsl ...` line of a ```console block is run by the CLI (in process) and must print
what the block shows after it, with two allowances: a line that is only `...` or `…` stands for
any number of lines (an excerpt), and trailing spaces do not count.

The files a transcript uses are those of the repository (`contracts/...`, `docs/tutorial/...`)
or those the document itself shows: a line ending in `` `NAME`: `` (or starting with `` `NAME` ``
and ending in a colon) followed by a fenced block
gives the file NAME its content, in the document's own working folder (a temporary one).  A
file shown before the document's first `## ` heading is there for the whole document; one shown
under a heading, until the next heading (so each entry of the diagnostics catalogue stands on
its own).  A file the document only describes (a clause file of a million bytes, one saved as
Latin-1) is made by GENERATED below.  A command runs in the document's folder when one of its
file arguments was shown or made there, or none exists in the repository; else in the
repository's root.  A command that cannot be run is listed in NOT_RUN with the reason.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shlex
import shutil
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

from rrdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
_NAME = r"`([\w./-]+\.(?:rrd|toml|json))`"
FILE_LINE = re.compile(rf"^{_NAME}.*:\s*$|{_NAME}:\s*$")
PATH_ARG = re.compile(r"\.(?:rrd|toml|json)$|/")
ELISION = ("...", "…")

PREAMBLE = ('agreement toy "Toy" dated 2001-01-01\n\nparty Company "the Company"\n'
            'role Holder "the Holders"\n')


def _define(expr: str, kind: str) -> Callable[[], bytes]:
    return lambda: f'{PREAMBLE}\nsection 1 "Terms"\n  define a: {kind} = {expr}\n'.encode()


def _big() -> bytes:
    """1,000,195 bytes, as the catalogue says: the preamble and comment lines."""
    text = PREAMBLE + ("# " + "x" * 97 + "\n") * 10_001
    return (text + "#" * (1_000_194 - len(text)) + "\n").encode()


def _latin1() -> bytes:
    return f'{PREAMBLE}\nsection 1 "Définitions"\n'.encode("latin-1")


def _chain() -> bytes:
    lines = [PREAMBLE, "\n", 'section 1 "Chain"\n', "  fact held(h: Holder): shares\n",
             "  define d0: int = 1\n"]
    lines += [f"  define d{n}: int = d{n - 1} + 1\n" for n in range(1, 400)]
    lines.append('  clause act: Company shall "act" when d399 > 0\n')
    return "".join(lines).encode()


#: Files the documents describe without showing them: (document, file name) → content.
GENERATED: dict[tuple[str, str], Callable[[], bytes]] = {
    ("diagnostics.md", "deep.rrd"): _define("not " * 200 + "true", "bool"),
    ("diagnostics.md", "brackets.rrd"): _define("(" * 65 + "1" + ")" * 65, "int"),
    ("diagnostics.md", "big.rrd"): _big,
    ("diagnostics.md", "latin1.rrd"): _latin1,
    ("diagnostics.md", "chain.rrd"): _chain,
    ("diagnostics.md", "nosrc.rrd"): lambda: PREAMBLE.encode(),
}

_WRONG = ("a failing run, with a scenario the reader has got wrong on purpose "
          "(docs/tutorial/wrong.scenario.toml, not shipped)")

#: Commands that are shown but not run here: (document, command) → why.
NOT_RUN = {
    ("diagnostics.md", "rrdsl lsp"):
        "E709 is what a machine without pygls prints; the test extra installs pygls",
    ("tutorial.md", "rrdsl check demand.rrd"):
        "a drafting mistake in the reader's own copy of the tutorial's file, shown in part",
    ("cli.md", "rrdsl check demand.rrd bad.rrd"):
        "two files of the reader's, shown only by their diagnostics",
    ("cli.md", "rrdsl eval demand.rrd facts-bad.toml"):
        "a fact file of the reader's, shown only by its diagnostics",
    ("cli.md", "rrdsl test docs/tutorial"): _WRONG,
    ("scenarios.md", "rrdsl test docs/tutorial"): _WRONG,
    ("tutorial.md", "rrdsl test docs/tutorial"): _WRONG,
    ("cli.md", "rrdsl eval contracts/savvis_2001.rrd noasof.toml"):
        "a fact file of the reader's without an as-of date, shown only by the diagnostic",
}


class Run:
    """One `$ rrdsl ...` line: where it is, the files shown before it, what it should print."""

    def __init__(self, doc: str, line: int, command: str, expected: list[str],
                 files: dict[str, bytes]):
        self.doc, self.line, self.command, self.expected = doc, line, command, expected
        self.files = dict(files)

    def __repr__(self) -> str:
        return f"{self.doc}:{self.line}"


def _fences(lines: list[str]) -> Iterator[tuple[int, str, list[str], str | None]]:
    """(line of the fence, language, body, file name the text before it gives); a heading
    `## ...` is yielded as (line, "##", [], None)."""
    name: str | None = None
    i = 0
    while i < len(lines):
        text = lines[i]
        if text.startswith("## "):
            yield i + 1, "##", [], None
            name = None
        elif text.startswith("```"):
            lang, start, body = text[3:].strip(), i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            yield start, lang, body, name
            name = None
        elif (m := FILE_LINE.search(text)) is not None:
            name = m.group(1) or m.group(2)
        elif text.strip():
            name = None
        i += 1


@cache
def runs() -> list[Run]:
    out = []
    for doc in DOCS:
        files: dict[str, bytes] = {}
        preamble: dict[str, bytes] | None = None  # the files shown before the first heading
        for start, lang, body, name in _fences(doc.read_text(encoding="utf-8").splitlines()):
            if lang == "##":
                if preamble is None:
                    preamble = dict(files)
                files = dict(preamble)
                continue
            if lang != "console":
                if name is not None:
                    files[name] = ("\n".join(body) + "\n").encode()
                continue
            current: Run | None = None
            for k, text in enumerate(body):
                if text.startswith("$ "):
                    current = Run(doc.name, start + k + 1, text[2:], [], files)
                    out.append(current)
                elif current is not None:
                    current.expected.append(text)
    return out


def _matches(expected: list[str], actual: list[str]) -> bool:
    want = [x.rstrip() for x in expected]
    got = [x.rstrip() for x in actual]

    @cache
    def from_(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        if want[i].strip() in ELISION:
            return any(from_(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and want[i] == got[j] and from_(i + 1, j + 1)

    return from_(0, 0)


@pytest.mark.parametrize("run", runs(), ids=repr)
def test_console_transcript(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if (run.doc, run.command) in NOT_RUN:
        pytest.skip(NOT_RUN[(run.doc, run.command)])
    if run.command == "rrdsl --version" and os.environ.get("RRDSL_PURE_PYTHON") == "1":
        pytest.skip("the transcript shows the compiled build; RRDSL_PURE_PYTHON=1 runs the sources")
    argv = shlex.split(run.command)
    assert argv[0] == "rrdsl", f"{run}: not an rrdsl command: {run.command}"
    files = dict(run.files)
    for (doc, name), make in GENERATED.items():
        if doc == run.doc:
            files[name] = make()
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    paths = [a for a in argv[1:]
             if not a.startswith("-") and (PATH_ARG.search(a) or (ROOT / a).exists())]
    here = tmp_path if any(p in files for p in paths) or not any(
        (ROOT / p).exists() for p in paths) else ROOT
    monkeypatch.chdir(here)
    if "-o" in argv:  # output goes to the test's folder (a copy of what is there in the root)
        target = argv[argv.index("-o") + 1]
        if (ROOT / target).is_file():
            shutil.copyfile(ROOT / target, tmp_path / target)
        argv[argv.index("-o") + 1] = str(tmp_path / target)
    printed = io.StringIO()  # both streams, in the order a terminal shows them
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        try:
            code: object = main(argv[1:])
        except SystemExit as exc:  # argparse's own exit on a usage error
            code = exc.code
    actual = printed.getvalue().replace(str(tmp_path) + "/", "").splitlines()
    assert _matches(run.expected, actual), (
        f"{run}: `{run.command}` (exit {code}) does not print what the document shows "
        "(- the document, + the command):\n" + "\n".join(difflib.unified_diff(
            run.expected, actual, lineterm="", n=1)))


def test_every_document_with_transcripts_is_read() -> None:
    assert {r.doc for r in runs()} >= {"cli.md", "diagnostics.md", "tutorial.md"}
    assert len(runs()) >= 100


def test_every_exemption_and_generated_file_is_still_used() -> None:
    shown = {(r.doc, r.command) for r in runs()}
    assert set(NOT_RUN) <= shown, set(NOT_RUN) - shown
    named = {(r.doc, a) for r in runs() for a in shlex.split(r.command)}
    assert set(GENERATED) <= named, set(GENERATED) - named

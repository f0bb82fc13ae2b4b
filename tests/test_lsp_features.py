"""rrdsl lsp's editing features, end to end over stdio (pytest-lsp): formatting (whole document
and range), code actions for diagnostics with a fix, rename across the contract's files (and
its refusals), semantic tokens, hover with signatures, signature help, workspace symbols; and
the kept analysis: requests do not analyse again when nothing changed, edits are debounced."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_lsp import MAIN, PIGGYBACK, ROOT, _open, client  # noqa: F401 (the fixture, shared)

from rrdsl.lsp import Analyser, analyse
from rrdsl.lsp_features import Edit, apply_edits, format_edits

MESSY = ROOT / "tests" / "fmt" / "messy.rrd"


def _change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def _pos(text: str, needle: str, offset: int = 0) -> types.Position:
    for i, line in enumerate(text.splitlines()):
        if needle in line:
            return types.Position(line=i, character=line.index(needle) + offset)
    raise AssertionError(needle)


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    return apply_edits(text, [Edit(Path("x"), e.range.start.line, e.range.start.character,
                                   e.range.end.line, e.range.end.character, e.new_text)
                              for e in edits])


# ── formatting ───────────────────────────────────────────────────────────────


@pytest.mark.asyncio
async def test_formatting_gives_the_rrdsl_fmt_layout(client: LanguageClient) -> None:
    text = MESSY.read_text("utf-8")
    expected = (ROOT / "tests" / "fmt" / "messy.expected.rrd").read_text("utf-8")
    uri = _open(client, MESSY, text)
    doc = types.TextDocumentIdentifier(uri=uri)
    opts = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc, options=opts))
    assert edits and _apply(text, edits) == expected

    # a range: only the runs of lines that touch it change
    old, new = text.split("\n"), expected.split("\n")
    first_changed = next(i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b)
    ranged = await client.text_document_range_formatting_async(
        types.DocumentRangeFormattingParams(
            text_document=doc, options=opts,
            range=types.Range(start=types.Position(line=first_changed, character=0),
                              end=types.Position(line=first_changed, character=1))))
    assert ranged and len(ranged) < len(edits)
    assert all(e.range.start.line <= first_changed + 1 for e in ranged)
    partly = _apply(text, ranged)
    assert partly != text and partly != expected

    # a text that does not parse is left alone
    _change(client, uri, 2, "section 1 \"x\"\n  clause c: Acme shal \"y\"\n")
    assert await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc, options=opts)) is None


def test_format_edits_rebuild_the_formatted_text() -> None:
    for path in [MESSY, MAIN, PIGGYBACK]:
        text = path.read_text("utf-8")
        for variant in (text, text.rstrip("\n"), text + "\n\n\n",
                        "\n\n" + text.replace("\n  ", "\n    ", 7)):
            from rrdsl.fmt import format_text

            edits = format_edits(variant, path)
            assert edits is not None
            assert apply_edits(variant, edits) == format_text(variant, str(path))


# ── code actions ─────────────────────────────────────────────────────────────

FIXABLE = '''agreement t "T"
party Acme
fact eligible: bool "e"
fact price: money "p"
section 1 "One"
  clause c: Acme shall "x" when eligble
  define third: money = price / 3
section 2 "Two"
  clause d: Acme shall "y"
section 3 "Three"
  exception e: suspends §2.d
    because "it says so"
'''


async def _diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The next diagnostics published for `uri` (the server also publishes those of the
    contract's other open files)."""
    client.diagnostics.pop(uri, None)
    while uri not in client.diagnostics:
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return client.diagnostics[uri]


@pytest.mark.asyncio
async def test_code_actions_fix_what_the_hints_say(client: LanguageClient,
                                                   tmp_path: Path) -> None:
    f = tmp_path / "t.rrd"
    f.write_text(FIXABLE)
    uri = _open(client, f)
    diags = await _diagnostics(client, uri)
    assert sorted(d.code for d in diags) == ["E201", "E301", "E403"]  # type: ignore[type-var]
    doc = types.TextDocumentIdentifier(uri=uri)
    text = FIXABLE
    for version, (code, title) in enumerate([("E201", "Change 'eligble' to 'eligible'"),
                                             ("E301", "Round it: round(..., half_up)"),
                                             ("E403", "Add `subject to §3` to section 2")], 2):
        diag = next(d for d in diags if d.code == code)
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=doc, range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag])))
        assert actions is not None
        titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
        assert title in titles, titles
        action = next(a for a in actions if isinstance(a, types.CodeAction) and a.title == title)
        assert action.kind == types.CodeActionKind.QuickFix and action.edit is not None
        assert action.edit.changes is not None
        text = _apply(text, action.edit.changes[uri])
        _change(client, uri, version, text)
        diags = await _diagnostics(client, uri)
        assert code not in {d.code for d in diags}
    assert not [d for d in diags if d.severity == types.DiagnosticSeverity.Error]
    assert "when eligible" in text and "round(price / 3, half_up)" in text
    assert 'section 2 "Two"\n  subject to §3\n' in text
    # the other fix of E403 is offered too
    f.write_text(FIXABLE)
    _change(client, uri, 9, FIXABLE)
    diags = await _diagnostics(client, uri)
    diag = next(d for d in diags if d.code == "E403")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc, range=diag.range, context=types.CodeActionContext(diagnostics=[])))
    assert actions is not None
    assert "Add `notwithstanding §2` to section 3" in {a.title for a in actions}


# ── rename ───────────────────────────────────────────────────────────────────


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "contracts", tmp_path / "contracts",
                    ignore=shutil.ignore_patterns("scenarios"))
    return tmp_path / "contracts"


@pytest.mark.asyncio
async def test_rename_across_the_contracts_files(client: LanguageClient,
                                                 contracts: Path) -> None:
    main = contracts / "savvis_2001.rrd"
    piggyback = contracts / "savvis_2001" / "piggyback.rrd"
    uri = _open(client, piggyback)
    await _diagnostics(client, uri)
    doc = types.TextDocumentIdentifier(uri=uri)
    text = piggyback.read_text("utf-8")
    pos = _pos(text, "effective_on(", 2)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=doc, position=pos))
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "effective_on"

    for taken in ("DemandNotice", "Savvis", "section", "2x"):
        with pytest.raises(Exception, match="already|keyword|not a name"):
            await client.text_document_rename_async(types.RenameParams(
                text_document=doc, position=pos, new_name=taken))

    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=doc, position=pos, new_name="took_effect_on"))
    assert edit is not None and edit.changes is not None
    assert set(edit.changes) == {main.as_uri(), uri}
    for file_uri, edits in edit.changes.items():
        path = Path(file_uri.removeprefix("file://"))
        path.write_text(_apply(path.read_text("utf-8"), edits), "utf-8")
    assert not re.search(r"^[^#]*\beffective_on\b", piggyback.read_text("utf-8"), re.M)
    assert "define took_effect_on(" in main.read_text("utf-8")
    assert analyse(main, {}).diagnostics == []

    # a party and an event, from their declarations
    main_text = main.read_text("utf-8")
    main_uri = _open(client, main)
    await _diagnostics(client, main_uri)
    for needle, new in (("event DemandNotice", "DemandRequest"), ("party Savvis", "Company")):
        word = needle.split()[1]
        edit = await client.text_document_rename_async(types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=main_uri),
            position=_pos(main_text, needle, len(needle) - 1), new_name=new))
        assert edit is not None and edit.changes is not None
        renamed = _apply(main_text, edit.changes[main_uri])
        code = re.sub(r'"([^"\\\n]|\\.)*"|#[^\n]*', "", renamed)  # not strings or comments
        assert f"{needle.split()[0]} {new}" in code and not re.search(rf"\b{word}\b", code)


# ── semantic tokens, hover, signature help, workspace symbols ───────────────


@pytest.mark.asyncio
async def test_semantic_tokens_hover_signatures_and_symbols(client: LanguageClient) -> None:
    text = PIGGYBACK.read_text("utf-8")
    uri = _open(client, PIGGYBACK)
    await _diagnostics(client, uri)
    doc = types.TextDocumentIdentifier(uri=uri)

    tokens = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc))
    assert tokens is not None and len(tokens.data) % 5 == 0 and tokens.data
    from rrdsl.lsp_features import TOKEN_TYPES
    lines = text.split("\n")
    line = col = 0
    kinds: dict[str, set[str]] = {}
    for i in range(0, len(tokens.data), 5):
        dl, dc, length, t, _ = tokens.data[i:i + 5]
        line, col = line + dl, (col + dc if dl == 0 else dc)
        kinds.setdefault(lines[line][col:col + length], set()).add(TOKEN_TYPES[t])
    assert kinds["effective_on"] == {"function"}
    assert "class" in kinds["Savvis"]
    assert "event" in kinds.get("PiggybackNotice", kinds.get("DemandNotice", {"event"}))

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=doc, position=_pos(text, "effective_on(", 2)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "```rrdsl\ndefine effective_on(r: RegistrationStatement): date?\n```" in \
        hover.contents.value
    assert "the effective date" in hover.contents.value

    pos = _pos(text, "effective_on(", len("effective_on("))
    help_ = await client.text_document_signature_help_async(types.SignatureHelpParams(
        text_document=doc, position=pos))
    assert help_ is not None
    (sig,) = help_.signatures
    assert sig.label == "effective_on(r: RegistrationStatement): date?"
    assert help_.active_parameter == 0
    # a built-in function, the second argument (a line added at the end); none in a comment
    _change(client, uri, 2, text + "\n  define z: money = round(a, \n# round(a, \n")
    help_ = await client.text_document_signature_help_async(types.SignatureHelpParams(
        text_document=doc, position=types.Position(line=len(lines), character=30)))
    assert help_ is not None and help_.signatures[0].label == "round(amount, mode)"
    assert help_.active_parameter == 1
    assert await client.text_document_signature_help_async(types.SignatureHelpParams(
        text_document=doc, position=types.Position(line=len(lines) + 1, character=11))) is None

    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="effectiv"))
    assert found is not None
    names = {s.name for s in found}
    assert "effective_on" in names and all("e" in n.lower() for n in names)


# ── the kept analysis ────────────────────────────────────────────────────────


def test_requests_reuse_the_kept_analysis() -> None:
    texts: dict[Path, str] = {}
    analyser = Analyser(lambda: dict(texts))

    async def run() -> None:
        a = await analyser.current(PIGGYBACK)
        b, c = await asyncio.gather(analyser.current(MAIN), analyser.current(PIGGYBACK))
        assert a is b is c and analyser.runs == 1  # one contract, analysed once
        assert analyser.fresh(MAIN) is a
        texts[MAIN.resolve()] = MAIN.read_text("utf-8") + "\n# edited\n"
        analyser.changed()
        assert analyser.fresh(MAIN) is None
        d, e = await asyncio.gather(analyser.current(MAIN), analyser.current(PIGGYBACK))
        assert d is e and d is not a and analyser.runs == 2

    asyncio.run(run())


@pytest.mark.asyncio
async def test_edits_are_debounced_and_stale_results_dropped(client: LanguageClient,
                                                             tmp_path: Path) -> None:
    f = tmp_path / "t.rrd"
    good = 'agreement t "T"\nparty Acme\nsection 1 "One"\n  clause c: Acme shall "x"\n'
    f.write_text(good)
    uri = _open(client, f)
    await _diagnostics(client, uri)
    # typing fast: every text but the last has an error; only the last is published
    for version, word in enumerate(["w", "wh", "whe", "when"], 2):
        _change(client, uri, version, good.replace('"x"', f'"x" {word} true')
                if word == "when" else good.replace('"x"', f'"x" {word}'))
    published = []
    while True:
        try:
            await asyncio.wait_for(
                client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 1.5)
        except TimeoutError:
            break
        published.append(len(client.diagnostics[uri]))
    assert published == [0]


def test_parsed_files_are_kept_while_their_text_is_the_same(tmp_path: Path) -> None:
    from rrdsl.lsp import Parses

    parses = Parses()
    f = tmp_path / "t.rrd"
    f.write_text('agreement t "T"\nparty Acme\n')
    first = parses(f, str(f), None)
    assert parses(f, str(f), None) is first  # the file did not change: not read again
    f.write_text('agreement t "T"\nparty Acme\n\n')
    assert parses(f, str(f), None) is not first
    edited = parses(f, str(f), 'agreement t "T"\nparty Acme\n')  # an editor's text
    assert parses(f, str(f), 'agreement t "T"\nparty Acme\n') is edited
    assert parses(f, str(f), 'agreement t "T"\nparty Other\n') is not edited


def test_the_latency_bench_runs(tmp_path: Path) -> None:
    """bench/lsp.py on a small contract (two copies, two runs): it runs; no timing asserted."""
    import json
    import subprocess

    out = tmp_path / "lsp.json"
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "lsp.py"), "--copies", "2",
                        "--runs", "2", "--json", str(out)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    figures = json.loads(out.read_text())
    assert set(figures["medians_ms"]) == {"edit_to_diagnostics_ms", "hover_ms",
                                          "definition_ms", "line_break_to_diagnostics_ms"}
    assert "(a) edit → diagnostics" in r.stdout


@pytest.mark.asyncio
async def test_navigation_goes_on_while_the_text_does_not_parse(client: LanguageClient,
                                                                tmp_path: Path) -> None:
    f = tmp_path / "t.rrd"
    good = ('agreement t "T"\nparty Acme\nfact price: money "the price"\nsection 1 "One"\n'
            '  clause c: Acme shall "x" when price > $5\n')
    f.write_text(good)
    uri = _open(client, f)
    assert not [d for d in await _diagnostics(client, uri)
                if d.severity == types.DiagnosticSeverity.Error]
    broken = good + "  clause d: Acme shal\n"
    _change(client, uri, 2, broken)
    (diag,) = await _diagnostics(client, uri)
    assert diag.severity == types.DiagnosticSeverity.Error
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_pos(good, "> $5", -4)))
    assert hover is not None and "fact price: money" in str(hover.contents)
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert not await _diagnostics(client, uri)


@pytest.mark.parametrize(("source", "code", "title", "fixed"), [
    ('agreement t "T"\nparty Acme\nsection 1 "One"\n  clause e Acme shall "z"\n',
     "E101", "Add : after 'e'", '  clause e: Acme shall "z"\n'),
    ('agreement t "T"\nparty Acme\nenum A { red, blue }\nenum B { red, green }\n'
     'section 1 "One"\n  clause c: Acme shall "x" when red == A.blue\n',
     "E201", "Write A.red", "when A.red == A.blue"),
    ('agreement t "T"\nparty Acme\ndefine twice(x: int): int = 2 * x\n'
     'section 1 "One"\n  clause c: Acme shall "x" when twice > 5\n',
     "E302", "Write twice(x)", "when twice(x) > 5"),
    ('agreement t "T"\nparty Acme\nsection 1 "One"\n  clause c: Acme shall "x"\n'
     'section 2 "Two"\n  subject to §1\n  exception e: suspends §1.c\n    when true\n'
     '  clause f: Acme shall "y"\n',
     "E404", 'Add: because "the words of the agreement that make the exception"',
     '    when true\n    because "the words of the agreement that make the exception"\n'
     '  clause f'),
])
def test_more_fixes(tmp_path: Path, source: str, code: str, title: str, fixed: str) -> None:
    from rrdsl.lsp_features import fixes

    f = tmp_path / "t.rrd"
    f.write_text(source)
    a = analyse(f, {})
    diag = next(d for d in a.diagnostics if d.code == code)
    (fix,) = [x for x in fixes(diag, a.modules, {}) if x.title == title]
    assert fixed in apply_edits(source, list(fix.edits))


@pytest.mark.parametrize("path", sorted((ROOT / "contracts").rglob("*.rrd")),
                         ids=lambda p: p.name)
def test_a_text_parsed_a_section_at_a_time_is_the_whole_parse(path: Path) -> None:
    from rrdsl.diagnostics import SOURCES
    from rrdsl.lsp import Parses
    from rrdsl.parser import parse

    text = path.read_text("utf-8")
    parses = Parses()
    whole = parse(text, "f.rrd")
    first = parses(path, "f.rrd", text)
    assert first == whole and first.comments == whole.comments
    # an edit inside the last section: the others are kept, the result is still the whole parse
    edited = text.rstrip("\n") + "  # edited\n"
    again = parses(path, "f.rrd", edited)
    assert again == parse(edited, "f.rrd") and again.comments == parse(edited, "f.rrd").comments
    if len(first.sections) > 1:
        assert again.sections[0] is first.sections[0]
    assert SOURCES.line("f.rrd", len(edited.splitlines())) == edited.splitlines()[-1]


def test_a_section_that_does_not_parse_gives_the_whole_parses_diagnostics(
        tmp_path: Path) -> None:
    from rrdsl.diagnostics import SyntaxErrors
    from rrdsl.lsp import Parses
    from rrdsl.parser import parse

    text = MAIN.read_text("utf-8").replace("clause further_notice:", "clause further_notice", 1)
    with pytest.raises(SyntaxErrors) as whole:
        parse(text, "f.rrd")
    with pytest.raises(SyntaxErrors) as pieces:
        Parses()(MAIN, "f.rrd", text)
    assert pieces.value.diagnostics == whole.value.diagnostics

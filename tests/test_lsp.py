"""rrdsl lsp, end to end over stdio (pytest-lsp): diagnostics, hover, definition, references,
completion, document symbols."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "contracts" / "savvis_2001.rrd"
PIGGYBACK = ROOT / "contracts" / "savvis_2001" / "piggyback.rrd"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "rrdsl",
                                                                 "lsp"]))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="rrdsl", version=1,
                                             text=text if text is not None
                                             else path.read_text("utf-8"))))
    return uri


def _pos(path: Path, needle: str, offset: int = 0) -> types.Position:
    for i, line in enumerate(path.read_text("utf-8").splitlines()):
        if needle in line:
            return types.Position(line=i, character=line.index(needle) + offset)
    raise AssertionError(needle)


@pytest.mark.asyncio
async def test_diagnostics_as_you_type(client: LanguageClient, tmp_path: Path) -> None:
    f = tmp_path / "t.rrd"
    f.write_text('agreement t "T"\nparty Acme\nsection 1 "One"\n')
    uri = _open(client, f)
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert not client.diagnostics[uri]
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(
            text='agreement t "T"\nparty Acme\nsection 1 "One"\n'
                 '  clause c: Acme shall "x" when eligble\n'
                 "  define twice(x: int): int = 2 * x\n")]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    diags = client.diagnostics[uri]
    assert [d.code for d in diags] == ["E201"]
    assert diags[0].range.start == types.Position(line=3, character=32)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(
            text='agreement t "T"\nparty Acme\nsection 1 "One"\n'
                 "  define twice(x: int): int = 2 * x\n")]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    (w,) = client.diagnostics[uri]
    assert w.code == "W101" and w.severity == types.DiagnosticSeverity.Warning


@pytest.mark.asyncio
async def test_navigation_in_the_shipped_contract(client: LanguageClient) -> None:
    uri = _open(client, PIGGYBACK)
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert not client.diagnostics[uri]  # checked through savvis_2001.rrd, which imports it

    doc = types.TextDocumentIdentifier(uri=uri)
    # go to definition: effective_on is defined in the main file
    pos = _pos(PIGGYBACK, "effective_on(", 1)
    found = await client.text_document_definition_async(types.DefinitionParams(
        text_document=doc, position=pos))
    assert isinstance(found, list) and found[0].uri == MAIN.as_uri()
    line = MAIN.read_text("utf-8").splitlines()[found[0].range.start.line]
    assert line.lstrip().startswith("define effective_on(")

    # references: every use, across files
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc, position=pos,
        context=types.ReferenceContext(include_declaration=True)))
    assert refs is not None and {r.uri for r in refs} >= {uri, MAIN.as_uri()}
    assert len(refs) > 5

    # hover on a clause: its heading and the agreement's text of its section
    main_doc = types.TextDocumentIdentifier(uri=_open(client, MAIN))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=main_doc, position=_pos(MAIN, "clause further_notice", 8)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "§3(a) Demand Registration Rights" in hover.contents.value
    assert "*The agreement, §3(a):*" in hover.contents.value
    assert "Demand Notice" in hover.contents.value.split("*The agreement")[1]

    # completion: names in scope and keywords
    items = await client.text_document_completion_async(types.CompletionParams(
        text_document=doc, position=types.Position(line=0, character=0)))
    assert isinstance(items, types.CompletionList)
    labels = {i.label for i in items.items}
    assert {"effective_on", "DemandNotice", "firm_commitment", "clause", "when"} <= labels

    # document symbols, grouped by section
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=main_doc))
    assert symbols is not None
    sections = [s for s in symbols if isinstance(s, types.DocumentSymbol)
                and s.kind == types.SymbolKind.Namespace]
    first_a = next(s for s in sections if s.name.startswith("§3(a) "))
    assert "further_notice" in {c.name for c in first_a.children or []}

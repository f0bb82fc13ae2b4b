"""Tracker issue 21, item 8: the language server survives what a client (or a file) may send:
malformed headers, a body that claims gigabytes, invalid positions, a document that is a named
pipe or /dev/zero, a `source` outside the tree. After each, the server still answers.

The server is driven over its real standard input and output, byte by byte, so that framing
errors reach pygls's reader as they would from an editor."""

from __future__ import annotations

import json
import os
import queue
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.lsp import Client  # noqa: E402

ANSWER_WITHIN = 60  # seconds: far more than any answer takes; a hang fails, not stalls


class RawServer(Client):
    """`rrdsl lsp` as a subprocess, with raw access to its input."""

    def __init__(self, cwd: Path):
        super().__init__([sys.executable, "-m", "rrdsl", "lsp"], cwd,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, quiet=True)

    def request(self, method: str, params: Any, within: float = ANSWER_WITHIN
                ) -> dict[str, Any]:
        """Send a request and wait for its answer (notifications in between are kept)."""
        self.next_id += 1
        rid = self.next_id
        self.send({"id": rid, "method": method, "params": params})
        while True:
            try:
                msg = self.messages.get(timeout=within)
            except queue.Empty:
                pytest.fail(f"no answer to {method} within {within} s: the server hangs"
                            f" (exit status {self.proc.poll()})")
            if msg.get("id") == rid:
                return msg

    def alive(self, lost: int = 0) -> None:
        """The server still answers a request. After a message that said it was longer than it
        was, the next ones are read as the rest of its body and lost (`lost` of them are sent
        first, unanswered): the one after them must be answered."""
        params = {"textDocument": {"uri": (ROOT / "contracts/savvis_2001.rrd").as_uri()}}
        for _ in range(lost):
            self.next_id += 1
            self.send({"id": self.next_id, "method": "textDocument/documentSymbol",
                       "params": params})
        answer = self.request("textDocument/documentSymbol", params)
        assert "result" in answer, answer
        assert self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.request("shutdown", None)
                self.notify("exit", None)
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a test that failed already: just stop it
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Any:
    s = RawServer(tmp_path)
    init = s.request("initialize", {"processId": None, "rootUri": ROOT.as_uri(),
                                    "capabilities": {}})
    assert "result" in init
    s.notify("initialized", {})
    yield s
    s.close()


def test_malformed_content_length_headers_do_not_stop_the_server(server: RawServer) -> None:
    for junk in (b"Content-Length: abc\r\n\r\n{}",
                 b"Content-Length: -5\r\n\r\n",
                 b"Content-Length: 2\r\n\r\n{]",  # a body that is not JSON
                 b"Content-Length: 3\r\n\r\n[1]",  # JSON, but no message
                 b"Content-Length: 6\r\n\r\n\"text\"",
                 b"garbage before a header, no line end",
                 b"Content-Length: 2\n\n{}",  # line ends without \r
                 b"X" * 100_000 + b"\r\n",  # a header line with no end in sight
                 b"\r\n\r\n\r\n",
                 b"Content-Length: 99999999999999999999\r\n\r\n"):  # a body of exabytes
        server.raw(junk)
        server.alive()
    # a body shorter than it says swallows the start of the next message: the one after that
    # is answered
    server.raw(b"Content-Length: 500\r\n\r\n{}")
    server.alive(lost=5)  # each about 130 bytes: together more than the 498 awaited


def test_a_message_nested_too_deeply_is_answered_or_dropped(server: RawServer) -> None:
    body = b'{"jsonrpc": "2.0", "id": 99, "method": "x", "params": ' + b"[" * 100_000 + \
        b"]" * 100_000 + b"}"
    server.raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.alive()


def test_invalid_positions_get_an_answer(server: RawServer, tmp_path: Path) -> None:
    f = tmp_path / "t.rrd"
    text = 'agreement t "T"\nparty Acme\nsection 1 "One"\n'
    f.write_text(text, encoding="utf-8")
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": f.as_uri(), "languageId": "rrdsl", "version": 1, "text": text}})
    for line, char in ((-1, 0), (0, -1), (10**9, 0), (0, 10**9), (2**31, 2**31), (1, 5)):
        for method in ("textDocument/hover", "textDocument/definition",
                       "textDocument/references"):
            params: dict[str, Any] = {"textDocument": {"uri": f.as_uri()},
                                      "position": {"line": line, "character": char}}
            if method.endswith("references"):
                params["context"] = {"includeDeclaration": True}
            answer = server.request(method, params)
            assert "result" in answer or "error" in answer
    server.alive()


def test_documents_that_are_pipes_devices_or_nowhere_do_not_hang_it(
        server: RawServer, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.rrd"
    os.mkfifo(fifo)
    (tmp_path / "zero.rrd").symlink_to("/dev/zero")
    uris = [fifo.as_uri(), (tmp_path / "zero.rrd").as_uri(), "file:///dev/zero",
            "file:///nonexistent/x.rrd", "file:///tmp/a%00b.rrd", "untitled:Untitled-1",
            "file:///"]
    for uri in uris:
        for method in ("textDocument/hover", "textDocument/documentSymbol",
                       "textDocument/completion"):
            params: dict[str, Any] = {"textDocument": {"uri": uri}}
            if method.endswith("hover"):
                params["position"] = {"line": 0, "character": 0}
            answer = server.request(method, params)
            assert "result" in answer or "error" in answer
        server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    # a clause file in the folder that is a pipe: the search for the file importing an open
    # one must not read it
    lone = tmp_path / "lone.rrd"
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": lone.as_uri(), "languageId": "rrdsl", "version": 1,
        "text": 'section 1 "One"\n'}})
    server.alive()


def test_a_source_outside_the_tree_is_not_read_for_a_hover(
        server: RawServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECTION 1.  DEFINITIONS.  TOP-SECRET-WORDS of section one.\n",
                      encoding="utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    f = inner / "t.rrd"
    text = ('agreement t "T" source "../secret.txt"\nparty Acme\nsection 1 "One"\n'
            '  clause act: Acme shall "act"\n')
    f.write_text(text, encoding="utf-8")
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": f.as_uri(), "languageId": "rrdsl", "version": 1, "text": text}})
    answer = server.request("textDocument/hover", {"textDocument": {"uri": f.as_uri()},
                                                   "position": {"line": 3, "character": 10}})
    assert "TOP-SECRET" not in json.dumps(answer)
    assert answer.get("result") is not None  # the hover itself is given
    # the same text inside the tree is shown: the test would see a leak
    (inner / "inside.txt").write_text(secret.read_text(encoding="utf-8"), encoding="utf-8")
    inside = text.replace("../secret.txt", "inside.txt")
    server.notify("textDocument/didChange", {
        "textDocument": {"uri": f.as_uri(), "version": 2},
        "contentChanges": [{"text": inside}]})
    answer = server.request("textDocument/hover", {"textDocument": {"uri": f.as_uri()},
                                                   "position": {"line": 3, "character": 10}})
    assert "TOP-SECRET" in json.dumps(answer)
    # a source that is a named pipe inside the tree is not read either
    os.mkfifo(inner / "pipe.txt")
    text2 = text.replace("../secret.txt", "pipe.txt")
    server.notify("textDocument/didChange", {
        "textDocument": {"uri": f.as_uri(), "version": 3},
        "contentChanges": [{"text": text2}]})
    answer = server.request("textDocument/hover", {"textDocument": {"uri": f.as_uri()},
                                                   "position": {"line": 3, "character": 10}})
    assert "result" in answer
    server.alive()


# ── fuzzing: random messages, then a request that must be answered ──────────

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=8)
    | st.sampled_from(["file:///dev/zero", (ROOT / "contracts/savvis_2001.rrd").as_uri(),
                       "file:///nonexistent.rrd", "untitled:x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["textDocument", "uri", "position", "line", "character", "text",
                         "context", "includeDeclaration", "contentChanges", "version", "x"]),
        inner, max_size=4),
    max_leaves=15)
_methods = st.sampled_from(["textDocument/hover", "textDocument/definition",
                            "textDocument/references", "textDocument/completion",
                            "textDocument/documentSymbol", "textDocument/didOpen",
                            "textDocument/didChange", "textDocument/didSave",
                            "textDocument/didClose", "workspace/symbol", "no/such", ""])
_junk = st.binary(max_size=200).filter(lambda b: b"Content-Length" not in b)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = RawServer(tmp_path_factory.mktemp("lsp-fuzz"))
    s.request("initialize", {"processId": None, "rootUri": ROOT.as_uri(), "capabilities": {}})
    s.notify("initialized", {})
    yield s
    s.close()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(_junk, _methods, _json, st.one_of(st.none(), st.integers(1000, 2000), st.text(
    max_size=5), st.lists(st.integers(), max_size=2)))
def test_random_messages_never_stop_the_server(fuzzed: RawServer, junk: bytes, method: str,
                                               params: Any, msg_id: Any) -> None:
    fuzzed.raw(junk + b"\r\n")  # bytes that are no message, on a line of their own
    message: dict[str, Any] = {"method": method, "params": params}
    if msg_id is not None:
        message["id"] = msg_id
    fuzzed.send(message)
    answer = fuzzed.request("textDocument/completion", {
        "textDocument": {"uri": (ROOT / "contracts/savvis_2001.rrd").as_uri()},
        "position": {"line": 0, "character": 0}}, within=30)
    assert "result" in answer

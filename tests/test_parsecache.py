"""The parse cache (rrdsl/parsecache.py): a clause file read from disk whose text has not changed
gets back exactly the AST a parse gives, spans and comments included; anything else is parsed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.extra.lark import from_lark

from rrdsl import parsecache, parser
from rrdsl.diagnostics import RrdslError, SyntaxErrors
from tests.test_fuzz import _GRAMMAR, _explicit  # the fuzzer's program generator

ROOT = Path(__file__).resolve().parent.parent
CLAUSE_FILES = sorted(p for base in ("contracts", "docs", "tests")
                      for p in (ROOT / base).rglob("*.rrd"))


def _dump(module: object) -> str:
    """Every field, spans included (they stay out of the AST's equality)."""
    return json.dumps(parsecache.encode(module), sort_keys=True)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("RRDSL_NO_PARSE_CACHE", raising=False)
    return tmp_path / "xdg" / "rrdsl"


def _no_lark(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("parsed, though the parse cache had the file")
    monkeypatch.setattr(parser, "lark_parser", refuse)


def test_every_clause_file_round_trips_exactly() -> None:
    """The JSON form of each clause file of the project (the malformed ones that parse, too)
    decodes to an equal AST with the same spans and comments, in the AST's own classes."""
    parsed = 0
    for path in CLAUSE_FILES:
        try:
            module = parser.read_and_parse(path)
        except SyntaxErrors:
            continue  # a syntax error: never stored
        parsed += 1
        back = parsecache.decode(json.dumps(parsecache.encode(module)))
        assert back == module, path
        assert type(back) is type(module)
        assert _dump(back) == _dump(module), path
        assert back.comments == module.comments
    assert parsed > 40


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(_GRAMMAR, start="start", explicit=_explicit()))
def test_generated_programs_round_trip_exactly(text: str) -> None:
    try:
        module = parser.parse(text, "t.rrd")
    except RrdslError:
        assume(False)
    back = parsecache.decode(json.dumps(parsecache.encode(module)))
    assert back == module and _dump(back) == _dump(module)


def test_a_file_read_again_comes_from_the_cache(cache: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    src = ROOT / "contracts" / "savvis_2001.rrd"
    first = parser.read_and_parse(src, "contracts/savvis_2001.rrd")
    assert len(list(cache.glob("ast-*.json"))) == 1
    _no_lark(monkeypatch)
    again = parser.read_and_parse(src, "contracts/savvis_2001.rrd")
    assert _dump(again) == _dump(first)


def test_a_changed_file_is_parsed_again(cache: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "c.rrd"
    f.write_text('agreement a "A"\n\nsection 1 "One"\n  party P "P"\n', encoding="utf-8")
    parser.read_and_parse(f)
    f.write_text('agreement a "A"\n\nsection 1 "One"\n  party Q "Q"  # renamed\n',
                 encoding="utf-8")
    module = parser.read_and_parse(f)
    assert [d.name for s in module.sections for d in s.items] == ["Q"]
    assert [c.text for c in module.comments] == ["# renamed"]
    assert len(list(cache.glob("ast-*.json"))) == 1  # one entry per file, replaced
    _no_lark(monkeypatch)
    assert _dump(parser.read_and_parse(f)) == _dump(module)


@pytest.mark.parametrize("body", [
    None,  # not an entry at all
    "{not json",
    json.dumps({"@": "system", "f": ["rm -rf /"]}),
    json.dumps({"@": "Module", "f": [1, 2]}),
    json.dumps({"t": []}),
    "[" * 100_000 + "]" * 100_000,
])
def test_a_damaged_entry_is_a_miss(cache: Path, tmp_path: Path, body: str | None) -> None:
    """Entries that pass the digests but are not an AST, or do not pass them."""
    f = tmp_path / "c.rrd"
    text = 'agreement a "A"\n\nsection 1 "One"\n  party P "P"\n'
    f.write_text(text, encoding="utf-8")
    good = parser.read_and_parse(f)
    (entry,) = cache.glob("ast-*.json")
    digest = parsecache._text_digest
    entry.write_text("garbage" if body is None else f"{digest(text)} {digest(body)}\n{body}",
                     encoding="utf-8")
    assert parsecache.load(str(f), text) is None
    assert _dump(parser.read_and_parse(f)) == _dump(good)
    assert parsecache.load(str(f), text) is not None  # parsed and stored again


def test_an_entry_changed_on_disk_is_a_miss(cache: Path, tmp_path: Path) -> None:
    f = tmp_path / "c.rrd"
    text = 'agreement a "A"\n\nsection 1 "One"\n  party P "P"\n'
    f.write_text(text, encoding="utf-8")
    parser.read_and_parse(f)
    (entry,) = cache.glob("ast-*.json")
    entry.write_text(entry.read_text(encoding="utf-8").replace('"P"', '"Q"'), encoding="utf-8")
    assert parsecache.load(str(f), text) is None
    assert [d.name for s in parser.read_and_parse(f).sections for d in s.items] == ["P"]


def test_a_file_with_errors_is_not_stored(cache: Path, tmp_path: Path) -> None:
    f = tmp_path / "bad.rrd"
    f.write_text('agreement a "A"\n\nsection 1 "One"\n  partty P "P"\n', encoding="utf-8")
    for _ in range(2):  # reported each time
        with pytest.raises(SyntaxErrors):
            parser.read_and_parse(f)
    assert not list(cache.glob("ast-*.json"))


def test_text_given_in_memory_is_not_stored(cache: Path) -> None:
    """The language server parses text as it is typed: that is never cached."""
    parser.parse('agreement a "A"\n\nsection 1 "One"\n  party P "P"\n', "edited.rrd")
    assert not cache.exists() or not list(cache.glob("ast-*.json"))


def test_the_cache_can_be_turned_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RRDSL_NO_PARSE_CACHE", "1")
    parser.read_and_parse(ROOT / "contracts" / "savvis_2001.rrd")
    assert not cache.exists() or not list(cache.glob("ast-*.json"))


def test_no_usable_cache_folder_is_no_cache(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("RRDSL_NO_PARSE_CACHE", raising=False)
    module = parser.read_and_parse(ROOT / "contracts" / "savvis_2001.rrd")
    assert module.header is not None


def test_old_entries_are_removed(cache: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsecache, "MAX_ENTRIES", 3)
    for k in range(5):
        f = tmp_path / f"c{k}.rrd"
        f.write_text(f'agreement a{k} "A"\n\nsection 1 "One"\n  party P "P"\n', encoding="utf-8")
        parser.read_and_parse(f)
        os.utime(next(iter(sorted(cache.glob("ast-*.json"), key=os.path.getmtime))))
    assert len(list(cache.glob("ast-*.json"))) == 3


def test_a_different_parser_does_not_read_the_entries(cache: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    src = ROOT / "contracts" / "savvis_2001.rrd"
    parser.read_and_parse(src)
    text = src.read_text(encoding="utf-8")
    assert parsecache.load(str(src), text) is not None
    monkeypatch.setattr(parsecache, "_fingerprint", lambda: "another parser")
    assert parsecache.load(str(src), text) is None


def test_check_from_the_cache_reports_as_a_parse_does(tmp_path: Path) -> None:
    """The same diagnostics, at the same places, whether the files were parsed or not."""
    contract = tmp_path / "c.rrd"
    contract.write_text('agreement a "A"\n\nsection 1 "One"\n  define x: int = y + 1\n',
                        encoding="utf-8")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    env.pop("RRDSL_NO_PARSE_CACHE", None)
    runs = [subprocess.run([sys.executable, "-m", "rrdsl", "check", str(contract)], env=env,
                           capture_output=True, text=True) for _ in range(2)]
    assert list((tmp_path / "xdg" / "rrdsl").glob("ast-*.json"))
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr
    assert "E2" in runs[0].stdout + runs[0].stderr

"""The editors' support (editors/): the VS Code extension and the Vim syntax.

The highlighting files are generated from the grammar by editors/generate.py and must equal
what it writes; the TextMate grammar, run by vscode-textmate as VS Code runs it, must give every
token of every clause file the scope of the pygments lexer's token type; the extension must
package into a .vsix with @vscode/vsce.  The npm tests skip, saying why, where node or npm is
missing or the packages cannot be installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rrdsl.lexer import RrdslLexer
from rrdsl.parser import keywords

ROOT = Path(__file__).resolve().parent.parent
EDITORS = ROOT / "editors"
VSCODE = EDITORS / "vscode"
FILES = sorted((ROOT / "contracts").rglob("*.rrd"))


def _generate() -> Any:
    spec = importlib.util.spec_from_file_location("editors_generate", EDITORS / "generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = _generate()


def test_committed_highlighting_is_what_generate_writes() -> None:
    for path, text in GEN.outputs().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run python editors/generate.py")


def test_textmate_keywords_are_the_grammars() -> None:
    grammar = json.loads((VSCODE / "syntaxes" / "rrdsl.tmLanguage.json").read_text("utf-8"))
    words: list[str] = []
    for p in grammar["patterns"]:
        m = re.fullmatch(r"\(\?:([a-z_|]+)\)\\b", p.get("match", ""))
        if m:
            words += m.group(1).split("|")
    assert sorted(words) == sorted(keywords())  # each once, none missing


def test_vim_keywords_are_the_grammars() -> None:
    words: list[str] = []
    for line in (EDITORS / "vim" / "syntax" / "rrdsl.vim").read_text("utf-8").splitlines():
        if line.startswith("syn keyword "):
            words += line.split()[3:]
    assert sorted(words) == sorted(keywords())


def test_vim_detects_rrd_files() -> None:
    text = (EDITORS / "vim" / "ftdetect" / "rrdsl.vim").read_text("utf-8")
    assert "*.rrd" in text and "filetype=rrdsl" in text


def test_package_json_contributes_the_language() -> None:
    pkg = json.loads((VSCODE / "package.json").read_text("utf-8"))
    (lang,) = pkg["contributes"]["languages"]
    assert lang["id"] == "rrdsl" and lang["extensions"] == [".rrd"]
    (grammar,) = pkg["contributes"]["grammars"]
    assert (VSCODE / grammar["path"]).exists() and grammar["scopeName"] == "source.rrdsl"
    assert "rrdsl.server.command" in pkg["contributes"]["configuration"]["properties"]
    conf = json.loads((VSCODE / lang["configuration"]).read_text("utf-8"))
    assert conf["comments"] == {"lineComment": "#"}
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in conf["autoClosingPairs"]
    assert re.search(conf["indentationRules"]["increaseIndentPattern"], 'section 3(a) "Demand"')


# ── with node and npm ────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def extension(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of editors/vscode with its npm packages installed (or editors/vscode itself, if
    its node_modules is there already)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the VS Code extension is not built")
    if (VSCODE / "node_modules" / "vscode-textmate").is_dir() and \
            (VSCODE / "node_modules" / "@vscode" / "vsce").is_dir():
        return VSCODE
    work = tmp_path_factory.mktemp("vscode") / "rrdsl"
    shutil.copytree(VSCODE, work, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    try:
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=work,
                           capture_output=True, text=True, timeout=600,
                           env={**os.environ, "NO_UPDATE_NOTIFIER": "1"})
    except subprocess.TimeoutExpired:
        pytest.skip("npm ci took more than 10 minutes (offline?): the extension is not built")
    if r.returncode != 0:
        pytest.skip(f"npm ci failed (offline?), the extension is not built: {r.stderr[-500:]}")
    return work


def test_the_extension_packages_into_a_vsix(extension: Path, tmp_path: Path) -> None:
    out = tmp_path / "rrdsl.vsix"
    r = subprocess.run(["npx", "--no-install", "vsce", "package", "--out", str(out)],
                       cwd=extension, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    import zipfile

    names = set(zipfile.ZipFile(out).namelist())
    assert {"extension/package.json", "extension/extension.js",
            "extension/syntaxes/rrdsl.tmLanguage.json",
            "extension/language-configuration.json",
            "extension/node_modules/vscode-languageclient/package.json"} <= names
    assert not any("vscode-textmate" in n or "/@vscode/vsce/" in n for n in names)


def _pygments_scope(token: Any) -> str | None:
    from pygments.token import string_to_tokentype

    return {string_to_tokentype(k): v for k, v in GEN.SCOPES.items()}.get(token)


def test_textmate_scopes_agree_with_the_pygments_lexer(extension: Path) -> None:
    r = subprocess.run(["node", str(extension / "test" / "tokenize.js"), *map(str, FILES)],
                       cwd=extension, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    tm = json.loads(r.stdout)
    seen: set[str] = set()
    for path in FILES:
        text = path.read_text("utf-8")
        lines = tm[str(path)]
        # the innermost scope of each character, from vscode-textmate
        scope_at: list[list[str]] = []
        for line, toks in zip(text.split("\n"), lines, strict=True):
            row = ["source.rrdsl"] * len(line)
            for start, end, scopes in toks:
                for i in range(start, end):
                    row[i] = scopes[-1]
            scope_at.append(row)
        starts = [0]
        for line in text.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        line_no = 0
        for index, token, value in RrdslLexer().get_tokens_unprocessed(text):
            if not value.strip():
                continue
            while starts[line_no + 1] <= index:
                line_no += 1
            col = index - starts[line_no]
            want = _pygments_scope(token) or "source.rrdsl"
            got = set(scope_at[line_no][col:col + len(value)])
            assert got == {want}, (f"{path.name}:{line_no + 1}:{col + 1}: {value!r} is "
                                   f"{token} (so {want}) for pygments but {got} for VS Code")
            seen.add(want)
    # every kind of token the brief names occurs and agrees
    assert {GEN.SCOPES[k] for k in ("Keyword.Declaration", "Keyword.Reserved", "Keyword",
                                    "Name", "Name.Class", "String.Double", "Number.Integer",
                                    "Number.Float", "Number.Other", "Name.Label",
                                    "Comment.Single")} <= seen


def test_textmate_scopes_of_money_dates_and_sections(extension: Path, tmp_path: Path) -> None:
    f = tmp_path / "t.rrd"
    f.write_text('section 3(c)(viii) "D" # c\n  subject to §3(j)\n'
                 "  define x: money = $5,000,000 + 2001-02-20 + 10% + 180th + 1_000 + 2.5\n"
                 "  define y: date = the fifth day after one + forty-five (45) days\n")
    r = subprocess.run(["node", str(extension / "test" / "tokenize.js"), str(f)],
                       cwd=extension, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = json.loads(r.stdout)[str(f)]
    text = f.read_text().split("\n")
    got = {(text[i][s:e], scopes[-1]) for i, toks in enumerate(lines) for s, e, scopes in toks}
    assert {("3(c)(viii)", "entity.name.section.rrdsl"), ("§3(j)", "entity.name.section.rrdsl"),
            ("$5,000,000", "constant.numeric.float.rrdsl"),
            ("2001-02-20", "constant.numeric.date.rrdsl"),
            ("10%", "constant.numeric.float.rrdsl"),
            ("180th", "constant.numeric.integer.rrdsl"),
            ("1_000", "constant.numeric.integer.rrdsl"),
            ("2.5", "constant.numeric.float.rrdsl"),
            ("fifth", "constant.numeric.integer.rrdsl"),
            ("forty-five", "constant.numeric.integer.rrdsl"), ("one", "variable.other.rrdsl"),
            ("# c", "comment.line.number-sign.rrdsl"),
            ("subject", "keyword.other.rrdsl"), ("define", "storage.type.rrdsl")} <= got


@pytest.mark.skipif(shutil.which("vim") is None, reason="Vim is not installed")
def test_vim_highlights_a_clause_file(tmp_path: Path) -> None:
    lines = ['section 3(c)(viii) "D" # c',
             "  define x: money = $5,000,000 + 2001-02-20 + 10% + 180th + §3(j)",
             '  clause c: Savvis shall not "x \\"y\\"" when true',
             "  define d: date = the fifth business day after one + forty-five (45) days"]
    src = tmp_path / "t.rrd"
    src.write_text("\n".join(lines) + "\n")
    expected = [(1, "section", "rrdslDeclaration"), (1, "3(c)", "rrdslSectionNumber"),
                (1, '"D"', "rrdslString"), (1, "# c", "rrdslComment"),
                (2, "define", "rrdslDeclaration"), (2, "$5,000,000", "rrdslMoney"),
                (2, ",000,000", "rrdslMoney"), (2, "2001-02-20", "rrdslDate"),
                (2, "10%", "rrdslPercent"), (2, "180th", "rrdslOrdinal"),
                (2, "§3(j)", "rrdslSectionRef"), (2, "(j)", "rrdslSectionRef"),
                (3, "Savvis", "rrdslType"), (3, "shall", "rrdslModal"),
                (3, "not", "rrdslOperatorWord"), (3, '\\"y', "rrdslEscape"),
                (3, "when", "rrdslKeyword"), (3, "true", "rrdslConstant"),
                (4, "the", "rrdslKeyword"), (4, "fifth", "rrdslNumberWord"),
                (4, "-five", "rrdslNumberWord"), (4, "45", "rrdslInteger")]
    probes = []
    for line, needle, _ in expected:  # Vim's columns count bytes
        text = lines[line - 1]
        probes.append((line, len(text[:text.index(needle)].encode("utf-8")) + 1))
    out = tmp_path / "out.txt"
    expr = " . ' ' . ".join(f'synIDattr(synID({line}, {col}, 1), "name")'
                            for line, col in probes)
    r = subprocess.run(["vim", "-Es", "-N", "-u", "NONE", "-i", "NONE",
                        "--cmd", f"set runtimepath^={EDITORS / 'vim'}",
                        "-c", "filetype plugin on", "-c", "syntax on", "-c", f"edit {src}",
                        "-c", f"call writefile([&filetype . ' ' . {expr}], '{out}')",
                        "-c", "qa!"], capture_output=True, text=True, timeout=60)
    assert out.exists(), r.stdout + r.stderr
    assert out.read_text().split() == ["rrdsl", *(group for _, _, group in expected)]

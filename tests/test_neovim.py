"""Neovim, headless, with editors/vim on its runtime path and `require("rrdsl").setup()` (the
configuration docs/editors.md gives): *.rrd files get the rrdsl filetype and highlighting, the
language server's diagnostics arrive, and hover answers. Skipped, saying why, where Neovim 0.7
or later or the server's `lsp` extra is missing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rrdsl.lsp import available

ROOT = Path(__file__).resolve().parent.parent
NVIM = shutil.which("nvim")


def _version() -> tuple[int, int]:
    if NVIM is None:
        return (0, 0)
    out = subprocess.run([NVIM, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"NVIM v(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


pytestmark = [
    pytest.mark.skipif(NVIM is None, reason="Neovim (nvim) is not installed"),
    pytest.mark.skipif(NVIM is not None and _version() < (0, 7),
                       reason=f"Neovim {_version()} is older than 0.7"),
    pytest.mark.skipif(not available(), reason="the lsp extra (pygls) is not installed"),
]

CHECK = r"""
local out = {}
out.filetype = vim.bo.filetype
out.syntax = vim.fn.synIDattr(vim.fn.synID(1, 1, 1), "name")
out.section = vim.fn.synIDattr(vim.fn.synID(4, 9, 1), "name")
vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 50)
out.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out.diagnostics, { lnum = d.lnum, col = d.col, message = d.message,
                                  severity = d.severity })
end
vim.api.nvim_win_set_cursor(0, { 7, 34 })  -- on `twice`
local res = vim.lsp.buf_request_sync(0, "textDocument/hover",
                                     vim.lsp.util.make_position_params(), 30000)
out.hover = {}
for _, r in pairs(res or {}) do
  if r.result then table.insert(out.hover, r.result.contents.value) end
end
vim.fn.writefile({ vim.fn.json_encode(out) }, OUT)
vim.cmd("qa!")
"""

SOURCE = '''agreement t "T"
party Acme
fact price: money "the price"
section 1 "One"
  define twice(x: money): money "twice the price" = 2 * x
  clause c: Acme shall "x" when eligble
  clause d: Acme shall "y" when twice(price) > $5,000,000
'''


def test_neovim_highlights_and_shows_diagnostics_and_hover(tmp_path: Path) -> None:
    assert NVIM is not None
    src = tmp_path / "t.rrd"
    src.write_text(SOURCE)
    out = tmp_path / "out.json"
    init = tmp_path / "init.lua"
    cmd = json.dumps([sys.executable, "-m", "rrdsl", "lsp"])[1:-1]
    init.write_text(f"""
vim.opt.runtimepath:prepend({json.dumps(str(ROOT / "editors" / "vim"))})
vim.cmd("filetype plugin on")
vim.cmd("syntax on")
require("rrdsl").setup({{ cmd = {{ {cmd} }} }})
""")
    check = tmp_path / "check.lua"
    check.write_text(f"OUT = {json.dumps(str(out))}\n" + CHECK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    r = subprocess.run([NVIM, "--headless", "-u", str(init), "-i", "NONE", str(src),
                        "-c", f"luafile {check}"], capture_output=True, text=True,
                       timeout=180, cwd=tmp_path, env=env)
    assert out.exists(), r.stdout + r.stderr
    got = json.loads(out.read_text())
    assert got["filetype"] == "rrdsl"
    assert got["syntax"] == "rrdslDeclaration" and got["section"] == "rrdslSectionNumber"
    (diag,) = got["diagnostics"]
    assert "unknown name 'eligble'" in diag["message"] and (diag["lnum"], diag["col"]) == (5, 32)
    (hover,) = got["hover"]
    assert "define twice(x: money): money" in hover and "twice the price" in hover

"""Contracts k times the agreement's size, for the scaling of `rrdsl check` (bench/run.py
--scaling, figure (f)).

`write_scaled(folder, k)` copies contracts/ into `folder` and adds replicas of the agreement's
section files (contracts/savvis_2001/*.rrd: §2, §3(d)–(i), §4–§8), each under renamed names —
every name the file declares (events, facts, definitions, states, enumerations and their
members, readings, checks) gains a suffix `_rN`, and every section it declares a number
`N00…` in front (`§3(d)` → `§1003(d)` in replica 1), references to them inside the replica
following — until the contract has about k times the agreement's lines.  The main file imports
the replicas (in at most 40 files: the loader takes at most 64).  References to the main file's names stay as they are, so each replica is
checked against the same §1 and §3(a)–(c), as the original section files are.  The result
checks (a replica does not repeat §6's `survives while` or §8(e)'s `amended by`: the
definitions they used are then unused, W101).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAIN = "savvis_2001.rrd"
PARTS = ("transfers.rrd", "piggyback.rrd", "indemnity.rrd", "misc.rrd")
FILES = 40
_SECREF = re.compile(r"(§|\bsection )([0-9]+[A-Za-z]?(?:\([a-z0-9]+\))*)")


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _declared(text: str, name: str) -> tuple[set[str], set[str]]:
    """The names and section numbers a section file declares."""
    from rrdsl import ast
    from rrdsl.parser import parse

    module = parse(text, name)
    names: set[str] = set()
    sections = {s.number for s in module.sections}
    for d in [*module.preamble, *(x for s in module.sections for x in s.items)]:
        if isinstance(d, ast.Clause | ast.ExceptionDecl):
            continue  # named within their section, which is renamed
        n = getattr(d, "name", None)
        if isinstance(n, str):
            names.add(n)
        if isinstance(d, ast.EnumDecl):
            names.update(m.name for m in d.members)
    return names, sections


def replica(text: str, names: set[str], sections: set[str], n: int) -> str:
    """The section file's text with its declared names and sections renamed for replica n."""
    if names:
        pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len,
                                                        reverse=True)) + r")\b")
        text = pattern.sub(lambda m: f"{m.group(1)}_r{n}", text)

    # the agreement says once how long it survives and how it may be amended (§6, §8(e)): a
    # replica does not say it again
    text = re.sub(r"(?m)^(\s*)(survives while|amended by) ", r"\1# (not in a replica) \2 ",
                  text)

    def section(m: Any) -> str:
        number = m.group(2)
        if number not in sections:
            return m.group(0)
        return f"{m.group(1)}{n}00{number}"
    return _SECREF.sub(section, text)


def write_scaled(folder: Path, k: float) -> tuple[Path, int]:
    """A copy of contracts/ in `folder` whose agreement has about k times its lines; returns
    the main file and the number of lines of the agreement's files."""
    shutil.copytree(ROOT / "contracts", folder / "contracts",
                    ignore=shutil.ignore_patterns("scenarios", "facts", "__pycache__"))
    base = folder / "contracts"
    parts = base / "savvis_2001"
    texts = {p: (parts / p).read_text(encoding="utf-8") for p in PARTS}
    declared = {p: _declared(t, p) for p, t in texts.items()}
    original = _lines(base / MAIN) + sum(len(t.splitlines()) for t in texts.values())
    total, n, replicas = original, 0, []
    while total < k * original:
        n += 1
        for p in PARTS:
            if total >= k * original:
                break
            replicas.append(replica(texts[p], *declared[p], n))
            total += len(texts[p].splitlines())
    # in at most FILES files (the loader takes at most 64 imported files)
    per_file = -(-len(replicas) // FILES) if replicas else 0
    imports = []
    for j in range(0, len(replicas), per_file or 1):
        out = parts / f"replicas_{j // per_file + 1}.rrd"
        out.write_text("\n".join(replicas[j:j + per_file]), encoding="utf-8")
        imports.append(f'import "savvis_2001/{out.name}"\n')
    main = base / MAIN
    lines = main.read_text(encoding="utf-8").splitlines(keepends=True)
    at = max(i for i, ln in enumerate(lines) if ln.startswith("import ")) + 1
    main.write_text("".join(lines[:at] + imports + lines[at:]), encoding="utf-8")
    return main, total + len(imports)

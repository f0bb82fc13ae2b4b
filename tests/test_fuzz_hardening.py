"""Fuzzing of what issue 21 hardened: scenario files, and `rrdsl fmt` on odd files (read-only,
links, CRLF, a byte order mark). Whatever comes in, only rrdsl's own diagnostics come out, and
nothing the user wrote is lost. (The language server's messages are fuzzed in
test_lsp_robust.py, against the real server.)"""

from __future__ import annotations

import atexit
import datetime
import io
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rrdsl.fmt import format_text, run
from rrdsl.lints import lint_scenario
from rrdsl.parser import parse
from rrdsl.scenarios import _EXPECT_KEYS, run as run_scenario

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=list(HealthCheck))

TOY = """agreement toy "Toy" dated 2001-01-01

party Company "the Company"
role Holder "the Holders"

section 1 "Notices"
  fact held(h: Holder): shares "shares held"
  event Notice "a notice" (by: Holder)
  clause reply: Company shall "reply"
    upon Notice n
    within 10 days after n.date
"""

_WORK = Path(tempfile.mkdtemp(prefix="rrdsl-fuzz-"))
atexit.register(shutil.rmtree, _WORK, True)
(_WORK / "toy.rrd").write_text(TOY, encoding="utf-8")


# ── scenario files ───────────────────────────────────────────────────────────


def _toml(v: Any) -> str:
    """A value as TOML text (an inline value)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime.datetime | datetime.date | datetime.time):
        return v.isoformat()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(v), repr(v))
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string (bar lone surrogates)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(x)}" for k, x in v.items()) + " }"


_KEYS = sorted(_EXPECT_KEYS) + ["stauts", "clase", "", "with.x"]
_scalars = (st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=10)
            | st.sampled_from(["1.reply", "none", "undetermined", "pending", "n1", "Ann",
                               "not_triggered", "E511", "held(Ann)"])
            | st.dates() | st.datetimes() | st.times() | st.floats())
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["Ann", "x", "label", "n1"]), inner, max_size=3), max_leaves=10)
_TOP_KEYS = ["title", "section", "cites", "as_of", "contract", "facts", "note", "sectoin",
             "given", "expect"]
_paths = st.sampled_from(["toy.rrd", "/etc/passwd", "missing.rrd", "../toy.rrd", "f.toml",
                          "/dev/zero", "x.txt"])
# an expectation that is well formed but for a key or two: the wrong types reach the checks
_expectation = st.builds(
    lambda head, rest: {**head, **rest},
    st.sampled_from([{"clause": "1.reply"}, {"clause": "1.reply[n0]"}, {"value": "x"},
                     {"warning": "1.w"}, {"amendment": "a"}, {"fact_error": "E511"}, {}]),
    st.dictionaries(st.sampled_from(_KEYS), _values, max_size=2))


@SETTINGS
@given(st.dictionaries(st.sampled_from(_TOP_KEYS), _values | _paths, max_size=1),
       st.lists(_expectation, min_size=1, max_size=3), st.integers(0, 3))
def test_generated_scenarios_give_only_diagnostics(
        top: dict[str, Any], expects: list[dict[str, Any]], events: int) -> None:
    base = {"title": "t", "contract": "toy.rrd", "section": "1", "cites": "c",
            "as_of": datetime.date(2001, 6, 1)}
    top = {**base, **top}
    lines = [f"{json.dumps(k)} = {_toml(v)}" for k, v in top.items()
             if k not in ("given", "expect")]
    if "given" not in top and "expect" not in top:
        lines += ["[given.parties]", 'Ann = "Holder"']
        for i in range(events):
            lines += ["[[given.events.Notice]]", f'id = "n{i}"',
                      "date = 2001-05-0" + str(i + 1), 'by = "Ann"']
        for exp in expects:
            lines.append("[[expect]]")
            lines += [f"{json.dumps(k)} = {_toml(v)}" for k, v in exp.items()]
    else:
        lines += [f"{k} = {_toml(v)}" for k, v in top.items() if k in ("given", "expect")]
    f = _WORK / "fuzz.scenario.toml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    result = run_scenario(f)  # raises nothing: problems are the result's
    assert result.passed or result.failures or result.error
    if result.error:
        assert "Traceback" not in result.error
        assert "root:" not in result.error  # /etc/passwd is never quoted
    lint_scenario(f)


@SETTINGS
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode(
    "utf-8", "surrogatepass")))
def test_scenario_files_of_any_bytes_give_only_diagnostics(data: bytes) -> None:
    f = _WORK / "bytes.scenario.toml"
    f.write_bytes(data)
    result = run_scenario(f)
    assert not result.passed  # no bytes make a passing scenario out of nothing
    lint_scenario(f)


# ── rrdsl fmt on odd files ───────────────────────────────────────────────────

_CLAUSES = [(ROOT / "tests/fmt/messy.rrd").read_text(encoding="utf-8"), TOY,
            TOY.replace("  ", "    ").replace(" shall ", "  shall  ")]


@SETTINGS
@given(st.sampled_from(range(len(_CLAUSES))), st.booleans(), st.booleans(), st.booleans(),
       st.booleans(), st.booleans())
def test_fmt_on_odd_files_loses_nothing(which: int, crlf: bool, bom: bool, read_only: bool,
                                        link: bool, folder_read_only: bool) -> None:
    text = _CLAUSES[which]
    data = (("\ufeff" if bom else "") + (text.replace("\n", "\r\n") if crlf else text)
            ).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "real"
        folder.mkdir()
        target = folder / "a.rrd"
        target.write_bytes(data)
        if which == 0:
            (folder / "lib.rrd").write_text("", encoding="utf-8")
        named = target
        if link:
            named = Path(tmp) / "link.rrd"
            named.symlink_to(target)
        if read_only:
            target.chmod(0o444)
        if folder_read_only:
            folder.chmod(0o555)
        out, err = io.StringIO(), io.StringIO()
        try:
            code = run([named], out=out, err=err)
        finally:
            folder.chmod(0o755)
        assert named.is_symlink() == link
        after = target.read_bytes()
        if read_only or folder_read_only:
            assert code == 1 and "E114" in err.getvalue() and after == data  # untouched
            assert sorted(p.name for p in folder.iterdir()) == sorted(
                ["a.rrd"] + (["lib.rrd"] if which == 0 else []))  # no temporary file left
            return
        assert code == 0, err.getvalue()
        formatted = after.decode("utf-8")
        # the same meaning, the canonical layout, every comment: and formatting is stable
        assert parse(formatted, "a.rrd") == parse(text, "a.rrd")
        assert format_text(formatted, "a.rrd") == formatted
        assert "\r" not in formatted and not formatted.startswith("\ufeff")
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o644

"""The cache of `rrdsl check`'s reports (rrdsl/checkcache.py): a report is given again only while
every question the check asked of the file system gets the same answer, and it is then the
report the check would write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rrdsl import checkcache
from rrdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent

TERMS = """\
section 2 "Terms"

  define answer_period: duration "the time to answer a request" = 10 days
"""


@pytest.fixture
def deal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`rrdsl init deal` in a folder of its own (the current folder), its period moved to an
    imported file; a private cache folder with both caches on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("RRDSL_NO_PARSE_CACHE", raising=False)
    monkeypatch.delenv("RRDSL_NO_CHECK_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["init", "deal"]) == 0
    folder = tmp_path / "deal"
    main_file = folder / "deal.rrd"
    text = main_file.read_text(encoding="utf-8")
    assert "within 10 days after r.date" in text
    text = text.replace("within 10 days after r.date", "within answer_period after r.date")
    text = text.replace('source "text/deal.txt"\n',
                        'source "text/deal.txt"\n\nimport "terms.rrd"\n')
    main_file.write_text(text, encoding="utf-8")
    (folder / "terms.rrd").write_text(TERMS, encoding="utf-8")
    return folder


def checked(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    """`rrdsl check WORDS` checked (never answered from the cache): status, out, err."""
    capsys.readouterr()
    status = main(["check", *words])
    out, err = capsys.readouterr()
    return status, out, err


def replayed(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str] | None:
    """`rrdsl check WORDS` answered from the cache, or None when it is not."""
    capsys.readouterr()
    status = checkcache.replay(list(words))
    out, err = capsys.readouterr()
    if status is None:
        assert (out, err) == ("", "")  # nothing written when the cache does not answer
        return None
    return status, out, err


def test_a_file_checked_again_gets_the_same_report(deal: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert replayed(capsys, "deal/deal.rrd") is None  # never checked
    first = checked(capsys, "deal/deal.rrd")
    assert first[0] == 0 and first[1] == "deal/deal.rrd: ok\n"
    assert replayed(capsys, "deal/deal.rrd") == first
    assert replayed(capsys, "./deal//deal.rrd") == first  # the path as argparse makes it


@pytest.mark.parametrize("edit", ["main", "import", "source gone", "import gone"])
def test_a_change_to_what_the_check_read_is_a_miss(deal: Path, edit: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    checked(capsys, "deal/deal.rrd")
    assert replayed(capsys, "deal/deal.rrd") is not None
    if edit == "main":  # a comment: the AST is the same, the file is not
        with (deal / "deal.rrd").open("a", encoding="utf-8") as f:
            f.write("# reviewed\n")
    elif edit == "import":
        (deal / "terms.rrd").write_text(TERMS.replace("10 days", "12 days"), encoding="utf-8")
    elif edit == "source gone":  # only probed for, never read
        (deal / "text" / "deal.txt").unlink()
    else:
        (deal / "terms.rrd").unlink()
    assert replayed(capsys, "deal/deal.rrd") is None
    again = checked(capsys, "deal/deal.rrd")
    assert replayed(capsys, "deal/deal.rrd") == again
    if edit in ("source gone", "import gone"):
        assert again[0] == 1 and ("E212" if edit == "source gone" else "E205") in again[2]


def test_a_file_written_again_unchanged_is_still_a_hit(deal: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    first = checked(capsys, "deal/deal.rrd")
    terms = deal / "terms.rrd"
    terms.write_text(terms.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(terms, (1, 1))
    assert replayed(capsys, "deal/deal.rrd") == first


def test_a_missing_import_made_later_is_noticed(deal: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    terms = deal / "terms.rrd"
    terms.unlink()
    status, _, err = checked(capsys, "deal/deal.rrd")
    assert status == 1 and "E205" in err
    assert replayed(capsys, "deal/deal.rrd") == (status, "", err)
    terms.write_text(TERMS, encoding="utf-8")
    assert replayed(capsys, "deal/deal.rrd") is None
    assert checked(capsys, "deal/deal.rrd")[0] == 0


def test_a_link_pointed_elsewhere_is_noticed(deal: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The same bytes from another file: names in diagnostics are the real paths'."""
    terms = deal / "terms.rrd"
    (deal / "a.rrd").write_text(TERMS, encoding="utf-8")
    (deal / "b.rrd").write_text(TERMS, encoding="utf-8")
    terms.unlink()
    terms.symlink_to("a.rrd")
    first = checked(capsys, "deal/deal.rrd")
    assert replayed(capsys, "deal/deal.rrd") == first
    terms.unlink()
    terms.symlink_to("b.rrd")
    assert replayed(capsys, "deal/deal.rrd") is None


def test_errors_warnings_and_strict_are_kept_apart(deal: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with (deal / "terms.rrd").open("a", encoding="utf-8") as f:
        f.write('  define unused_period: duration "a period" = 3 days\n')  # W101
    plain = checked(capsys, "deal/deal.rrd")
    strict = checked(capsys, "--strict", "deal/deal.rrd")
    assert plain[0] == 0 and "W101" in plain[2] and plain[1].endswith("1 warning\n")
    assert strict[0] == 1 and "W101" in strict[2]
    assert replayed(capsys, "deal/deal.rrd") == plain
    assert replayed(capsys, "deal/deal.rrd", "--strict") == strict
    with (deal / "deal.rrd").open("a", encoding="utf-8") as f:
        f.write("clause broken: Company shall\n")  # a syntax error
    broken = checked(capsys, "deal/deal.rrd")
    assert broken[0] == 1 and "deal/deal.rrd:" in broken[2]
    assert replayed(capsys, "deal/deal.rrd") == broken


def test_several_files_are_answered_all_or_none(deal: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    both = checked(capsys, "deal/deal.rrd", "deal/terms.rrd")
    assert replayed(capsys, "deal/deal.rrd", "deal/terms.rrd") == both
    assert replayed(capsys, "deal/terms.rrd", "deal/deal.rrd") is not None
    (deal / "other.rrd").write_text(TERMS, encoding="utf-8")
    assert replayed(capsys, "deal/deal.rrd", "deal/other.rrd") is None


def test_what_the_cache_does_not_answer(deal: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    checked(capsys, "deal/deal.rrd")
    checked(capsys, "deal/scenarios/example.scenario.toml")
    assert replayed(capsys, "deal/scenarios/example.scenario.toml") is None
    assert replayed(capsys, "deal/scenarios") is None
    assert replayed(capsys, "deal/deal.rrd", "--help") is None
    assert replayed(capsys) is None
    monkeypatch.chdir(deal)  # another current folder: names are shown from it
    assert replayed(capsys, "deal.rrd") is None
    monkeypatch.chdir(deal.parent)
    for switch in ("RRDSL_NO_CHECK_CACHE", "RRDSL_NO_PARSE_CACHE"):
        monkeypatch.setenv(switch, "1")
        assert replayed(capsys, "deal/deal.rrd") is None
        monkeypatch.delenv(switch)
    assert replayed(capsys, "deal/deal.rrd") is not None


def test_a_damaged_or_foreign_entry_is_a_miss(deal: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    checked(capsys, "deal/deal.rrd")
    [entry] = (tmp_path / "xdg" / "rrdsl").glob("check-*.json")
    head, body = entry.read_text(encoding="utf-8").split("\n", 1)
    entry.write_text(head + "\n" + body.replace("ok", "OK"), encoding="utf-8")
    assert replayed(capsys, "deal/deal.rrd") is None
    data = json.loads(body)
    data["report"] = [[7, "x"]]  # a stream that is neither
    forged = json.dumps(data)
    entry.write_text(f"{checkcache.files.digest(forged.encode())}\n{forged}", encoding="utf-8")
    assert replayed(capsys, "deal/deal.rrd") is None


def test_a_file_that_could_not_be_read_keeps_no_entry(deal: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from rrdsl.sourcetext import MAX_FILE_BYTES

    # an imported file over the limit: E107, the read refused (a folder or a missing file is
    # no read, but a probe for a file, kept with its answer)
    (deal / "terms.rrd").write_text("#" * (MAX_FILE_BYTES + 1), encoding="utf-8")
    status, _, err = checked(capsys, "deal/deal.rrd")
    assert status == 1 and "E107" in err
    assert not list((tmp_path / "xdg" / "rrdsl").glob("check-*.json"))


# ── the cache answers as the check would, whatever the edits ────────────────

VARIANTS = {
    "deal/terms.rrd": [TERMS, TERMS.replace("10 days", "12 days"),
                       TERMS + '  define unused_period: duration "a period" = 3 days\n',
                       TERMS.replace("define", "defne"), None],
    "deal/text/deal.txt": ["The Deal Agreement.\n", None],
}


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(sorted(VARIANTS)), st.integers(0, 4),
                                st.booleans()), min_size=1, max_size=5))
def test_the_cache_answers_as_the_check_would(deal: Path, capsys: pytest.CaptureFixture[str],
                                              edits: list[tuple[str, int, bool]]) -> None:
    for name, k, strict in edits:
        variants = VARIANTS[name]
        text = variants[k % len(variants)]
        path = deal.parent / name
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text, encoding="utf-8")
        words = ["deal/deal.rrd", *(["--strict"] if strict else [])]
        answer = replayed(capsys, *words)
        truth = checked(capsys, *words)
        if answer is not None:
            assert answer == truth
        assert replayed(capsys, *words) == truth
    for name, variants in VARIANTS.items():  # as the fixture made it, for the next example
        (deal.parent / name).write_text(variants[0], encoding="utf-8")


# ── the program ─────────────────────────────────────────────────────────────

_PROGRAM = """\
import json, sys
from rrdsl.cli import run
try:
    run()
except SystemExit as e:
    sys.stderr.write(f"@@ {e.code} {json.dumps([m for m in sys.modules if 'rrdsl' in m])}")
"""


def test_the_program_answers_without_loading_the_checker(deal: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RRDSL_NO_PARSE_CACHE", "RRDSL_NO_CHECK_CACHE")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")

    def run() -> tuple[str, int, list[str]]:
        proc = subprocess.run([sys.executable, "-c", _PROGRAM, "check", "deal/deal.rrd"],
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              check=False)
        err, _, tail = proc.stderr.rpartition("@@ ")
        code, modules = tail.split(" ", 1)
        return proc.stdout + err, int(code), json.loads(modules)

    first, again = run(), run()
    assert first[:2] == again[:2] == ("deal/deal.rrd: ok\n", 0)
    assert "rrdsl.checker" in first[2] and "rrdsl.checker" not in again[2]
    assert not {"rrdsl.ast", "rrdsl.parser", "rrdsl.diagnostics"} & set(again[2])



def test_another_rrdsl_or_no_current_folder_is_a_miss(deal: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    checked(capsys, "deal/deal.rrd")
    assert replayed(capsys, "deal/deal.rrd") is not None
    with monkeypatch.context() as m:
        m.setattr(checkcache, "_fingerprint", lambda: "another rrdsl")
        assert replayed(capsys, "deal/deal.rrd") is None
    assert replayed(capsys, "deal/deal.rrd") is not None
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # os.getcwd() fails: no answer, and no traceback
    assert replayed(capsys, "deal/deal.rrd") is None


def test_one_file_log_at_a_time(tmp_path: Path) -> None:
    """A log opened inside another would leave the outer one without what it logs: refused;
    the outer log goes on logging, and once closed, nothing is logged."""
    from rrdsl import files

    f = tmp_path / "a.rrd"
    f.write_text("x", encoding="utf-8")
    with files.FileLog() as log:
        with pytest.raises(RuntimeError), files.FileLog():
            pass
        files.read_limited(f, 10)
        assert files.is_file(f) and str(f) in log.probes
        assert log.reads[str(f)][1] == 1
    files.is_file(tmp_path / "b.rrd")
    assert str(tmp_path / "b.rrd") not in log.probes

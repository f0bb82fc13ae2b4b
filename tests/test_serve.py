"""`rrdsl serve`, through Starlette's test client: the forms, bad input, escaping, downloads.

The forms are submitted as a browser would: every field the page renders, with its value
(`form_of`), changed where the test says.
"""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="rrdsl serve needs the serve extra: pip install "
                    "'rrdsl[serve]'")
pytest.importorskip("jinja2", reason="rrdsl serve needs jinja2 (the serve extra)")

import rrdsl  # noqa: E402
from rrdsl.serve import make_app  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAVVIS = ROOT / "contracts" / "savvis_2001.rrd"
DEMAND = ROOT / "contracts" / "facts" / "demand-2001.toml"


class _Form(HTMLParser):
    """The fields of the form with id `form_id`: what a browser would submit."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.selected: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.selected, self.first_option = a.get("name"), None, None
        elif tag == "option" and self.select is not None:
            if self.first_option is None:
                self.first_option = a.get("value", "")
            if "selected" in a:
                self.selected = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            value = self.selected if self.selected is not None else self.first_option or ""
            self.fields.append((self.select, value))
            self.select = None


def form_of(html: str, form_id: str = "facts-form") -> list[tuple[str, str]]:
    p = _Form(form_id)
    p.feed(html)
    return p.fields


def submit(client: TestClient, html: str, action: str = "apply",
           **changes: str) -> str:
    fields = [(k, changes.pop(k) if k in changes else v) for k, v in form_of(html)]
    fields += list(changes.items())
    r = client.post("/facts", data=_multi(fields + [("action", action)]))
    assert r.status_code == 200, r.text[:2000]
    return r.text


def _multi(fields: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fields:
        if k in out:
            out[k] = [*out[k], v] if isinstance(out[k], list) else [out[k], v]
        else:
            out[k] = v
    return out


def answers(html: str) -> dict[str, str]:
    return dict(re.findall(r'<article class="answer[^"]*" id="[^"]*" data-instance="([^"]+)" '
                           r'data-status="([^"]+)"', html))


@pytest.fixture(scope="module")
def savvis() -> rrdsl.Contract:
    return rrdsl.load(SAVVIS)


@pytest.fixture
def client(savvis: rrdsl.Contract) -> TestClient:
    return TestClient(make_app([savvis], DEMAND))


def test_the_page_shows_the_facts_and_the_answers(client: TestClient) -> None:
    html = client.get("/").text
    assert "loaded" in html and "demand-2001.toml" in html
    got = answers(html)
    assert got["3(a).register[dn1]"] == "pending"
    assert got["3(a).request_inclusion[John_Clark, dfn1]"] == "expired"
    # forms from the declarations: an enumeration is a select with its members described
    assert '<option value="firm_commitment" selected>firm_commitment — a firm commitment' in html
    # the agreement's paragraph beside the answer, the derivation in words and as a tree
    art = html[html.index('data-instance="3(a).register[dn1]"'):]
    art = art[: art.index("</article>")]
    assert "<blockquote" in art and "Demand Registration" in art
    assert "Why: the derivation, step by step" in art and "The engineer" in art
    assert "found in the facts" in art and "savvis_common_shares(WCAS) is 6,200,000" in art


def test_answers_are_filtered_and_ordered_by_section(client: TestClient) -> None:
    html = client.get("/", params={"party": "Savvis", "section": "3(a)"}).text
    got = answers(html)
    assert got and all(k.startswith("3(a).") for k in got), got
    html = client.get("/", params={"status": "expired"}).text
    assert set(answers(html).values()) == {"expired"}
    html = client.get("/", params={"party": "Savvis"}).text
    sections = [k.split(".", 1)[0] for k in answers(html)]
    from rrdsl.browse import section_sort_keys

    keys = section_sort_keys(sections)
    assert sections == sorted(sections, key=keys.__getitem__)


def test_add_an_event_by_form_and_see_the_what_if(client: TestClient) -> None:
    html = client.get("/").text
    html = submit(client, html, "add_event", new_event_type="DemandNotice")
    assert "added DemandNotice dn2" in html
    fields = dict(form_of(html))
    i = next(k.split(".")[0] for k, v in fields.items() if k.endswith(".id") and v == "dn2")
    html = submit(client, html, **{f"{i}.date": "2001-06-10", f"{i}.shares.v0": "1,000,000",
                                   f"{i}.method": "firm_commitment", f"{i}.channel": "personal"})
    got = answers(html)
    assert got["3(a).register[dn2]"] == "pending"
    assert got["3(a).further_notice[dn2]"] == "pending"
    # the baseline was the answers before the event: the new answers show as changed
    table = html[html.index('id="changes"'):]
    assert "§3(a).further_notice[dn2]" in table
    # a Transfer gives an obligation with a deadline: pending, then breached past it
    html = submit(client, html, "add_event", new_event_type="Transfer")
    fields = dict(form_of(html))
    t = next(k.split(".")[0] for k, v in fields.items() if k.endswith(".id") and v == "t1")
    html = submit(client, html, **{
        f"{t}.date": "2001-06-12", f"{t}.transferor": "WCAS", f"{t}.shares": "500000",
        f"{t}.kind": "sale", f"{t}.transferee": "Acme Capital LLC", f"{t}.relation": "unrelated",
        f"{t}.registered": "false", f"{t}.exempt": "true", f"{t}.state_law_compliant": "true",
        f"{t}.notice_otherwise_required": "false"})
    assert answers(html)["2(a).transfer_notice[WCAS, t1]"] == "pending"
    assert 'data-instance="2(a).transfer_notice[WCAS, t1]"' in client.get("/timeline.svg").text
    html = submit(client, html, as_of="2001-08-01")
    assert answers(html)["2(a).transfer_notice[WCAS, t1]"] == "breached"
    # what the download says is what the CLI answers
    text = client.get("/download/facts.toml").text
    data = tomllib.loads(text)
    assert data["as_of"].isoformat() == "2001-08-01"
    assert [e["id"] for e in data["events"]["DemandNotice"]] == ["dn1", "dn2"]


def test_invalid_input_shows_the_cli_diagnostic_beside_the_field_and_keeps_it(
        client: TestClient) -> None:
    html = client.get("/").text
    fields = dict(form_of(html))
    key = next(k for k, v in fields.items() if k.startswith("f.savvis_common_shares.")
               and k.endswith(".value") and v == "6200000")
    html = submit(client, html, **{key: "six million"})
    assert f'value="six million"' in html  # nothing typed is lost
    assert "facts.toml:" in html and "error[E503]" in html
    assert "should be a whole number of shares, not &#34;six million&#34;" in html
    # shown beside its field (inside the row of that value)
    row = html[html.index(f'id="{key.rsplit(".", 1)[0]}"'):]
    assert row.index("error[E503]") < row.index("</div>\n")
    # and it is what `rrdsl eval` says of the downloaded file
    assert "No answers until the facts are fixed" in html


def test_malformed_toml_upload_shows_the_diagnostic_and_keeps_the_facts(
        client: TestClient) -> None:
    client.get("/")
    r = client.post("/load", files={"file": ("bad.toml", b"as_of = 2001-06-15\n[parties\n")},
                    data={"kind": "facts"})
    html = r.text
    assert "bad.toml was not loaded" in html
    assert "bad.toml:2:" in html and "error[E501]" in html and "not valid TOML" in html
    assert answers(html)["3(a).register[dn1]"] == "pending"  # the facts are kept


def test_unknown_event_type(client: TestClient) -> None:
    client.get("/")
    text = DEMAND.read_bytes() + b'\n[[events.DemandNoticeX]]\nid = "x1"\ndate = 2001-05-03\n'
    html = client.post("/load", files={"file": ("typo.toml", text)}).text
    assert "error[E505]: unknown event type &#39;DemandNoticeX&#39;" in html
    assert "not loaded into the forms" in html and "events of type DemandNoticeX" in html
    # an event type the agreements do not declare cannot be added by a crafted form either
    html = submit(client, client.get("/").text, "add_event", new_event_type="Bogus")
    assert "unknown event type &#39;Bogus&#39;" in html


def test_a_10_mb_upload_is_refused_with_a_clear_message(client: TestClient) -> None:
    client.get("/")
    big = b"# " + b"x" * (10 * 1024 * 1024) + b"\n"
    r = client.post("/load", files={"file": ("big.toml", big)})
    assert r.status_code == 413
    assert "a fact file may have at most 10,000,000 bytes" in r.text
    assert answers(client.get("/").text)  # the session is untouched


def test_scenario_given_loads_and_the_skeleton_round_trips(client: TestClient) -> None:
    client.get("/")
    scen = ROOT / "contracts" / "scenarios" / "s3a" / "exactly-half-is-not-a-majority.scenario.toml"
    html = client.post("/load", files={"file": (scen.name, scen.read_bytes())},
                       data={"kind": "scenario"}).text
    assert answers(html).get("3(a).register[dn1]") is None  # not triggered: hidden
    assert 'value="2001-06-01"' in html  # the scenario's as_of
    skeleton = client.get("/download/scenario.toml").text
    data = tomllib.loads(skeleton)
    assert data["given"]["parties"] == {"WCAS": "Investor", "WCAS_Management": "Investor"}
    assert any(e.get("status") for e in data["expect"])


def test_user_strings_are_escaped(client: TestClient) -> None:
    html = client.get("/").text
    fields = dict(form_of(html))
    p = next(k for k, v in fields.items() if k.endswith(".name") and v == "WCAS")
    e = next(k.split(".")[0] for k, v in fields.items() if k.endswith(".id") and v == "dn1")
    html = submit(client, html, **{p: "<script>alert(1)</script>",
                                   f"{e}.id": '<script>alert("dn")</script>'})
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "error[E504]" in html  # not a party name
    # an event id may be any text: valid, and shown escaped in the answers and the timeline
    html = submit(client, html, **{p: "WCAS"})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;dn&#34;)&lt;/script&gt;" in html
    svg = client.get("/timeline.svg").text
    assert "<script>" not in svg


def test_concurrent_requests(savvis: rrdsl.Contract) -> None:
    app = make_app([savvis], DEMAND)

    def one(n: int) -> dict[str, str]:
        c = TestClient(app)
        html = c.get("/").text
        if n % 2:
            html = submit(c, html, as_of="2001-05-15")
        return answers(html)

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, range(12)))
    assert all(r == results[0] for r in results[0::2])
    assert all(r == results[1] for r in results[1::2])
    assert results[0]["3(a).request_inclusion[John_Clark, dfn1]"] == "expired"
    assert results[1]["3(a).request_inclusion[John_Clark, dfn1]"] == "in_force"


def test_several_agreements_with_amendment_and_assumed_terms() -> None:
    contracts = [rrdsl.load(ROOT / "contracts" / n) for n in
                 ("savvis_2001.rrd", "original_2000.rrd")]
    c = TestClient(make_app(contracts, ROOT / "contracts" / "facts" / "family-2001.toml"))
    html = c.get("/").text
    assert 'data-agreement="savvis_2001"' in html and 'data-agreement="original_2000"' in html
    assert "rests on assumed terms of original_2000" in html
    assert "Governed by other agreements" in html and "§3(i).february_2000_expenses" in html
    assert "Terms: " in html and "assumed" in html
    amended = [rrdsl.load(ROOT / "contracts" / "savvis_2001_amendment_1.rrd")]
    html = TestClient(make_app(amended, DEMAND)).get("/").text
    assert "Amendment savvis_2001_amendment_1" in html and "evaluated <strong>without" in html


def test_the_download_evaluates_to_the_same_answers_with_the_cli(
        client: TestClient, tmp_path: Path) -> None:
    html = client.get("/").text
    out = tmp_path / "facts.toml"
    out.write_text(client.get("/download/facts.toml").text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "rrdsl", "eval", str(SAVVIS), str(out),
                           "--format", "json", "--no-values"], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    import json

    cli = {n["id"]: n["status"] for n in json.loads(done.stdout)["norms"]
           if n["status"] != "not_triggered"}
    assert cli == answers(html)


def test_serve_without_the_extra_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    from rrdsl.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvicorn" else real(name, *a))
    assert main(["serve", str(SAVVIS)]) == 2
    err = capsys.readouterr().err
    assert "usage error[E709]: rrdsl serve needs uvicorn" in err
    assert "pip install 'rrdsl[serve]'" in err

def test_rrdsl_serve_runs_on_localhost(tmp_path: Path) -> None:
    """The command itself: it says where it listens (127.0.0.1 by default) and serves."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "rrdsl", "serve", str(SAVVIS), "--facts",
                             str(DEMAND), "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
                    page = r.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert answers(page)["3(a).register[dn1]"] == "pending"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from rrdsl.cli import main

    assert main(["serve", str(SAVVIS), "--facts", "no-such.toml"]) == 2
    assert "usage error[E704]: no such file: no-such.toml" in capsys.readouterr().err
    assert main(["serve", str(SAVVIS), "--port", "70000"]) == 2
    assert "is not a port" in capsys.readouterr().err

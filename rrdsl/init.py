"""`rrdsl init NAME`: a new agreement's folder, which checks, tests and covers clean.

    NAME/
      NAME.rrd                          the clause file: header, parties, one section
      text/NAME.txt                     the agreement's text (replace it with the filed text)
      facts/example.toml                a fact set to evaluate
      scenarios/example.scenario.toml   a scenario citing the sentence it checks
      README.md                         what to do next

The files are a starting point written in the language's canonical layout: one party, one
role, one clause with its deadline, a reading, and one scenario on each side of the deadline.
Nothing is written over: a folder that exists is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

from .diagnostics import Diagnostic, UsageError
from .lexer import KEYWORDS

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_CLAUSES = '''\
# The {title}: a starting point made by `rrdsl init {name}`.  Replace the text in
# text/{name}.txt with the agreement's filed text, and encode it section by section: every
# clause names its section and the sentence it rests on (docs/tutorial.md).

agreement {name} "{title}"
  dated 2026-01-01
  calendar "XFED"
  source "text/{name}.txt"

party Company "the Company"

role Holder "the Holders: the holders of Registrable Securities"


section 1 "Requests"

  event Request "a Holder's written request" (holder: Holder "the Holder making the request")

  event Answer "the Company's written answer to a request" (request: Request "the request answered")

  clause answer: Company shall
    "answer in writing each written request of a Holder within 10 days after receiving it"
    upon Request r
    to r.holder
    within 10 days after r.date
    fulfilled by Answer a where a.request == r

  reading answer_day_one:
    "\\"Within 10 days after\\" counts from the day after the request: a request of 1 March is "
    "answered in time on 11 March, not on 12 March."
'''

_TEXT = '''\
                              {upper}


          {upper}, dated as of January 1, 2026, between the Company and the Holders.

          SECTION 1. REQUESTS. The Company shall answer in writing each written request of a
     Holder within 10 days after receiving it.
'''

_FACTS = '''\
# A fact set for {name}.rrd:  rrdsl eval {name}.rrd facts/example.toml
as_of = 2026-03-15

[parties]
Holder_A = "Holder"

[[events.Request]]
id = "r1"
date = 2026-03-01
holder = "Holder_A"
'''

_SCENARIO = '''\
title = "A request not answered within 10 days is a breach; one answered on the 10th day is not"
contract = "../{name}.rrd"
section = "1"
cites = """The Company shall answer in writing each written request of a Holder within 10 days
after receiving it."""
note = """Holder_A's request r1 of 2026-03-01 has its 10 days run from 2026-03-02 to 2026-03-11
(reading answer_day_one); no answer by then: breached.  Request r2 of 2026-03-02 is answered on
2026-03-12, its 10th day: fulfilled."""
as_of = 2026-03-15

[given.parties]
Holder_A = "Holder"

[[given.events.Request]]
id = "r1"
date = 2026-03-01
holder = "Holder_A"

[[given.events.Request]]
id = "r2"
date = 2026-03-02
holder = "Holder_A"

[[given.events.Answer]]
id = "a2"
date = 2026-03-12
request = "r2"

[[expect]]
clause = "1.answer"
trigger = "r1"
status = "breached"
deadline = 2026-03-11

[[expect]]
clause = "1.answer"
trigger = "r2"
status = "fulfilled"
performed_on = 2026-03-12
'''

_README = '''\
# {title}

Made by `rrdsl init {name}`. From this folder:

```sh
rrdsl check --strict {name}.rrd scenarios    # the clause file and the scenarios
rrdsl test scenarios                         # every scenario passes
rrdsl coverage {name}.rrd --scenarios scenarios
rrdsl eval {name}.rrd facts/example.toml     # what each party must, may and must not do
```

Next: put the agreement's filed text in `text/{name}.txt`, then encode it section by section
(docs/tutorial.md), with a scenario for each sentence you encode.
'''


def scaffold(name: str, where: Path) -> list[Path]:
    """Write the new agreement's folder `where/name`; returns the files written."""
    if not _NAME.fullmatch(name) or name in KEYWORDS:
        why = "is a keyword of the language" if name in KEYWORDS else "is not a name"
        raise UsageError(Diagnostic(
            "E701", f"'{name}' {why}: an agreement's name is letters, digits and _, not "
                    "starting with a digit",
            hints=("for example: rrdsl init acme_ira_2026",)))
    root = where / name
    if root.exists() or root.is_symlink():
        raise UsageError(Diagnostic(
            "E701", f"{root} already exists: rrdsl init writes a new folder and never writes "
                    "over one",
            hints=("choose another name, or --dir another folder",)))
    title = " ".join(w.capitalize() for w in name.split("_") if w) + " Agreement"
    files = {
        f"{name}.rrd": _CLAUSES.format(name=name, title=title),
        f"text/{name}.txt": _TEXT.format(upper=title.upper()),
        "facts/example.toml": _FACTS.format(name=name),
        "scenarios/example.scenario.toml": _SCENARIO.format(name=name),
        "README.md": _README.format(name=name, title=title),
    }
    written = []
    try:
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise UsageError(Diagnostic(
            "E701", f"cannot write {root}: {exc.strerror}",
            hints=("choose a folder you can write to with --dir",))) from None
    return written

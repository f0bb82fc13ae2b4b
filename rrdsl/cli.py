"""Command-line interface, built on the public API (`rrdsl.api`).

Exit status: 0 success, 1 user errors (syntax, names, types, facts, failed scenarios),
2 usage errors. Errors print `file:line:col`, the source line with a caret, and a fix.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__, _accel

EXIT_OK, EXIT_USER, EXIT_USAGE = 0, 1, 2
STATUSES = ("not_triggered", "pending", "in_force", "fulfilled", "breached", "expired",
            "suspended", "excused", "undetermined")  # evaluator.STATUSES, without importing it


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"rrdsl: usage error[E701]: {message}\n")
        sys.stderr.write(f"  help: run `{self.prog} --help` for the options\n")
        raise SystemExit(EXIT_USAGE)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2001-06-15") from None


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 512:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes from 1 to 512")
    return n


def _section(text: str) -> str:
    from .browse import normalize_section

    if normalize_section(text) is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a section number; write 3(c)(viii), §3(c)(viii) or a clause "
            "as 3(a).register")
    return text


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of the command line; given the command the line names, only that
    command's parser is made (`rrdsl check` needs no other: ~3 ms of argparse less)."""
    p = _Parser(prog="rrdsl", description="Evaluate registration rights agreements written "
                "as clause files (.rrd) against fact sets.")
    p.add_argument("--version", action="version",
                   version=f"rrdsl {__version__} ({_accel.describe()})")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, add in _SUBPARSERS:
        if command in (None, name):
            add(sub)
    return p


def _check_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    c = sub.add_parser("check", help="parse and check clause files; report every diagnostic")
    c.add_argument("files", nargs="+", metavar="FILE", type=Path,
                   help="clause files; scenario files or folders of them (*.scenario.toml)")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")


def _eval_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    e = sub.add_parser("eval", help="evaluate one or several agreements against a fact file",
                       usage="rrdsl eval [-h] CONTRACT [CONTRACT ...] FACTS [options]")
    e.add_argument("files", nargs="+", type=Path, metavar="CONTRACT... FACTS",
                   help="clause files (an agreement, a variant, an amendment), then the fact "
                   "file; several agreements are evaluated with one fact set and reported one "
                   "by one, and a matter one sends to another is answered from it")
    e.add_argument("--as-of", type=_date, metavar="DATE",
                   help="evaluate as of this date (default: the fact file's as_of)")
    e.add_argument("--format", choices=("text", "json", "svg", "jsonl"), default=None,
                   help="text (default), json (rrdsl.result/3), svg: the timeline of deadlines "
                   "and periods by party, or jsonl (with --batch: one line a fact set)")
    e.add_argument("--no-values", action="store_true", help="leave out derived values")
    e.add_argument("--explain", action="store_true", help="include derivation trees (JSON)")
    e.add_argument("--party", metavar="PARTY", help="only the answers this party bears")
    e.add_argument("--status", choices=STATUSES, metavar="STATUS",
                   help="only the answers of this status (" + ", ".join(STATUSES) + ")")
    e.add_argument("--section", type=_section, metavar="SECTION",
                   help="only the answers under this section (3(c) includes 3(c)(viii)) or "
                   "of this clause (3(a).register)")
    e.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="statuses in colour, long lines wrapped at the terminal's width: auto "
                   "(when standard output is a terminal), always, never")
    e.add_argument("--batch", nargs="+", type=Path, metavar="DIR_OR_FILE",
                   help="evaluate every fact set of these fact files, JSON Lines files (one "
                   "fact set a line) and folders of them; every file before --batch is a "
                   "clause file; prints one JSON line per fact set, in order")
    e.add_argument("--jobs", type=_jobs, metavar="N",
                   help="with --batch: processes to evaluate on (default: every core)")


def _explain_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    x = sub.add_parser("explain", help="print the derivation of one answer")
    x.add_argument("contract", type=Path, metavar="CONTRACT")
    x.add_argument("facts", type=Path, metavar="FACTS")
    x.add_argument("name", metavar="NAME",
                   help="a clause (3(a).register), an instance (3(a).register[dn1]) or a "
                   "derived value (restricted_stock(WCAS))")
    x.add_argument("--as-of", type=_date, metavar="DATE")
    x.add_argument("--format", choices=("text", "json"), default="text")


def _coverage_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    v = sub.add_parser("coverage", help="which paragraphs of the agreement a contract encodes "
                       "and which clauses the scenarios exercise")
    v.add_argument("contract", type=Path, metavar="CONTRACT")
    v.add_argument("--scenarios", type=Path, metavar="DIR", default=Path("contracts/scenarios"),
                   help="scenario folder (default: contracts/scenarios)")
    v.add_argument("--format", choices=("text", "json"), default="text")


def _diff_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    d = sub.add_parser("diff", help="how two agreements differ: declarations, and answers over "
                       "the same fact sets")
    d.add_argument("a", type=Path, metavar="A", help="clause file of the first agreement")
    d.add_argument("b", type=Path, metavar="B",
                   help="clause file of the second (a variant, an amendment, another agreement)")
    d.add_argument("--scenarios", type=Path, metavar="DIR",
                   help="run both agreements over the [given] facts of the scenario files in "
                   "DIR and list every answer that differs")
    d.add_argument("--format", choices=("text", "json"), default="text")


def _show_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    w = sub.add_parser("show", help="print a section's clauses, highlighted, with the "
                       "agreement's text and the cross-references")
    w.add_argument("contract", type=Path, metavar="CONTRACT")
    w.add_argument("section", type=_section, nargs="?", metavar="SECTION",
                   help="3(c)(viii), §3(c)(viii) or a clause 3(a).register (default: all)")
    w.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour: auto (when standard output is a terminal), always, never")


def _html_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    h = sub.add_parser("html", help="build a static HTML site of contracts (and the docs)")
    h.add_argument("contracts", nargs="*", type=Path, metavar="CONTRACT")
    h.add_argument("-o", "--output", type=Path, metavar="DIR", required=True,
                   help="the folder to write the site to (created if missing)")
    h.add_argument("--scenarios", type=Path, metavar="DIR", action="append",
                   help="scenario folder or file (repeatable; default: each contract's "
                   "scenarios/ folder)")
    h.add_argument("--docs", type=Path, metavar="DIR",
                   help="also render the Markdown docs in DIR (e.g. docs) with highlighting")
    h.add_argument("--diff-scenarios", type=Path, metavar="DIR",
                   help="the scenario folder a variant's diff page compares the answers over, "
                   "as rrdsl diff --scenarios DIR (default: scenarios/VARIANT_NAME/ beside the "
                   "base)")


def _fmt_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    f = sub.add_parser("fmt", help="rewrite clause files in the canonical layout")
    f.add_argument("files", nargs="+", metavar="FILE", type=Path,
                   help="clause files, or folders (every .rrd file under them)")
    f.add_argument("--check", action="store_true",
                   help="change nothing; list the files that would change (exit 1 if any)")
    f.add_argument("--diff", action="store_true", help="change nothing; print the changes")


def _serve_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    sv = sub.add_parser("serve", help="the lawyer's workbench: a local web application to state "
                        "facts in forms and read the answers, their derivations and a timeline")
    sv.add_argument("contracts", nargs="+", type=Path, metavar="CONTRACT",
                    help="clause files: one agreement, or several evaluated on one fact set")
    sv.add_argument("--facts", type=Path, metavar="FILE", help="a fact file to start from")
    sv.add_argument("--host", default="127.0.0.1",
                    help="the address to listen on (default: 127.0.0.1, this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="the port (default: 8000)")


def _lsp_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    sub.add_parser("lsp", help="run the language server on standard input and output")


def _init_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    n = sub.add_parser("init", help="start a new agreement: a folder that checks, tests and "
                       "covers clean")
    n.add_argument("name", metavar="NAME", help="the agreement's name (letters, digits, _)")
    n.add_argument("--dir", type=Path, default=Path("."), metavar="DIR",
                   help="the folder to make it in (default: the current folder)")


def _test_args(sub: argparse._SubParsersAction[_Parser]) -> None:
    t = sub.add_parser("test", help="run scenario files (*.scenario.toml)")
    t.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="scenario files or folders (default: contracts/scenarios)")
    t.add_argument("-v", "--verbose", action="store_true", help="list every scenario")


#: The commands' parsers, in the order `rrdsl --help` lists them.
_SUBPARSERS = (
    ("check", _check_args), ("eval", _eval_args), ("explain", _explain_args),
    ("coverage", _coverage_args), ("diff", _diff_args), ("show", _show_args),
    ("html", _html_args), ("fmt", _fmt_args), ("serve", _serve_args), ("lsp", _lsp_args),
    ("init", _init_args), ("test", _test_args),
)


def run() -> NoReturn:
    """The program `rrdsl` (and `python -m rrdsl`): `main`, then exit with its status.

    `rrdsl check` first asks the cache of its reports (rrdsl/checkcache.py), before anything
    it would not need is imported: clause files checked before, nothing they read changed
    since, are answered from there. (This module imports no more than argparse for it.)

    What the command made is left to the exit: `gc.freeze()` spares the garbage collector's
    passes over it while the interpreter shuts down (~20 ms of a warm `rrdsl check`; the
    memory goes back all the same). Not in `main`, which is also called within a process."""
    status: int | None = None
    try:
        if sys.argv[1:2] == ["check"]:
            from .checkcache import replay

            status = replay(sys.argv[2:])
        if status is None:
            status = main()
    except KeyboardInterrupt:  # pragma: no cover - as main: no traceback
        status = 130
    except BrokenPipeError:  # pragma: no cover - e.g. `rrdsl check ... | head -1`, as main
        status = EXIT_OK
    finally:
        gc.freeze()
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> int:
    from .diagnostics import RrdslError, UsageError, render_all

    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words and words[0] in COMMANDS else None)
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(COMMANDS[args.command](args))
    except UsageError as err:
        for d in err.diagnostics:  # like argparse's own: `rrdsl: usage error[E7xx]: ...`
            text = render_all([d]).replace("error[", "usage error[", 1)
            sys.stderr.write(("rrdsl: " if d.span is None else "") + text + "\n")
        return EXIT_USAGE
    except RrdslError as err:
        sys.stderr.write(render_all(err.diagnostics) + "\n")
        return EXIT_USER
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. `rrdsl eval ... | head`
        return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """`rrdsl check`, the collector paused for the whole command (rrdsl/_gc.py): also while
    the checker and the lints are imported, and until the last file is reported, after which
    the process ends (a pause for each file collects, after the last, the ~15,000 objects
    still young: ~2 ms of 0.14 s). A file's garbage (its checker and IR, a cycle) waits."""
    from ._gc import collector_paused

    with collector_paused():
        return _check_files(args)


def _check_files(args: argparse.Namespace) -> int:
    from .diagnostics import Diagnostic, UsageError
    from .lints import scenario_files

    status = EXIT_OK
    for p in args.files:
        if p.is_dir() and not scenario_files([p]):
            raise UsageError(Diagnostic("E704", f"no scenario files (*.scenario.toml) under {p}",
                                        hints=("name clause files one by one",)))
    for f in scenario_files(args.files):
        status = max(status, _check_one(f, args.strict))
    return status


def _check_one(f: Path, strict: bool) -> int:
    """Check one file and report what it found: the exit status. The report is kept, with
    what the check read, in the cache of reports (rrdsl/checkcache.py)."""
    import attrs

    from . import checkcache
    from .diagnostics import Severity, render_all
    from .files import FileLog
    from .lints import check_path

    with FileLog() as log:
        diags = check_path(f)
    if strict:
        diags = [attrs.evolve(d, severity=Severity.ERROR) for d in diags]
    errors = [d for d in diags if d.severity is Severity.ERROR]
    report: checkcache.Report = []
    if diags:
        report.append((checkcache.STDERR, render_all(diags) + "\n"))
    n, w = len(errors), len(diags) - len(errors)
    if errors:
        report.append((checkcache.STDERR, f"{f}: {n} error{'s' if n != 1 else ''}\n"))
    else:
        report.append((checkcache.STDOUT, f"{f}: ok" + (
            f", {w} warning{'s' if w != 1 else ''}" if w else "") + "\n"))
    status = EXIT_USER if errors else EXIT_OK
    checkcache.write(report)
    checkcache.store(str(f), strict, log, report, status)
    return status


def _evaluate(args: argparse.Namespace, explain: bool,  # type: ignore[no-untyped-def]
              values: bool = True, section: str | None = None):
    """`section` (`--section`): only the clauses with answers under it are evaluated (the
    report keeps only those answers anyway)."""
    from .api import load

    contract = load(args.contract)
    facts = contract.read_facts(args.facts)
    clauses = None if section is None else _clauses_under(contract, section)
    return contract.evaluate(facts, args.as_of, explain=explain, values=values, clauses=clauses)


def _clauses_under(contract: Any, section: str) -> list[str]:
    """The ids of the clauses whose answers are under `section` (a section or a clause id:
    report.under_section), of the agreement and of the one it amends."""
    from .report import under_section

    return [n.id for n in contract._clause_norms() if under_section(section, n.section, n.id)]


def cmd_eval(args: argparse.Namespace) -> int:
    from .diagnostics import Diagnostic, UsageError
    from .report import (
        dumps,
        explanation_text,
        family_json,
        family_text,
        outcome_json,
        outcome_text,
    )

    if args.batch is not None:
        return _eval_batch(args)
    if args.jobs is not None:
        raise UsageError(Diagnostic("E701", "--jobs is for a batch (--batch DIR_OR_FILES)",
                                    hints=("rrdsl eval CONTRACT.rrd --batch FACTS_DIR --jobs 2",)))
    if args.format == "jsonl":
        raise UsageError(Diagnostic("E701", "--format jsonl is for a batch: one line a fact set",
                                    hints=("rrdsl eval CONTRACT.rrd --batch FACTS_DIR "
                                           "--format jsonl, or --format json for one fact set",)))
    args.format = args.format or "text"
    if len(args.files) < 2:
        raise UsageError(Diagnostic(
            "E701", "eval needs a clause file and a fact file",
            hints=("rrdsl eval CONTRACT.rrd [CONTRACT.rrd ...] FACTS.toml",)))
    *contracts, args.facts = args.files
    if args.facts.suffix == ".rrd":
        raise UsageError(Diagnostic(
            "E701", f"the last file, {args.facts}, is a clause file: give the fact file last",
            hints=("rrdsl eval CONTRACT.rrd [CONTRACT.rrd ...] FACTS.toml",)))
    values = not args.no_values
    if len(contracts) == 1:
        args.contract = contracts[0]
        outcomes = [_evaluate(args, explain=args.explain, values=values,
                              section=args.section)]
    else:
        from .api import evaluate_family

        outcomes = evaluate_family(_load_distinct(contracts), args.facts, args.as_of,
                                   explain=args.explain, values=values)
    if args.party is not None or args.status is not None or args.section is not None:
        from .report import select_norms

        outcomes = [select_norms(o, args.party, args.status, args.section) for o in outcomes]
    if args.format == "json":  # one agreement: rrdsl.result/3; several: rrdsl.results/3
        data = outcome_json(outcomes[0]) if len(outcomes) == 1 else family_json(outcomes)
        sys.stdout.write(dumps(data))
        return EXIT_OK
    if args.format == "svg":
        from .timeline import timeline_svg

        sys.stdout.write(timeline_svg(outcomes))
        return EXIT_OK
    text = (outcome_text(outcomes[0], show_values=values) if len(outcomes) == 1
            else family_text(outcomes, show_values=values))
    tty = sys.stdout.isatty()
    if tty:
        import shutil

        from .report import wrap_lines

        text = wrap_lines(text, max(40, shutil.get_terminal_size().columns))
    if args.color == "always" or (args.color == "auto" and tty):
        from .report import colorize

        text = colorize(text)
    sys.stdout.write(text)
    if args.explain:
        sys.stdout.write("\nDerivations\n\n")
        sys.stdout.write("\n".join(explanation_text(r.explanation) for o in outcomes
                                   for r in o.norms if r.explanation is not None))
    return EXIT_OK


def _eval_batch(args: argparse.Namespace) -> int:
    """`rrdsl eval CONTRACT... --batch DIR_OR_FILES... [--jobs N] --format jsonl`."""
    from . import batch
    from .diagnostics import Diagnostic, UsageError

    if args.format not in (None, "jsonl"):
        raise UsageError(Diagnostic(
            "E701", f"a batch prints JSON Lines, not --format {args.format}",
            hints=("leave out --format, or write --format jsonl",)))
    if args.explain:
        raise UsageError(Diagnostic("E701", "--explain is for one fact set, not a batch",
                                    hints=("rrdsl explain CONTRACT FACTS NAME",)))
    if args.party is not None or args.status is not None or args.section is not None:
        raise UsageError(Diagnostic(
            "E701", "--party, --status and --section are for one fact set, not a batch",
            hints=("filter the JSON lines instead, e.g. with jq",)))
    bad = [p for p in args.files if p.suffix != ".rrd"]
    if bad:
        raise UsageError(Diagnostic(
            "E701", f"{bad[0]} is not a clause file: with --batch, every file before it is a "
                    "clause file and the fact sets come after it",
            hints=("rrdsl eval CONTRACT.rrd [CONTRACT.rrd ...] --batch FACTS_DIR",)))
    contracts = [c.path for c in _load_distinct(list(args.files))]  # refused here, once
    files = batch.inputs(args.batch)
    jobs = args.jobs or batch.default_jobs()
    done, failed = batch.run(contracts, files, sys.stdout, args.as_of, jobs,
                             values=not args.no_values, progress=sys.stderr.isatty())
    sys.stdout.flush()
    if failed or sys.stderr.isatty():
        sys.stderr.write(f"{done} fact set{'s' if done != 1 else ''} evaluated on {jobs} "
                         f"process{'es' if jobs != 1 else ''}"
                         + (f"; {failed} could not be (see their lines)" if failed else "")
                         + "\n")
    return EXIT_USER if failed else EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .init import scaffold

    files = scaffold(args.name, args.dir)
    root = args.dir / args.name
    sys.stdout.write(f"made {root} ({len(files)} files):\n"
                     + "".join(f"  {f.relative_to(root)}\n" for f in files)
                     + f"next: cd {root} && rrdsl check --strict {args.name}.rrd scenarios "
                       "&& rrdsl test scenarios\n")
    return EXIT_OK


def _load_distinct(paths: list[Path]) -> list[Any]:
    """Load several agreements; the same agreement twice is a usage error."""
    from .diagnostics import Diagnostic, UsageError
    from .api import load

    names: dict[str, Path] = {}
    contracts = []
    for p in paths:
        c = load(p)
        if c.name in names:
            raise UsageError(Diagnostic(
                "E708", f"{p} and {names[c.name]} are both the agreement '{c.name}'",
                hints=("give each agreement once",)))
        names[c.name] = p
        contracts.append(c)
    return contracts


def cmd_diff(args: argparse.Namespace) -> int:
    from .diagnostics import Diagnostic, UsageError
    from .diff import diff, diff_json, diff_text
    from .report import dumps

    if args.scenarios is not None and not args.scenarios.is_dir():
        raise UsageError(Diagnostic(
            "E704", f"no scenario folder {args.scenarios}",
            hints=("pass a folder of *.scenario.toml files, e.g. contracts/scenarios",)))
    d = diff(args.a, args.b, args.scenarios)
    sys.stdout.write(dumps(diff_json(d)) if args.format == "json" else diff_text(d))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .diagnostics import Diagnostic, UsageError, did_you_mean
    from .report import EXPLAIN_SCHEMA, Steps, dumps, explanation_text, node_json

    outcome = _evaluate(args, explain=True)
    name = args.name.lstrip("§")
    nodes = [r.explanation for r in outcome.norms
             if name in (r.instance, r.norm.id, r.norm.name)]
    nodes += [v.explanation for v in outcome.values if name in (v.label, v.definition.name)]
    found = [n for n in nodes if n is not None]
    if not found:
        names = {r.instance for r in outcome.norms} | {r.norm.id for r in outcome.norms} | {
            v.label for v in outcome.values}
        guess = did_you_mean(name, names)
        raise UsageError(Diagnostic(
            "E703", f"no clause or derived value named {name!r}",
            hints=((f"did you mean {guess!r}?",) if guess else ()) + (
                "name a clause as 3(a).register, an instance as 3(a).register[dn1], or a "
                "value as restricted_stock(WCAS)",)))
    if args.format == "json":
        steps = Steps()  # numbered through the document
        doc = {"schema": EXPLAIN_SCHEMA, "as_of": outcome.as_of.isoformat(),
               "answers": [node_json(n, steps) for n in found]}
        steps.finish()
        sys.stdout.write(dumps(doc))
    else:
        sys.stdout.write("\n".join(explanation_text(n) for n in found))
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    from .diagnostics import Diagnostic, UsageError
    from .scenarios import find, run, summary_line

    paths = args.paths or [Path("contracts/scenarios")]
    for p in paths:
        if not p.exists():
            raise UsageError(Diagnostic("E704", f"no such file or folder: {p}"))
    files = find(paths)
    results = []
    for f in files:
        r = run(f)
        results.append(r)
        if not r.passed:
            sys.stdout.write(f"FAIL {r.path}: {r.title}\n")
            for msg in r.failures:
                sys.stdout.write(f"  {msg}\n")
            if r.error:
                sys.stdout.write("  " + r.error.replace("\n", "\n  ") + "\n")
        elif args.verbose:
            sys.stdout.write(f"ok   {r.path}: {r.title}\n")
    sys.stdout.write(summary_line(results) + "\n")
    return EXIT_OK if all(r.passed for r in results) else EXIT_USER


def cmd_coverage(args: argparse.Namespace) -> int:
    from .api import load
    from .coverage import coverage, coverage_json, coverage_text
    from .report import dumps
    from .scenarios import find

    contract = load(args.contract)
    files = find([args.scenarios]) if args.scenarios.exists() else []
    cov = coverage(contract.ir, args.contract, files)
    sys.stdout.write(dumps(coverage_json(cov)) if args.format == "json" else coverage_text(cov))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from .browse import load_browse
    from .show import show

    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    sys.stdout.write(show(load_browse(args.contract), args.section, color=color))
    return EXIT_OK


def cmd_html(args: argparse.Namespace) -> int:
    from .site import build_site

    written = build_site(args.contracts, args.output, scenarios=args.scenarios, docs=args.docs,
                         diff_scenarios=args.diff_scenarios)
    sys.stdout.write(f"wrote {len(written)} pages to {args.output}; open "
                     f"{args.output / 'index.html'}\n")
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    from .diagnostics import Diagnostic, UsageError
    from .fmt import run

    for p in args.files:
        if not p.exists():
            raise UsageError(Diagnostic("E704", f"no such file or folder: {p}"))
    return run(args.files, check=args.check, diff=args.diff)


def cmd_lsp(args: argparse.Namespace) -> int:
    from .diagnostics import Diagnostic, UsageError
    from .lsp import available, main

    if not available():
        raise UsageError(Diagnostic(
            "E709", "the language server needs pygls, which is not installed",
            hints=("install it with: pip install 'rrdsl[lsp]'",)))
    return main()


def cmd_serve(args: argparse.Namespace) -> int:
    import importlib.util

    from .diagnostics import Diagnostic, UsageError

    missing = [m for m in ("starlette", "uvicorn", "jinja2", "multipart")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(Diagnostic(
            "E709", "rrdsl serve needs " + ", ".join(missing) + ", which "
            + ("is" if len(missing) == 1 else "are") + " not installed",
            hints=("install them with: pip install 'rrdsl[serve]'",)))
    for p in [*args.contracts, *([args.facts] if args.facts else [])]:
        if not p.is_file():
            raise UsageError(Diagnostic("E704", f"no such file: {p}"))
    if not 0 < args.port < 65536:
        raise UsageError(Diagnostic("E701", f"--port {args.port} is not a port (1-65535)"))
    from .serve import serve

    if len(args.contracts) > 1:
        _load_distinct(args.contracts)  # the same agreement twice is a usage error
    return serve(args.contracts, args.facts, args.host, args.port)


COMMANDS = {"check": cmd_check, "eval": cmd_eval, "explain": cmd_explain, "test": cmd_test,
            "coverage": cmd_coverage, "diff": cmd_diff, "show": cmd_show, "html": cmd_html,
            "fmt": cmd_fmt, "lsp": cmd_lsp, "serve": cmd_serve, "init": cmd_init}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

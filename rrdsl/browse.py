"""Browsing model: a checked contract laid out by section for reading.

For every section — of the clause files, of the agreement's filed text, or of both — it holds
the clause-file lines that encode it, the agreement's own words, the declarations it makes, and
the cross-references those make and receive. References are worked out from the checked IR and
the AST (priorities, exception targets, definitions, facts and events used, imports), never by
searching the text, so each one is exact and carries the place it is written.

`rrdsl show` (show.py) prints this model; `rrdsl html` (site.py) renders it as a static site.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

from . import ast, ir
from .agreement_text import Paragraph, parse_agreement_text
from .checker import check as check_modules
from .checker import section_ancestors
from .diagnostics import Diagnostic, RrdslError, Span, UsageError, did_you_mean
from .loader import display_path, load_composition

PRIORITY_WORDS = {
    "subject_to": "subject to",
    "notwithstanding": "notwithstanding",
    "notwithstanding_all": "notwithstanding anything to the contrary",
    "except_as_provided": "except as provided in",
}
#: how a reference reads, from the side that makes it and from the side that receives it
VERBS = {
    "subject to": ("subject to", "is subject to"),
    "notwithstanding": ("notwithstanding", "prevails notwithstanding"),
    "notwithstanding anything to the contrary": ("notwithstanding", "notwithstanding"),
    "except as provided in": ("except as provided in", "applies except as provided in"),
    "suspends": ("suspends", "suspends"),
    "excuses": ("excuses", "excuses"),
    "uses definition": ("uses", "uses"),
    "uses fact": ("uses", "uses"),
    "uses event": ("uses", "uses"),
    "imports": ("imports", "imports"),
    "governed by": ("is governed by", "governs"),
}


@attrs.frozen
class Item:
    """One declaration: a clause, exception, provision, definition, fact, event, reading..."""

    kind: str  # clause | exception | provision | definition | fact | event | reading | enum
    #            | party | role
    id: str  # clauses, exceptions and provisions: "3(a).register"; the others: their name
    name: str
    section: str | None
    span: Span
    title: str | None = None  # the defined term, the description, or the modal and action


@attrs.frozen
class Ref:
    """A reference written at `span` in `source` (an item id, or a section's number for
    priorities, or a file for imports) to `target` of kind `target_kind`."""

    kind: str  # see RECEIVED_WORDS, plus "notwithstanding anything to the contrary"
    source: str
    source_kind: str  # section | clause | exception | definition | file | ...
    source_section: str | None
    target: str
    target_kind: str  # section | clause | exception | definition | fact | event | file | all
    span: Span | None


@attrs.frozen
class Unit:
    """A section: of the contract (file, lines, priorities, items), of the agreement's text
    (paragraphs), or both."""

    number: str
    heading: str | None
    file: str | None = None
    first_line: int | None = None
    last_line: int | None = None
    items: tuple[Item, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    # a variant's or amendment's own text of a section it merges into its base's: (file,
    # first line, last line) of each; and the base's declarations it replaced or removed
    also: tuple[tuple[str, int, int], ...] = ()
    dropped: tuple[str, ...] = ()

    @property
    def encoded(self) -> bool:
        return self.file is not None


# ── section numbers ──────────────────────────────────────────────────────────

_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}
_ROMAN_RE = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_PART = re.compile(r"\(([a-z0-9]+)\)")
_SECTION_ARG = re.compile(
    r"^(\d+(?:\.\d+)*[A-Za-z]?(?:\([a-z0-9]+\))*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")


def _roman(text: str) -> int | None:
    if not text or not _ROMAN_RE.match(text):
        return None
    total = 0
    for a, b in zip(text, text[1:] + " ", strict=True):
        v = _ROMAN[a]
        total += -v if b != " " and _ROMAN[b] > v else v
    return total


def section_sort_keys(numbers: Iterable[str]) -> dict[str, tuple[object, ...]]:
    """A reading-order key for each section number: 3 < 3(a) < 3(c) < 3(c)(ii) < 3(c)(x) <
    3(d) < 10, and 2 < 2.1 < 2.1(b) < 2.2 < 2.10 < 10.3. A sub-paragraph is read as a roman numeral below the first level, and at the
    first level when a sibling is one that is not also a letter (7(i), 7(ii))."""
    nums = list(numbers)
    roman_parents: set[str] = set()
    for n in nums:
        parts = _PART.findall(n)
        if len(parts) == 1 and len(parts[0]) > 1 and _roman(parts[0]):
            roman_parents.add(n[: n.index("(")])
    keys: dict[str, tuple[object, ...]] = {}
    for n in nums:
        head = n.split("(", 1)[0]
        m = re.match(r"^(\d+)((?:\.\d+)*)(.*)$", head)
        key: list[object] = ([int(m.group(1)), tuple(int(x) for x in m.group(2).split(".")[1:]),
                              m.group(3)] if m else [10**9, (), head])
        for depth, part in enumerate(_PART.findall(n)):
            r = _roman(part)
            if r is not None and (depth > 0 or head in roman_parents):
                key.append((r, ""))
            elif part.isdigit():
                key.append((int(part), ""))
            else:
                key.append((0, part))
        keys[n] = tuple(key)
    return keys


def normalize_section(text: str) -> tuple[str, str | None] | None:
    """`§3(c)(viii)`, `3 (c) (viii)`, `Section 3(C)(VIII).` → ("3(c)(viii)", None);
    `3(a).register` → ("3(a)", "register"); `2.1(b).demand` → ("2.1(b)", "demand"); None if it
    is no section number."""
    s = text.strip()
    s = re.sub(r"^(§+|sections?\b|sec\.)\s*", "", s, flags=re.I)
    s = re.sub(r"\s+", "", s).rstrip(".").lstrip("§")
    s = re.sub(r"\(([A-Za-z0-9]+)\)", lambda m: "(" + m.group(1).lower() + ")", s)
    m = _SECTION_ARG.match(s)
    if not m:
        return None
    return m.group(1), m.group(2)


# ── walking the IR and the AST ───────────────────────────────────────────────


def _exprs(e: ir.E | None) -> Iterator[ir.E]:
    if e is None:
        return
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(a for a in x.args if isinstance(a, ir.E))


def _type_names(t: ast.TypeExpr | None) -> Iterator[tuple[str, Span | None]]:
    if t is None:
        return
    if isinstance(t, ast.NamedType):
        yield t.name, t.span
    elif isinstance(t, ast.UnionType):
        # the union's names share one span; each name is found on its line by _name_span
        for name in t.names:
            yield name, t.span
    elif isinstance(t, ast.SetType | ast.OptionalType):
        yield from _type_names(t.elem if isinstance(t, ast.SetType) else t.inner)
    elif isinstance(t, ast.MapType):
        yield from _type_names(t.key)
        yield from _type_names(t.value)


class Browse:
    """A contract ready to browse: units in reading order, items, references."""

    def __init__(self, path: Path, contract: ir.Contract, modules: list[ast.Module],
                 overlays: dict[str, tuple[Span, ...]] | None = None,
                 dropped: frozenset[str] = frozenset()):
        self.path = Path(path)
        self.contract = contract
        self.modules = modules
        self.overlays = overlays or {}
        self.dropped = dropped
        self.texts: dict[str, list[str]] = {}
        for m in modules:
            try:
                self.texts[m.file] = Path(m.file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):  # pragma: no cover - it was just parsed
                self.texts[m.file] = []
        self.items: dict[tuple[str, str], Item] = {}
        self.refs: list[Ref] = []
        self.source_path: Path | None = None
        self.source_display = ""
        self.paragraphs: list[Paragraph] = []
        self._exception_decls: dict[str, ast.ExceptionDecl] = {}
        if contract.source is not None:
            self.source_path = self.path.parent / contract.source
            try:
                text = self.source_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(Diagnostic(
                    "E705", f"cannot read the agreement's text {self.source_path}: {exc}")
                ) from None
            self.paragraphs = parse_agreement_text(text)
            self.source_display = display_path(self.source_path)
        self._collect()
        self.units = self._units()

    # ── building ────────────────────────────────────────────────────────────

    def _add(self, item: Item) -> None:
        self.items[(item.kind, item.id)] = item

    def _collect(self) -> None:
        c = self.contract
        for m in self.modules:
            for imp in m.imports:
                target = display_path((Path(m.file).resolve().parent / imp.path).resolve())
                self.refs.append(Ref("imports", m.file, "file", None, target, "file", imp.span))
            sections: list[tuple[str | None, tuple[ast.Decl, ...]]] = [(None, m.preamble)]
            sections += [(s.number, s.items) for s in m.sections]
            for s in m.sections:
                for p in s.priorities:
                    words = PRIORITY_WORDS[p.kind]
                    if p.kind == "notwithstanding_all":
                        self.refs.append(Ref(words, s.number, "section", s.number, "", "all",
                                             p.span))
                    for k, ref in enumerate(p.refs):
                        sp = p.ref_spans[k] if k < len(p.ref_spans) else p.span
                        self.refs.append(Ref(words, s.number, "section", s.number, ref,
                                             "section", sp))
            for sec, decls in sections:
                for d in decls:
                    self._collect_decl(d, sec)
        norms = {n.id: n for n in c.norms}
        for n in c.norms:
            self._uses(n.id, "clause", n.section, ir.norm_exprs(n))
        for x in c.exceptions:
            self._uses(x.id, "exception", x.section, ir.exception_exprs(x))
            decl = self._exception_decls.get(x.id)
            if decl is not None and any(t.every for t in decl.targets):
                continue  # `any clause`: the agreement's rule for all, no reference to one
            spans = [t.span for t in decl.targets] if decl else []
            for k, target in enumerate(x.targets):
                kind = "clause" if target in norms else "exception"
                self.refs.append(Ref(x.effect, x.id, "exception", x.section, target, kind,
                                     spans[k] if k < len(spans) else x.cite.span))
        for definition in c.definitions.values():
            self._uses(definition.name, "definition", definition.cite.section, [definition.body])
        for check in c.checks:
            self._uses(check.id, "check", check.section, [check.cond])

    def _collect_decl(self, d: ast.Decl, sec: str | None) -> None:
        assert d.span is not None
        qualified = (lambda name: f"{sec}.{name}") if sec is not None else (lambda name: name)
        if isinstance(d, ast.Clause):
            cid = qualified(d.name)
            self._add(Item("clause", cid, d.name, sec, d.span, f"{d.modal} \u201c{d.action}\u201d"))
            for part in d.parts:
                if isinstance(part, ast.Upon):
                    for ev, sp in zip(part.events, part.event_spans, strict=False):
                        self._event_ref(cid, "clause", sec, ev, sp)
                elif isinstance(part, ast.FulfilledBy | ast.BreachedBy):
                    self._event_ref(cid, "clause", sec, part.event, part.event_span)
        elif isinstance(d, ast.ExceptionDecl):
            xid = qualified(d.name)
            self._exception_decls[xid] = d
            self._add(Item("exception", xid, d.name, sec, d.span,
                           f"{d.effect} " + ", ".join(str(t) for t in d.targets)))
            for xpart in d.parts:
                if isinstance(xpart, ast.Upon):
                    for ev, sp in zip(xpart.events, xpart.event_spans, strict=False):
                        self._event_ref(xid, "exception", sec, ev, sp)
                elif isinstance(xpart, ast.ForBinding) and xpart.type and xpart.span:
                    self._event_ref(xid, "exception", sec, xpart.type, xpart.span)
        elif isinstance(d, ast.NonOperative):
            self._add(Item("provision", qualified(d.name), d.name, sec, d.span, d.text))
        elif isinstance(d, ast.Governed):  # a matter sent to another agreement
            self._add(Item("clause", qualified(d.name), d.name, sec, d.span, d.matter))
            self.refs.append(Ref("governed by", qualified(d.name), "clause", sec,
                                 f"{d.agreement}.{d.target}", "agreement",
                                 d.target_span or d.span))
        elif isinstance(d, ast.AmendedBy) and sec is not None:  # how it may be amended
            self.refs.append(Ref("uses event", sec, "section", sec, d.event, "event",
                                 d.event_span))
            self.refs.append(Ref("uses definition", sec, "section", sec, d.definition,
                                 "definition", d.definition_span))
        elif isinstance(d, ast.Define | ast.StateDecl):
            self._add(Item("definition", d.name, d.name, sec, d.span, d.title))
            for p in d.params:
                for name, tsp in _type_names(p.type):
                    self._event_ref(d.name, "definition", sec, name, tsp)
        elif isinstance(d, ast.FactDecl):
            self._add(Item("fact", d.name, d.name, sec, d.span, d.title))
        elif isinstance(d, ast.EventDecl):
            self._add(Item("event", d.name, d.name, sec, d.span, d.title))
            for f in d.fields:
                for name, tsp in _type_names(f.type):
                    self._event_ref(d.name, "event", sec, name, tsp)
        elif isinstance(d, ast.CheckDecl):  # a fact check
            cid = qualified(d.name)
            self._add(Item("check", cid, d.name, sec, d.span, d.title))
            for ev, sp in zip(d.events, d.event_spans, strict=False):
                self._event_ref(cid, "check", sec, ev, sp)
        elif isinstance(d, ast.Reading):
            self._add(Item("reading", d.name, d.name, sec, d.span, d.text))
        elif isinstance(d, ast.EnumDecl):
            self._add(Item("enum", d.name, d.name, sec, d.span, d.title))
        elif isinstance(d, ast.PartyDecl):
            self._add(Item("party", d.name, d.name, sec, d.span, d.title))
        elif isinstance(d, ast.RoleDecl):
            self._add(Item("role", d.name, d.name, sec, d.span, d.title))

    def _event_ref(self, source: str, source_kind: str, sec: str | None, name: str,
                   span: Span | None) -> None:
        if name in self.contract.events and name != source:
            self.refs.append(Ref("uses event", source, source_kind, sec, name, "event",
                                 self._name_span(span, name)))

    def _name_span(self, span: Span | None, name: str) -> Span | None:
        """The place of `name` itself on the first line of `span` (a union type, an `upon`)."""
        if span is None:
            return None
        line = self.line(span.file, span.line)
        start = span.col - 1
        stop = len(line) if span.end_line != span.line else max(span.end_col - 1, start)
        for m in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", line):
            if start <= m.start() < max(stop, start + 1):
                return Span(span.file, span.line, m.start() + 1, span.line, m.end() + 1)
        return None

    def _uses(self, source: str, source_kind: str, sec: str | None,
              exprs: Iterable[ir.E | None]) -> None:
        for root in exprs:
            for e in _exprs(root):
                if e.op == "call" and isinstance(e.data, str) and \
                        e.data in self.contract.definitions:
                    self.refs.append(Ref("uses definition", source, source_kind, sec, e.data,
                                         "definition", self._name_span(e.span, e.data)))
                elif e.op == "fact" and isinstance(e.data, str):
                    self.refs.append(Ref("uses fact", source, source_kind, sec, e.data, "fact",
                                         self._name_span(e.span, e.data)))
                elif e.op == "events" and isinstance(e.data, tuple):
                    for name in e.data:
                        self._event_ref(source, source_kind, sec, name, e.span)

    def _units(self) -> dict[str, Unit]:
        units: dict[str, Unit] = {}
        for m in self.modules:
            for s in m.sections:
                assert s.span is not None
                sec_items = tuple(i for i in self.items.values() if i.section == s.number)
                sec_items = tuple(sorted(sec_items, key=lambda i: i.span.line))
                also = tuple((sp.file, sp.line, sp.end_line)
                             for sp in self.overlays.get(s.number, ()))
                gone = tuple(sorted(k.rsplit(".", 1)[-1] for k in self.dropped
                                    if k.startswith(s.number + ".")))
                units[s.number] = Unit(s.number, s.heading, m.file, s.span.line,
                                       s.span.end_line, sec_items, also=also, dropped=gone)
        # each paragraph of the agreement goes to the most specific section that has it
        by_unit: dict[str, list[Paragraph]] = {}
        headings: dict[str, str | None] = {}
        for p in self.paragraphs:
            home = next((a for a in section_ancestors(p.section) if a in units), p.section)
            by_unit.setdefault(home, []).append(p)
            headings.setdefault(p.section, p.heading)
        for number, paras in by_unit.items():
            if number in units:
                units[number] = attrs.evolve(units[number], paragraphs=tuple(paras))
            else:
                units[number] = Unit(number, headings.get(number), paragraphs=tuple(paras))
        order = section_sort_keys(n for n in units if n not in ("preamble", "signatures"))
        ordered = sorted(order, key=order.__getitem__)
        if "preamble" in units:
            ordered.insert(0, "preamble")
        if "signatures" in units:
            ordered.append("signatures")
        return {n: units[n] for n in ordered}

    # ── queries ─────────────────────────────────────────────────────────────

    def line(self, file: str, n: int) -> str:
        lines = self.texts.get(file, [])
        return lines[n - 1] if 1 <= n <= len(lines) else ""

    def lines(self, file: str, first: int, last: int) -> list[str]:
        return self.texts.get(file, [])[first - 1:last]

    def item(self, kind: str, key: str) -> Item | None:
        if kind == "clause":
            return self.items.get(("clause", key)) or self.items.get(("provision", key))
        return self.items.get((kind, key))

    def target_section(self, ref: Ref) -> str | None:
        """The section a reference's target sits in (None for a preamble declaration)."""
        if ref.target_kind == "section":
            return ref.target
        if ref.target_kind == "agreement":
            return None
        it = self.item(ref.target_kind, ref.target)
        return it.section if it else None

    def refs_made(self, unit: Unit, item: Item | None = None) -> list[Ref]:
        """References made by a section's priorities and declarations (or by one item) to
        anything outside it."""
        out = []
        for r in self.refs:
            if item is not None:
                if r.source == item.id and r.source_kind == item.kind:
                    out.append(r)
            elif r.source_section == unit.number and r.source_kind != "file" and (
                    r.target_kind in ("section", "all")
                    or self.target_section(r) != unit.number):
                out.append(r)
        return _unique(out)

    def refs_received(self, unit: Unit, item: Item | None = None) -> list[Ref]:
        """References to a section (or one item) and its declarations from outside it."""
        out = []
        for r in self.refs:
            if r.source_kind == "file":
                continue
            if item is not None:
                if r.target == item.id and r.target_kind == item.kind \
                        and r.source != item.id:
                    out.append(r)
            elif r.source_section != unit.number and self.target_section(r) == unit.number:
                out.append(r)
        return _unique(out)

    def select(self, text: str) -> tuple[list[Unit], Item | None]:
        """The units a SECTION argument names: the section and those numbered under it, or
        the one clause `3(a).register` names. Raises E706 when there is none."""
        parsed = normalize_section(text)
        number, name = parsed if parsed else (text.strip(), None)
        if name is not None:
            unit = self.units.get(number)
            item = next((i for i in (unit.items if unit else ()) if i.name == name), None)
            if unit is not None and item is not None:
                return [unit], item
            candidates = [i.id for i in self.items.values() if i.section is not None]
            self._unknown(f"{number}.{name}", candidates, "clause")
        chosen = [u for n, u in self.units.items()
                  if n == number or n.startswith(number + "(")]
        if not chosen:
            self._unknown(number, list(self.units), "section")
        return chosen, None

    def _unknown(self, what: str, candidates: list[str], kind: str) -> None:
        guess = did_you_mean(what, candidates)
        hints = (f"did you mean §{guess}?",) if guess else ()
        raise RrdslError(Diagnostic(
            "E706", f"there is no {kind} §{what} in {self.contract.file}",
            hints=(*hints, "name a section as 3(c)(viii) or §3(c)(viii), or a clause as "
                   "3(a).register")))

    def describe(self, ref: Ref) -> str:
        """`§3(j)`, `§3(a).register`, `definition restricted_stock (§1)`, `event X (§3(a))`."""
        if ref.target_kind == "section":
            return f"§{ref.target}"
        if ref.target_kind in ("clause", "exception", "provision", "check"):
            return f"§{ref.target}"
        if ref.target_kind == "all":
            return "anything to the contrary"
        if ref.target_kind == "file":
            return ref.target
        if ref.target_kind == "agreement":
            agreement, _, clause = ref.target.partition(".")
            return f"clause {clause} of {agreement}"
        word = ref.target_kind
        sec = self.target_section(ref)
        return f"{word} {ref.target}" + (f" (§{sec})" if sec else "")

    def describe_source(self, ref: Ref) -> str:
        if ref.source_kind == "section":
            return f"§{ref.source}"
        if ref.source_kind in ("clause", "exception", "provision", "check"):
            return f"§{ref.source}"
        word = ref.source_kind
        return f"{word} {ref.source}" + (f" (§{ref.source_section})"
                                         if ref.source_section else "")


def _unique(refs: list[Ref]) -> list[Ref]:
    """Each reference once (at its first place), in the order they are written."""
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for r in sorted(refs, key=lambda r: (r.span.file, r.span.line, r.span.col) if r.span
                    else ("", 0, 0)):
        key = (r.kind, r.source, r.target_kind, r.target)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def load_browse(path: str | Path) -> Browse:
    """Parse and check a contract (raises RrdslError) and lay it out for browsing."""
    p = Path(path)
    comp = load_composition(p)
    modules = list(comp.modules)
    return Browse(p, check_modules(modules, comp), modules, comp.overlays, comp.dropped)

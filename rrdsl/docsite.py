"""The docs as HTML: `docs/*.md` rendered with Python-Markdown (fenced code, tables, heading
ids) and highlighted by pygments, so every ```rrd example goes through the rrdsl lexer, found
by its `pygments.lexers` entry point like any other lexer. Used by `rrdsl html --docs DIR`.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = ["fenced_code", "codehilite", "tables", "toc"]
CONFIG: dict[str, dict[str, Any]] = {"codehilite": {"guess_lang": False, "css_class": "highlight"},
          "toc": {"permalink": False}}


#: The URL schemes a link of the docs may use; any other (javascript:, data:, vbscript:, file:
#: ...) is shown as plain text. Links without a scheme (relative paths, #fragments) are kept.
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# what a browser ignores in a URL: leading and trailing spaces and control characters, and
# tabs and line breaks anywhere (so that `java\tscript:` is `javascript:`)
_IGNORED = re.compile(r"[\x00-\x20\x7f]")


def url_scheme(url: str) -> str | None:
    """The scheme a browser would see in `url` (lower case), or None for a relative link:
    character references are decoded and ignored characters dropped first."""
    import html

    seen = _IGNORED.sub("", html.unescape(url))
    m = _SCHEME.match(seen)
    return m.group(1).lower() if m else None


def safe_url(url: str) -> bool:
    scheme = url_scheme(url)
    return scheme is None or scheme in SAFE_SCHEMES


class _MdLinks(Treeprocessor):
    """Links between docs follow them into HTML: `cli.md#exit-status` → `cli.html#exit-status`.
    A link or image whose URL has a scheme other than http, https or mailto is rendered as its
    text (an image as its alt text): the docs are no way to run a script in a reader's browser."""

    def run(self, root: Element) -> None:
        for el in root.iter():
            if el.tag == "a":
                href = el.get("href", "")
                if not safe_url(href):
                    el.tag = "span"
                    el.attrib.clear()
                    el.set("class", "unsafe-link")
                    el.set("title", "link not followed: only http, https and mailto links are")
                    continue
                if url_scheme(href) is not None or href.startswith("#"):
                    continue
                el.set("href", re.sub(r"\.md(?=$|#)", ".html", href))
            elif el.tag == "img" and not safe_url(el.get("src", "")):
                alt = el.get("alt", "")
                el.tag = "span"
                el.attrib.clear()
                el.set("class", "unsafe-link")
                el.text = alt


class _MdLinksExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_MdLinks(md), "rrdsl_md_links", 5)


_INDENTED_FENCE = re.compile(r"^( {1,3})(```[\w-]*\n.*?^\1```)[ \t]*$", re.S | re.M)


def render_markdown(text: str) -> str:
    """One Markdown document → HTML (user text escaped by Markdown; raw HTML is escaped too).

    A fenced example indented under a list item is taken out of the list (Python-Markdown
    reads fences only at the margin), so it is highlighted like every other."""
    text = _INDENTED_FENCE.sub(lambda m: textwrap.dedent(m.group(1) + m.group(2)), text)
    md = markdown.Markdown(extensions=[*EXTENSIONS, _MdLinksExtension()],
                           extension_configs=CONFIG)
    md.preprocessors.deregister("html_block")  # the docs are Markdown, not HTML
    md.inlinePatterns.deregister("html")
    return md.convert(text)


def render_docs(folder: Path) -> list[tuple[str, str, str]]:
    """(page path relative to the docs' folder, title, body) for every `*.md` in `folder`."""
    out = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        m = re.search(r"^#\s+(.+)$", text, re.M)
        title = m.group(1).strip() if m else path.stem
        out.append((path.with_suffix(".html").name, title, render_markdown(text)))
    return out

"""HTML mail to plain text, for HTML-only questions (Outlook sends many).

The HTML is first sanitised by nh3 (a real HTML5 parser: broken markup,
conditional comments and scripts are dealt with there), keeping only the
structural tags that matter for layout; a small converter then writes text.
Nothing is fetched, run or rendered, and no markup survives into the output.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

# Structural tags kept through sanitising; everything else is unwrapped to its text.
_KEPT_TAGS = {
    "p", "div", "br", "hr", "blockquote", "pre", "ul", "ol", "li", "table", "tr", "td", "th",
    "thead", "tbody", "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd",
}  # fmt: skip
# Their content is not text a person wrote to us.
_DROPPED_CONTENT = {"script", "style", "title", "head", "template", "noscript", "iframe", "object"}
_BLOCK_TAGS = _KEPT_TAGS - {"br", "td", "th", "tr", "li", "hr", "blockquote"}
# Quotes nested deeper than this are written with this many "> ": a prefix per level on
# every line would make the text grow with the square of the markup (ten thousand nested
# blockquotes in 130 KB of HTML wrote 200 MB), and no one reads twenty levels apart. (nh3's
# parser needs the pre-pass below for deep nesting.)
_MAX_QUOTE_MARKS = 20
# nh3's HTML5 tree builder takes time in the square of the nesting depth of block
# elements: 200 KB of nested <div> took 4 s, 2 MB of <blockquote> 429 s, in Rust code
# that no time budget can interrupt. Markup nested deeper than any mail client writes
# has its nesting tags turned into line breaks before nh3 sees it (a linear pass).
_MAX_NESTING = 64
# Any element that can hold others: every tag but the void ones.
_NESTING_TAG = re.compile(
    r"<(/?)(?!(?:br|hr|img|meta|link|input|wbr|area|base|col|embed|param|source|track)\b)"
    r"[a-zA-Z][a-zA-Z0-9:-]*+[^<>]*+>?",
)
_HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u200b\u200c\u200d\ufeff]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


class _TextWriter(HTMLParser):
    """Writes sanitised HTML as text; blockquotes become "> " lines like plain-text replies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.pre_depth = 0

    def _break_line(self) -> None:
        text = "".join(self.current)
        if not self.pre_depth:
            text = _HORIZONTAL_SPACE.sub(" ", text).strip()
        prefix = self._prefix()
        self.lines.append(prefix + text if text else prefix.rstrip())
        self.current = []

    def _prefix(self) -> str:
        return "> " * min(self.quote_depth, _MAX_QUOTE_MARKS)

    def _break_block(self) -> None:
        if self.current:
            self._break_line()
        if self.lines and self.lines[-1].strip("> "):
            self.lines.append(self._prefix())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break_line()
        elif tag == "li":
            if self.current:
                self._break_line()
            self.current.append("- ")
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag == "hr":
            self._break_block()
        elif tag == "blockquote":
            self._break_block()
            self.quote_depth += 1
        elif tag == "pre":
            self._break_block()
            self.pre_depth += 1
        elif tag in _BLOCK_TAGS:
            self._break_block()

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            if self.current:
                self._break_line()
            self.quote_depth = max(0, self.quote_depth - 1)
            self._break_block()
        elif tag == "pre":
            self._break_block()
            self.pre_depth = max(0, self.pre_depth - 1)
        elif tag in ("tr", "li"):
            if self.current:
                self._break_line()
        elif tag in _BLOCK_TAGS:
            self._break_block()

    def handle_data(self, data: str) -> None:
        if not self.pre_depth:
            # Source newlines inside HTML text are just spaces.
            data = data.replace("\r", " ").replace("\n", " ")
        self.current.append(data)

    def text(self) -> str:
        if self.current:
            self._break_line()
        lines = [line.rstrip() for line in self.lines]
        while lines and not lines[-1].strip("> "):
            lines.pop()
        joined = "\n".join(lines)
        return _BLANK_RUNS.sub("\n\n", joined).strip("\n")


def _nesting_depth(html: str) -> int:
    depth = deepest = 0
    for tag in _NESTING_TAG.finditer(html):
        if tag.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _flatten(html: str) -> str:
    return _NESTING_TAG.sub("<br>", html)


def html_to_text(html: str) -> str:
    """Sanitised plain text of an HTML mail body; never raises for malformed markup."""
    if html.count("<") > _MAX_NESTING and _nesting_depth(html) > _MAX_NESTING:
        html = _flatten(html)
    cleaned = nh3.clean(
        html,
        tags=_KEPT_TAGS,
        clean_content_tags=_DROPPED_CONTENT,
        attributes={},
        strip_comments=True,
    )
    writer = _TextWriter()
    writer.feed(cleaned)
    writer.close()
    return writer.text()

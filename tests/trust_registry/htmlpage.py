"""Parse a page into a small element tree (``html.parser``) so tests can assert on specific elements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

HTML = "text/html; charset=utf-8"
#: Elements whose text runs on with their neighbours' (the others are separated by a space).
_INLINE = {"a", "abbr", "b", "code", "em", "i", "label", "small", "span", "strong", "time"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    """An element of a parsed page."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """The element's text, whitespace collapsed."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            else:
                parts.append(child.text() if child.tag in _INLINE else f" {child.text()} ")
        return " ".join("".join(parts).split())

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with ``tag`` and every attribute given (``class_`` matches one class)."""
        found = []
        for node in self.walk():
            if tag is not None and node.tag != tag:
                continue
            if all(
                value in node.attrs.get("class", "").split()
                if name == "class_"
                else node.attrs.get(name.replace("_", "-")) == value
                for name, value in attrs.items()
            ):
                found.append(node)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        """The single descendant matching."""
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def page(response: httpx.Response, status: int = 200, media_type: str = HTML) -> Node:
    """The parsed HTML page, after checking the status and the media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == media_type
    parser = _Parser()
    parser.feed(response.text)
    return parser.root

"""A minimal browser for tests over real HTTP: follow redirects within the provider, read the page's
form (hidden fields such as the CSRF token included), fill it in and submit it, with cookies kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

__all__ = ["Form", "forms", "submit"]


@dataclass
class Form:
    """One HTML form: where it goes, its fields, and its named submit buttons in page order."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
            return
        if not self.forms or "name" not in values:
            return
        form = self.forms[-1]
        kind = values.get("type", "submit" if tag == "button" else "text").lower()
        if tag == "button" or kind == "submit":
            form.buttons.append((values["name"], values.get("value", "")))
        elif tag == "input" and (kind not in ("checkbox", "radio") or "checked" in values):
            form.fields[values["name"]] = values.get("value", "")


def forms(html: str) -> list[Form]:
    """Every form of a page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def submit(
    browser: httpx.Client, page: httpx.Response, values: dict[str, str], *, button: str | None = None
) -> httpx.Response:
    """Submit the page's first form holding every name in ``values`` (or the first form), with
    ``button`` (a submit button's value) or the first named submit button pressed."""
    found = forms(page.text)
    if not found:
        raise AssertionError(f"no form on {page.url}: {page.text[:500]}")
    form = next((f for f in found if set(values) <= set(f.fields)), found[0])
    data = {**form.fields, **values}
    pressed = next((b for b in form.buttons if button is None or b[1] == button), None)
    if pressed is not None:
        data[pressed[0]] = pressed[1]
    target = urljoin(str(page.url), form.action or str(page.url))
    if form.method == "post":
        return browser.post(target, data=data)
    return browser.get(target, params=data)

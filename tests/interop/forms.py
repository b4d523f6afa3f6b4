"""A minimal browser for tests over real HTTP: read the page's form (hidden fields such as the CSRF
token included, parsed by :mod:`ukid.check.agent`), fill it in and submit it, with cookies kept."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx

from ukid.check.agent import Form, forms

__all__ = ["Form", "forms", "submit"]


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

"""The registry's pages for people (GOV.UK Design System): overview, member list, member page.

Everything the federation endpoints publish as signed JSON is shown here in words: the registry's
role, endpoints (OpenID Federation 1.0 §5.1.1), keys (§3.1 ``jwks``, kids are RFC 7638
thumbprints), ``trust_mark_issuers`` / ``trust_mark_owners`` (§3.1, §7.2), each member's trust
chain from the anchor down (§4) with its resolved metadata (§6.1) and trust marks (§7, §8.4.2).

Pages are HTML (``text/html; charset=utf-8``), rendered by Jinja2 with autoescaping on (member
organisation names are untrusted), with a Content Security Policy that allows only this registry's
own assets and one nonce'd inline script. Bad parameters answer a 400 page, an unknown member a
404 page; a chain that does not resolve is shown as an error on the member page, never a 500.
The ``govuk-frontend`` package (npm) is served under ``/assets`` when installed; without it the
pages fall back to a small stylesheet of their own.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from federation.errors import FederationError, InvalidRequest
from federation.service.pages import Assets, govuk_routes, page_headers
from federation.service.pages import mount_assets as mount_static
from schemas.records import TrustMarkKind
from trust_registry.core.directory import Directory, MemberFilter
from trust_registry.core.members import ACTIVE, SUSPENDED
from trust_registry.core.profile import resolve_type
from trust_registry.endpoints import _page_views as views
from trust_registry.endpoints._http import Query, services
from trust_registry.settings import RegistrySettings

__all__ = ["Assets", "locate_assets", "mount_assets", "router"]

log = logging.getLogger("trust_registry.pages")

MAX_SEARCH_CHARS = 200
MAX_ENTITY_TYPE_CHARS = 128
MAX_PAGE = 1_000_000
LIST_PARAMETERS = ("q", "entity_type", "trust_mark_type", "status", "intermediate", "page")


def locate_assets(settings: RegistrySettings) -> Assets:
    """The registry's assets: govuk-frontend from ``frontend_dir`` or ``node_modules``, under the path
    of the entity ID."""
    return Assets.locate(
        urlsplit(settings.entity_id).path, settings.frontend_dir, service="registry", logger=log
    )


def mount_assets(app: FastAPI, assets: Assets) -> None:
    """Serve the pages' own static files, and govuk-frontend's fonts and images when installed.

    Mount these after the routes: the stylesheet and script routes take precedence over the mount.
    """
    mount_static(app, assets, package="trust_registry", name="registry")


def _date(value: int | None) -> str:
    """A Unix time as GOV.UK style writes it: ``5 March 2026 at 14:03 UTC``."""
    if value is None:
        return "never"
    moment = datetime.fromtimestamp(value, UTC)
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M} UTC"


def _iso(value: int | None) -> str:
    return "" if value is None else datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _PageProblem(Exception):
    """A request the pages answer with an error page (400 or 404)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def router(assets: Assets) -> APIRouter:
    """The page routes (and govuk-frontend's stylesheet and script when installed)."""
    environment = Environment(
        loader=PackageLoader("trust_registry", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # packaged templates: never stat them again per page
    )
    environment.filters["date"] = _date
    environment.filters["iso"] = _iso
    routes = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        found = services(request)
        config = found.registry.config
        nonce = secrets.token_urlsafe(16)
        html = environment.get_template(template).render(
            base=assets.prefix,
            assets=assets.url,
            govuk=assets.govuk is not None,
            nonce=nonce,
            role=views.role_label(config),
            registry_name=config.organization_name,
            request_path=request.url.path,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=page_headers(nonce))

    def problem(request: Request, exc: _PageProblem) -> Response:
        return render(request, "error.html", exc.status, title=exc.title, message=exc.message)

    @routes.get("/")
    async def overview(request: Request) -> Response:
        registry = services(request).registry
        return render(
            request,
            "overview.html",
            registry=views.registry_view(registry),
            counts=Directory(registry.store.engine).overview(),
        )

    @routes.get("/members")
    async def member_list(request: Request) -> Response:
        registry = services(request).registry
        try:
            filters, page, chosen = _list_parameters(request, registry.config.type_base)
            if filters.trust_mark_type is not None and filters.trust_mark_type not in (
                registry.config.issued_types
            ):
                raise _PageProblem(
                    400,
                    "There is a problem with the search",
                    f"This registry does not issue trust marks of type {chosen['trust_mark_type']!r}.",
                )
            directory = Directory(registry.store.engine)
            found = directory.page(filters, now=registry.now(), page=page)
            if page > found.pages:
                raise _PageProblem(
                    400,
                    "There is a problem with the page number",
                    f"Page {page} does not exist: there "
                    + ("is 1 page" if found.pages == 1 else f"are {found.pages} pages")
                    + " of results.",
                )
        except _PageProblem as exc:
            return problem(request, exc)
        base_query = {k: v for k, v in chosen.items() if v}
        return render(
            request,
            "members.html",
            found=found,
            chosen=chosen,
            rows=[views.row_view(row, assets.prefix, registry.config.type_base) for row in found.rows],
            entity_types=directory.entity_types(),
            mark_kinds=[
                (kind.value, views.KIND_LABELS[kind])
                for kind in TrustMarkKind
                if resolve_type(registry.config.type_base, kind.value) in registry.config.issued_types
            ],
            pagination=views.pagination(assets.prefix, found.page, found.pages, base_query),
            filtered=bool(base_query),
        )

    @routes.get("/members/view")
    async def member_page(request: Request) -> Response:
        found = services(request)
        registry = found.registry
        try:
            sub = Query(request, ("sub",)).entity_id("sub")
        except InvalidRequest as exc:
            return problem(request, _PageProblem(400, "There is a problem with the request", exc.description))
        assert sub is not None
        member = registry.store.member(sub)
        if member is None:
            return problem(
                request,
                _PageProblem(
                    404,
                    "Page not found",
                    f"{sub} is not a member of this registry. Check the entity ID or search the members.",
                ),
            )
        config = registry.config
        anchors = [config.entity_id] if config.is_anchor else [a.entity_id for a in config.trust_anchors]
        chain = None
        chain_error = None
        try:
            chain = await found.resolver.chain(sub, anchors)
        except FederationError as exc:
            log.info("member page %s: no trust chain: %s (%s)", sub, exc.description, exc.detail)
            chain_error = exc.description
        verified = {m["trust_mark"] for m in await found.resolver.verified_marks(chain)} if chain else set()
        return render(
            request,
            "member.html",
            member=member,
            chain_error=chain_error,
            anchors=anchors,
            steps=views.chain_steps(chain, registry, assets.prefix) if chain else [],
            metadata=views.metadata_view(chain.metadata if chain else member.configuration_metadata),
            raw_metadata=views.pretty(chain.metadata if chain else member.configuration_metadata),
            issued=[views.issued_mark(m, registry) for m in registry.store.trust_marks(sub=sub)],
            configured=views.configured_marks(chain, verified, config.type_base) if chain else [],
            keys=views.key_rows(member.jwks),
        )

    routes.include_router(govuk_routes(assets))
    return routes


def _list_parameters(request: Request, type_base: str) -> tuple[MemberFilter, int, dict[str, str]]:
    """The member list's filters and page number, checked; a problem is a 400 page."""
    try:
        query = Query(request, LIST_PARAMETERS)
        q = (query.one("q") or "").strip()
        entity_type = query.one("entity_type")
        mark = query.one("trust_mark_type")
        status = query.one("status")
        intermediate = query.flag("intermediate")
        page_text = query.one("page") or "1"
    except InvalidRequest as exc:
        raise _PageProblem(400, "There is a problem with the search", exc.description) from exc
    if len(q) > MAX_SEARCH_CHARS:
        raise _PageProblem(
            400,
            "There is a problem with the search",
            f"The search must be {MAX_SEARCH_CHARS} characters or fewer.",
        )
    if entity_type is not None and len(entity_type) > MAX_ENTITY_TYPE_CHARS:
        raise _PageProblem(
            400,
            "There is a problem with the search",
            f"The entity type must be {MAX_ENTITY_TYPE_CHARS} characters or fewer.",
        )
    if status is not None and status not in (ACTIVE, SUSPENDED):
        raise _PageProblem(
            400, "There is a problem with the search", "The status must be active or suspended."
        )
    if not page_text.isascii() or not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE:
        raise _PageProblem(
            400,
            "There is a problem with the page number",
            f"The page number must be a whole number from 1 to {MAX_PAGE:,}.",
        )
    filters = MemberFilter(
        q=q or None,
        entity_type=entity_type,
        trust_mark_type=resolve_type(type_base, mark) if mark else None,
        status=status,
        intermediate=intermediate,
    )
    chosen = {
        "q": q,
        "entity_type": entity_type or "",
        "trust_mark_type": mark or "",
        "status": status or "",
        "intermediate": "" if intermediate is None else ("true" if intermediate else "false"),
    }
    return filters, int(page_text), chosen

"""The council sample service (Oxford City Council, GOV.UK look): a resident parking permit (low
confidence; only the verified address, checked against the council's gazetteer by its UPRN) and a
Blue Badge (medium confidence; name, date of birth and address).

``create_app(RpSettings(service="council", ...))`` runs it (:mod:`relying_party.services.app`); its
own tables are migrated by ``ukid rp migrate`` (revisions recorded in ``rp_council_alembic_version``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from federation.service.database import Migrations
from federation.service.pages import Assets, govuk_routes, mount_assets
from relying_party.core.policy import ServicePolicy
from relying_party.services.council.applications import Applications
from relying_party.services.council.gazetteer import Gazetteer, GazetteerError
from relying_party.services.council.pages import CouncilPages, Renderer
from relying_party.services.council.routes import service_routes
from relying_party.services.policies import council_policies
from relying_party.services.wiring import RpServices, StartupError
from relying_party.web import RelyingPartyWeb

__all__ = ["MIGRATIONS", "install", "policies"]

MIGRATIONS = Migrations(
    Path(__file__).parent / "migrations", "ukid rp migrate --service council", "rp_council_alembic_version"
)


def policies() -> list[ServicePolicy]:
    """Resident parking permit and Blue Badge (:func:`relying_party.services.policies.council_policies`)."""
    return council_policies()


def install(app: FastAPI, services: RpServices) -> None:
    """The library's router and pages, the council's pages, govuk-frontend and the council's assets.
    :class:`StartupError` when the gazetteer cannot be read."""
    settings, config = services.settings, services.config
    try:
        gazetteer = Gazetteer.load(settings.gazetteer_file)
    except GazetteerError as exc:
        raise StartupError(str(exc)) from exc
    prefix = config.path_prefix
    assets = Assets.locate(prefix, settings.frontend_dir, service="council")
    renderer = Renderer(
        assets, organisation=config.organization_name, prefix=prefix, auth=f"{prefix}{config.auth_path}"
    )
    web = RelyingPartyWeb(services.rp, CouncilPages(renderer), configuration=services.entity.configuration)
    renderer.sessions = web.results
    web.install(app)
    app.include_router(web.router())
    applications = Applications(services.engine, clock=services.clock)
    app.include_router(service_routes(web, renderer, applications, gazetteer, config.policies))
    app.include_router(govuk_routes(assets), prefix=prefix)
    mount_assets(app, assets, package="relying_party.services.council", name="council")

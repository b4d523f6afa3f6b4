"""The GP practice sample service (Oak Lane Medical Practice, NHS.UK look): registering with the
practice, which anyone may do at a low level of confidence, even with a vouch and no fixed address
(NHS England, "How to register with a GP surgery"), and ordering repeat prescriptions, which needs
the NHS login P9 equivalent (``relying_party.services.policies.gp_policies``).

``install`` adds the relying-party library's routes with the practice's pages, the practice's own
routes, and the NHS.UK design system's assets (npm ``nhsuk-frontend``) or the fallback stylesheet.
Its tables are migrated by ``ukid rp migrate`` (version table ``rp_gp_alembic_version``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from federation.service.database import Migrations
from federation.service.pages import NHSUK, Assets, frontend_routes, mount_assets
from relying_party.core.policy import ServicePolicy
from relying_party.services.gp.pages import GpPages
from relying_party.services.gp.records import Records
from relying_party.services.gp.routes import router
from relying_party.services.policies import gp_policies
from relying_party.services.wiring import RpServices
from relying_party.web import RelyingPartyWeb

__all__ = ["MIGRATIONS", "install", "policies"]

log = logging.getLogger("relying_party.services.gp")

MIGRATIONS = Migrations(
    Path(__file__).parent / "migrations", "ukid rp migrate --service gp", "rp_gp_alembic_version"
)


def policies() -> list[ServicePolicy]:
    """Registering with the practice and ordering repeat prescriptions."""
    return gp_policies()


def install(app: FastAPI, services: RpServices) -> None:
    """The library's router with the practice's pages, the practice's routes and the assets."""
    config = services.config
    assets = Assets.locate(
        config.path_prefix, services.settings.frontend_dir, service="GP practice", logger=log, frontend=NHSUK
    )
    pages = GpPages(
        assets,
        prefix=config.path_prefix,
        organisation=services.settings.name,
        auth=f"{config.path_prefix}{config.auth_path}",
    )
    web = RelyingPartyWeb(services.rp, pages, configuration=services.entity.configuration)
    pages.web = web
    web.install(app)
    app.include_router(web.router())
    app.include_router(router(pages, web, Records(services.engine, clock=services.clock)))
    app.include_router(frontend_routes(assets), prefix=config.path_prefix)
    mount_assets(app, assets, package="relying_party.services.gp", name="gp")

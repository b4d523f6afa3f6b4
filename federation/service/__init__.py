"""Plumbing shared by the federation's services (trust registry, identity provider, relying parties).

Database engines and schema checks (SQLAlchemy, Alembic) and page security headers. The protocol
modules of :mod:`federation` never import this package; only services do.
"""

"""Seeding the development personas (:mod:`idp.core.personas`): in ``dev`` only (``seed_accounts``).

Idempotent: a persona or voucher whose username exists is left alone (also when another worker
created it at the same moment). The personas with two-step sign-in get their published TOTP secret
confirmed (any current code works; no recovery codes).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from idp.core.passwords import PasswordHasher
from idp.core.personas import DEV_PASSWORD, PERSONAS, VOUCHER, Persona
from idp.store.accounts import AccountStore
from idp.store.vouching import VoucherStore

__all__ = ["DEV_PASSWORD", "PERSONAS", "Persona", "seed_development_accounts"]


def seed_development_accounts(
    accounts: AccountStore, passwords: PasswordHasher, vouchers: VoucherStore | None = None
) -> list[str]:
    """Create each persona (and, given ``vouchers``, the voucher) that is missing, with its evidence
    and second factor; returns the usernames created."""
    created: list[str] = []
    password_hash = passwords.hash(DEV_PASSWORD)
    for persona in PERSONAS:
        if accounts.by_username(persona.username) is not None:
            continue
        try:
            account = accounts.create(persona.username, password_hash, dict(persona.claims))
        except (ValueError, IntegrityError):
            continue  # created meanwhile
        for kind, evidence_object, scores in persona.evidence:
            accounts.add_evidence(account.id, kind, dict(evidence_object), dict(scores))
        if persona.totp_secret is not None:
            accounts.begin_totp(account.id, persona.totp_secret)
            accounts.confirm_totp(account.id, persona.totp_secret, 0, [])
        created.append(persona.username)
    if vouchers is not None and vouchers.by_username(VOUCHER.username) is None:
        try:
            vouchers.create_voucher(
                VOUCHER.username,
                password_hash,
                VOUCHER.name,
                VOUCHER.occupation,
                VOUCHER.organization,
                VOUCHER.daily_limit,
            )
        except (ValueError, IntegrityError):
            return created  # created meanwhile
        created.append(VOUCHER.username)
    return created

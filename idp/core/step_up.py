"""Stepping up inside an authorization, when no requested vector of trust can be met yet (RFC 8485
§6.1: the ``vtr`` values are ORed, each vector's components ANDed; OpenID Connect Unmet
Authentication Requirements 1.0 §2).

Instead of answering ``unmet_authentication_requirements`` at once, the provider can explain, in
words, what the service asked for and what the citizen has reached, and offer the step that would
meet the request: proving their identity further (GPG 45), setting up two-step sign-in (``Cm``,
RFC 6238) or signing in again with its code. That is only worth offering when some requested vector
is one this provider can ever assert (:data:`MOST`); otherwise the error goes back at once.

A citizen who goes to the proofing or security pages keeps the interaction to come back to in a
cookie; :func:`pending` checks it before those pages link back to it.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from idp.core.identity import Identity
from idp.core.signin import SECOND_FACTOR_CREDENTIAL
from idp.core.vectors import achieve
from idp.store import digest
from idp.store.interactions import Interaction, InteractionStore
from schemas.gpg45 import LevelOfConfidence
from schemas.vot import Vector

__all__ = ["MOST", "Explained", "Option", "Remedy", "explain", "of_browser", "options", "pending"]

#: Identity values (One Login, ``idp.core.vectors``) and the level of confidence each needs.
_LEVELS = {
    "P1": LevelOfConfidence.LOW,
    "P2": LevelOfConfidence.MEDIUM,
    "P3": LevelOfConfidence.HIGH,
}
#: The most this provider ever asserts: every identity value and both credential values.
MOST = Vector(frozenset({"P0", *_LEVELS, "Cl", "Cm"}))
#: The credential value of a second factor (RFC 8485 §3: One Login's ``Cm``).
CODE = "Cm"


class Remedy(StrEnum):
    """What would take the citizen to a requested vector."""

    #: Prove their identity further (the proofing journey).
    PROOFING = "proofing"
    #: Set up two-step sign-in: only the credential is missing and the account has no second factor.
    SECURITY = "security"
    #: Sign in again with the security code: only the credential is missing.
    SIGN_IN = "sign_in"


@dataclass(frozen=True)
class Option:
    """A requested vector this provider could meet, in parts."""

    #: The level of confidence it needs (None: no proven identity).
    level: LevelOfConfidence | None
    #: Whether it needs a sign-in with a security code (``Cm``).
    code: bool


@dataclass(frozen=True)
class Explained:
    """What the service asked for, what the citizen has reached, and what would meet the request."""

    options: tuple[Option, ...]
    #: The level of confidence reached (None: not proven).
    reached: LevelOfConfidence | None
    #: Whether this sign-in used a security code.
    with_code: bool
    remedy: Remedy


def options(vtr: Sequence[str]) -> tuple[Option, ...]:
    """The requested vectors this provider could ever meet (within :data:`MOST`), in request order;
    empty when none could (a step-up would then be pointless)."""
    found: list[Option] = []
    for text in vtr:
        vector = Vector.parse(text)
        if not MOST.satisfies(vector):
            continue
        levels = [_LEVELS[value] for value in _LEVELS if value in vector.components]
        option = Option(levels[-1] if levels else None, CODE in vector.components)
        if option not in found:
            found.append(option)
    return tuple(found)


def explain(identity: Identity, credential: str, second_factor: bool, vtr: Sequence[str]) -> Explained:
    """The step-up page's content for a citizen with ``identity``, signed in with ``credential``.

    When a sign-in with a second factor would meet the request, only the credential is missing: the
    citizen sets up two-step sign-in (or signs in with it, if the account has one); otherwise they
    must prove their identity further (RFC 8485 §6.1)."""
    if achieve(identity, SECOND_FACTOR_CREDENTIAL, vtr) is not None:
        remedy = Remedy.SIGN_IN if second_factor else Remedy.SECURITY
    else:
        remedy = Remedy.PROOFING
    return Explained(options(vtr), identity.level, CODE in Vector.parse(credential).components, remedy)


def of_browser(
    store: InteractionStore, interaction_id: str | None, browser_id: str | None
) -> Interaction | None:
    """The interaction ``interaction_id`` if it was started in the browser ``browser_id`` (expired or
    completed included); None otherwise."""
    found = store.interaction(interaction_id) if interaction_id and browser_id else None
    if found is None or browser_id is None or not hmac.compare_digest(found.browser_hash, digest(browser_id)):
        return None
    return found


def pending(
    store: InteractionStore, interaction_id: str | None, browser_id: str | None, account_id: str
) -> Interaction | None:
    """The interaction a citizen left to step up, to link back to from the account area: one of this
    browser, signed in to by ``account_id``, not completed (an expired one is linked too, so that the
    citizen is told it expired and given a way back); None otherwise."""
    found = of_browser(store, interaction_id, browser_id)
    if found is None or found.completed_at is not None or found.account_id != account_id:
        return None
    return found

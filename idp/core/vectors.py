"""Vectors of Trust (RFC 8485) the provider asserts, in GOV.UK One Login's values, and ``acr``.

The achieved vector is the credential component of the sign-in (``Cl`` password, ``Cl.Cm`` with a
second factor) and the identity component from the GPG 45 level by the federation's mapping
(``schemas.mapping.one_login_level``: none ``P0``, low ``P1``, medium ``P2``, high ``P3``).

Identity levels are ordered: a citizen proven to ``P3`` also meets a request for ``P1``, so the
achieved vector holds every identity value up to the one reached when it is matched against a
``vtr`` (RFC 8485 §3.1 leaves the meaning of values to the trustmark; One Login's levels nest).
"""

from __future__ import annotations

from collections.abc import Sequence

from idp.core.identity import Identity
from schemas.gpg45 import LevelOfConfidence
from schemas.mapping import one_login_level
from schemas.vot import Vector

__all__ = ["achieve", "acr_for", "identity_component"]

_P_ORDER = ("P0", "P1", "P2", "P3")


def identity_component(level: LevelOfConfidence | None) -> str:
    """The One Login identity value for a GPG 45 level (``P0`` for none).

    Very high has no One Login value (``one_login_level`` gives None): it is asserted as ``P3``,
    the highest the trustmark lists, since a very high proof meets everything ``P3`` stands for.
    """
    found = one_login_level(level)
    if found is None:
        return "P3"  # very high: capped at the trustmark's highest identity value
    return found


def achieve(identity: Identity, credential: str, vtr: Sequence[str]) -> str | None:
    """The ``vot`` to assert for a sign-in with ``credential`` by a citizen with ``identity``.

    Without a ``vtr`` the vot is what was achieved: the credential and, when an identity was
    proven, its level (``Cl``, or e.g. ``P2.Cl``). One Login's default request is ``Cl.Cm``; this
    provider asserts what the sign-in actually reached and lets the relying party judge it.

    With a ``vtr`` the vot is the first requested vector (in request order) the achieved vector
    satisfies, rendered canonically (``Vector.render``): the vot never claims more than was asked,
    so a P3 citizen answering ``["Cl.P1"]`` gets ``P1.Cl``. None when no requested vector can be met.
    Raises ``schemas.vot.VectorError`` for a malformed credential or vector.
    """
    reached = identity_component(identity.level)
    credential_vector = Vector.parse(credential)
    if not vtr:
        if reached == "P0":
            return credential_vector.render()
        return Vector(credential_vector.components | {reached}).render()
    held = credential_vector.components | frozenset(_P_ORDER[: _P_ORDER.index(reached) + 1])
    achieved = Vector(held)
    for text in vtr:
        requested = Vector.parse(text)
        if achieved.satisfies(requested):
            return requested.render()
    return None


def acr_for(identity: Identity) -> str:
    """The ``acr`` value for the level reached (``idp.core.discovery.ACR_VALUES``)."""
    return f"urn:ukid:gpg45:{identity.level.value if identity.level is not None else 'none'}"

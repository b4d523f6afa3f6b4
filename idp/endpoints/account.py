"""The citizen's account page: what they have shared, with whom, and how sure the provider is of
who they are (issue 6, "the citizen's control").

- Every release of data (``releases``: organisation, claims, channel, when, at what level of
  confidence), recorded by :func:`idp.core.claims.release_claims`.
- The consents they have given (OpenID Connect Core 1.0 §3.1.2.4), each with a "Withdraw consent"
  form: ``POST /account/consents/revoke`` marks the consent revoked AND revokes every grant of that
  client for this citizen with its access and refresh tokens (RFC 7009 §2.1 semantics, in one
  transaction), so the next authorization asks for consent again. A consent that is not the signed-in
  citizen's (another citizen's, unknown, or already withdrawn) is refused with one message that does
  not say which, and nothing changes.
- Their evidence (OIDC for Identity Assurance 1.0 §5.1.1 objects with their GPG 45 scores) and their
  level of confidence, always computed by ``schemas.gpg45.evaluate`` from the scores
  (:func:`idp.core.identity.identity_of`), explained as the GPG 45 profile met and its minimums.

Evidence cannot be removed here: only consents are revocable. Every form carries a CSRF token bound
to the browser cookie and the account (:func:`idp.core.interaction.csrf_token`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from idp.core.dates import long_time
from idp.core.errors import InvalidRequest
from idp.core.identity import Identity, identity_of, scores_of
from idp.core.interaction import InteractionProblem, check_csrf, csrf_token
from idp.endpoints._citizen import current_citizen, sign_in_first
from idp.endpoints._http import Routes, read_form, services
from idp.endpoints._pages import Pages, browser_cookie, see_other
from idp.endpoints._text import claim_label, text_for
from idp.endpoints.login import form_problem
from idp.services import IdpServices
from idp.store.accounts import Account, EvidenceRecord
from idp.store.interactions import Consent
from schemas.gpg45 import Gpg45Scores, profile

__all__ = ["consent_reference", "router"]

REVOKE_FIELDS = ("csrf_token", "consent")
_LOCALE = "en"
_SCORE_NAMES = ("strength", "validity", "activity_history", "identity_fraud", "verification")


def consent_reference(account_id: str, client_id: str) -> str:
    """How a consent is named in the withdraw form: the account and the client (a client ID has no
    space; an account ID is a UUID)."""
    return f"{account_id} {client_id}"


def _purpose(account: Account) -> str:
    return f"account:{account.id}:consents"


@dataclass(frozen=True)
class Explanation:
    """How the level of confidence was reached: the profile met, its minimums and the scores."""

    level: str | None
    profile: str | None
    needs: list[str]
    scores: list[str]
    profiles_met: list[str]
    has_evidence: bool


def _pieces(words: Mapping[str, str], pieces: Any, key: str) -> list[str]:
    return [words[key].format(strength=s, validity=v) for s, v in pieces]


def explain(identity: Identity, records: list[EvidenceRecord], words: Mapping[str, str]) -> Explanation:
    """The level, the GPG 45 profile that gives it (the held element's ``procedure``) with its
    minimum scores, and the citizen's scores (read back from the held element when a level is
    reached, so they are exactly the evaluated ones)."""
    scores: Gpg45Scores | None = None
    best: str | None = None
    if identity.verified_claims is not None:
        verification = identity.verified_claims.verification
        scores = verification.gpg45
        process = verification.assurance_process
        best = process.procedure.upper() if process is not None and process.procedure else None
    elif records:
        scores = scores_of(records)
    needs: list[str] = []
    if best is not None:
        met = profile(best)
        needs = _pieces(words, met.evidence, "account_piece_needed")
        for key, value in (
            ("account_activity_needed", met.activity_history),
            ("account_fraud_needed", met.identity_fraud),
            ("account_verification_needed", met.verification),
        ):
            if value:
                needs.append(words[key].format(score=value))
    shown: list[str] = []
    if scores is not None:
        pieces = [(p.strength, p.validity) for p in scores.evidence]
        shown = _pieces(words, pieces, "account_piece") or [words["account_no_pieces"]]
        shown += [
            words["account_activity"].format(score=scores.activity_history),
            words["account_fraud"].format(score=scores.identity_fraud),
            words["account_verification"].format(score=scores.verification),
        ]
    return Explanation(
        level=identity.level.label if identity.level is not None else None,
        profile=best,
        needs=needs,
        scores=shown,
        profiles_met=list(identity.profiles),
        has_evidence=bool(records),
    )


@dataclass(frozen=True)
class EvidenceRow:
    """One piece of evidence on the page."""

    id: str
    kind: str
    detail: str | None
    checks: list[str]
    scores: str
    when: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def evidence_row(record: EvidenceRecord, words: Mapping[str, str]) -> EvidenceRow:
    """A record in words; its evidence object is read defensively (it is shown, never trusted)."""
    item = record.evidence if isinstance(record.evidence, dict) else {}
    detail: str | None = None
    if record.type == "document" and isinstance(item.get("document_details"), dict):
        kind = _text(item["document_details"].get("type"))
        detail = words.get(f"document_{kind}", kind) if kind else None
    elif record.type == "electronic_record" and isinstance(item.get("record"), dict):
        kind = _text(item["record"].get("type"))
        detail = words.get(f"record_{kind}", kind) if kind else None
    elif record.type == "vouch" and isinstance(item.get("attestation"), dict):
        voucher = item["attestation"].get("voucher")
        if isinstance(voucher, dict):
            detail = words["account_vouched_by"].format(
                name=_text(voucher.get("name")) or "",
                occupation=_text(voucher.get("occupation")) or "",
                organization=_text(voucher.get("organization")) or "",
            )
    checks = []
    details = item.get("check_details")
    for check in details if isinstance(details, list) else ():
        method = _text(check.get("check_method")) if isinstance(check, dict) else None
        if method:
            checks.append(words.get(f"check_{method}", method))
    scores = ", ".join(
        words[f"account_score_{name}"].format(score=record.scores[name])
        for name in _SCORE_NAMES
        if name in record.scores
    )
    return EvidenceRow(
        id=record.id,
        kind=words.get(f"evidence_{record.type}", record.type),
        detail=detail,
        checks=checks,
        scores=scores,
        when=long_time(record.verified_at),
    )


@dataclass(frozen=True)
class ReleaseRow:
    """One release of data on the page."""

    organisation: str
    client_id: str
    claims: list[str]
    channel: str
    when: str
    level: str


def _claim_words(name: str, words: Mapping[str, str]) -> str:
    if name.startswith("verified_claims."):
        return words["account_checked"].format(
            claim=claim_label(_LOCALE, name.removeprefix("verified_claims."))
        )
    return claim_label(_LOCALE, name)


@dataclass(frozen=True)
class ConsentRow:
    """One standing consent on the page, with its withdraw form's reference."""

    reference: str
    organisation: str
    client_id: str
    claims: list[str]
    since: str


def consent_row(consent: Consent, words: Mapping[str, str]) -> ConsentRow:
    """A consent in words."""
    return ConsentRow(
        reference=consent_reference(consent.account_id, consent.client_id),
        organisation=consent.organization_name or consent.client_id,
        client_id=consent.client_id,
        claims=[claim_label(_LOCALE, name) for name in sorted(consent.claims)]
        or [words["account_only_sign_in"]],
        since=long_time(consent.granted_at),
    )


def _page(
    pages: Pages,
    found: IdpServices,
    account: Account,
    browser_id: str,
    *,
    error: str | None = None,
    withdrawn: bool = False,
) -> Response:
    words = text_for(_LOCALE)
    now = found.now()
    records = [r for r in found.accounts.evidence_of(account.id) if r.verified_at <= now]
    identity = identity_of(found.accounts, account, now)
    releases = [
        ReleaseRow(
            organisation=release.organization_name or release.client_id,
            client_id=release.client_id,
            claims=[_claim_words(name, words) for name in release.claims],
            channel=words.get(f"account_channel_{release.channel}", release.channel),
            when=long_time(release.released_at),
            level=release.level.replace("_", " ") if release.level else words["account_not_applicable"],
        )
        for release in reversed(found.grants.releases_of(account.id))
    ]
    return pages.render(
        "account_page.html",
        locale=_LOCALE,
        status=400 if error else 200,
        username=account.username,
        csrf_token=csrf_token(found.config.pairwise_salt, browser_id, _purpose(account)),
        explanation=explain(identity, records, words),
        evidence=[evidence_row(record, words) for record in records],
        releases=releases,
        consents=[consent_row(c, words) for c in found.interactions.consents_of(account.id)],
        error=error,
        withdrawn=withdrawn,
    )


def router(pages: Pages) -> Routes:
    """``GET /account`` and ``POST /account/consents/revoke``."""
    routes = Routes()

    @routes.get("/account", summary="The citizen's account page")
    async def account_page(request: Request) -> Response:
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(pages, request)
        found = services(request)
        browser_id, new = browser_cookie(request)
        response = _page(
            pages, found, citizen[1], browser_id, withdrawn=request.query_params.get("withdrawn") == "1"
        )
        return pages.keep_browser(response, browser_id, new)

    @routes.post("/account/consents/revoke", summary="Withdraw a consent and revoke the client's tokens")
    async def revoke(request: Request) -> Response:
        try:
            form = await read_form(request, allowed=REVOKE_FIELDS)
        except InvalidRequest as exc:
            return pages.problem(form_problem(exc))
        citizen = current_citizen(request)
        if citizen is None:
            return see_other(f"{pages.base}/signin?next=%2Faccount")
        found = services(request)
        account = citizen[1]
        browser_id, new = browser_cookie(request)
        words = text_for(_LOCALE)
        try:
            check_csrf(
                found.config.pairwise_salt,
                None if new else browser_id,
                _purpose(account),
                form.get("csrf_token"),
            )
        except InteractionProblem:
            response = _page(pages, found, account, browser_id, error=words["account_csrf"])
            return pages.keep_browser(response, browser_id, new)
        owner, _space, client_id = (form.get("consent") or "").partition(" ")
        withdrawn = False
        if owner == account.id and client_id:
            with found.grants.transaction() as connection:
                withdrawn = found.interactions.revoke_consent(connection, account.id, client_id)
                if withdrawn:
                    found.grants.revoke_client_grants(connection, account.id, client_id, found.now())
        if not withdrawn:
            return _page(pages, found, account, browser_id, error=words["account_not_yours"])
        return see_other(f"{pages.base}/account?withdrawn=1")

    return routes

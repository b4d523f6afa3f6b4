"""The proofing journey in the account area (issue 6): where the citizen is and what would take them
further (GPG 45 §Identity profiles), a document check with a simulated face comparison, and
knowledge-based questions, all in sandbox mode (``idp.core.proofing``).

- ``GET /account/proofing``: the level (``idp.core.identity.identity_of``), the profiles met, the
  scores, and what each step not yet done would give (``idp.core.proofing.explain``); with a link
  back to an authorization the citizen left to prove their identity (``idp.endpoints.step_up``).
- ``GET /account/proofing/document``, ``GET|POST /account/proofing/document/passport`` and
  ``/driving-licence``: the document's details; then ``POST /account/proofing/document/face``
  records the ``document`` evidence, with ``bvr`` when the (simulated) face comparison was made.
- ``GET|POST /account/proofing/kbv``: the questions; enough right answers record
  ``electronic_record`` evidence.

Every form has a CSRF token bound to the browser cookie, the step and the account; without a live
session the browser is sent to sign in. A refusal says why in words and writes nothing, except a
counted failure (``proofing_attempts``), which is what the step's rate limit counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from idp.core.errors import InvalidRequest
from idp.core.interaction import InteractionProblem, check_csrf, csrf_token
from idp.core.proofing import journey
from idp.core.proofing.documents import (
    CheckedDocument,
    DocumentProblem,
    LicenceEntry,
    PassportEntry,
    check_licence,
    check_passport,
)
from idp.core.proofing.held import HeldProblem, hold, release
from idp.core.proofing.kbv import PASS_MARK
from idp.endpoints._citizen import current_citizen, sign_in_first
from idp.endpoints._http import Params, Routes, read_form, services
from idp.endpoints._pages import BROWSER_COOKIE, Pages, browser_cookie, cookie_value, see_other
from idp.endpoints._text import text_for
from idp.endpoints.login import form_problem
from idp.endpoints.step_up import return_link
from idp.store.accounts import Account

__all__ = ["router"]

_LOCALE = "en"
_NAMES = ("given_names", "family_name")
_DATES = {"passport": ("birth", "expiry"), "driving_permit": ("birth", "issued", "expiry")}
_NUMBERS = {"passport": ("passport_number", "mrz"), "driving_permit": ("licence_number",)}
_PATHS = {"passport": "passport", "driving_permit": "driving-licence"}
_STEP_PATHS = {
    "passport": "/account/proofing/document/passport",
    "driving_permit": "/account/proofing/document/driving-licence",
    "kbv": "/account/proofing/kbv",
}
_DONE = {"document-passport", "document-driving_permit", "kbv"}


def _date_fields(prefix: str) -> tuple[str, str, str]:
    return f"{prefix}_day", f"{prefix}_month", f"{prefix}_year"


def _fields(kind: str) -> tuple[str, ...]:
    dates = tuple(name for prefix in _DATES[kind] for name in _date_fields(prefix))
    return ("csrf_token", *_NAMES, *dates, *_NUMBERS[kind])


def _purpose(step: str, account: Account) -> str:
    return f"proofing:{step}:{account.id}"


@dataclass
class _Errors:
    """Form errors: (the id of the input to link to, the message), in page order."""

    items: list[tuple[str, str]]

    def add(self, anchor: str, message: str) -> None:
        self.items.append((anchor, message))

    def fields(self) -> set[str]:
        return {anchor.rsplit("_day", 1)[0] for anchor, _ in self.items}


def _words(key: str, **params: str) -> str:
    return text_for(_LOCALE)[key].format(**params)


def _tries(left: int | None) -> str | None:
    if left is None:
        return None
    if left <= 1:
        return _words(f"tries_left_{max(left, 0)}")
    return _words("tries_left", left=str(left))


def _date(form: Params, prefix: str, errors: _Errors, key: str) -> date | None:
    day, month, year = (form.get(name) for name in _date_fields(prefix))
    if day is None and month is None and year is None:
        errors.add(f"{prefix}_day", _words(f"err_{key}_missing"))
        return None
    try:
        found = date(int(year or ""), int(month or ""), int(day or ""))
    except ValueError:
        errors.add(f"{prefix}_day", _words(f"err_{key}_invalid"))
        return None
    if not 1900 <= found.year <= 2200:
        errors.add(f"{prefix}_day", _words(f"err_{key}_invalid"))
        return None
    return found


def _parse_document(kind: str, form: Params, today: date) -> tuple[CheckedDocument | None, _Errors]:
    """The document entered, checked (``documents``); else the errors to show."""
    errors = _Errors([])
    given, family = form.get("given_names"), form.get("family_name")
    if given is None or not given.strip():
        errors.add("given_names", _words("err_given_names"))
    if family is None or not family.strip():
        errors.add("family_name", _words("err_family_name"))
    birthdate = _date(form, "birth", errors, "birthdate")
    issued = _date(form, "issued", errors, "issued") if kind == "driving_permit" else None
    expiry = _date(form, "expiry", errors, "expiry")
    for name in _NUMBERS[kind]:
        if form.get(name) is None:
            errors.add(name, _words(f"err_{name}"))
    if errors.items:
        return None, errors
    assert given and family and birthdate and expiry
    try:
        if kind == "passport":
            entry = PassportEntry(
                given, family, birthdate, form.require("passport_number"), expiry, form.require("mrz")
            )
            return check_passport(entry, today), errors
        assert issued is not None
        licence = LicenceEntry(given, family, birthdate, form.require("licence_number"), issued, expiry)
        return check_licence(licence, today), errors
    except DocumentProblem as exc:
        anchor = {"birthdate": "birth_day", "expiry": "expiry_day", "issued": "issued_day"}.get(
            exc.field, exc.field
        )
        errors.add(anchor, _words(exc.words, **exc.params))
        return None, errors


@dataclass(frozen=True)
class _Shown:
    """What a form page shows again after a refusal: the values sent, the errors, the tries left."""

    form: Params | None = None
    errors: _Errors = field(default_factory=lambda: _Errors([]))
    status: int = 200
    tries: str | None = None

    def context(self) -> dict[str, Any]:
        return {
            "values": self.form.as_dict() if self.form is not None else {},
            "errors": self.errors.items,
            "error_fields": self.errors.fields(),
            "tries": self.tries,
        }


class _Journey:
    """The handlers of the proofing pages."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        purpose: str | None = None,
        **context: Any,
    ) -> Response:
        """The page, with a CSRF token for ``purpose`` bound to the browser cookie (set if new)."""
        browser_id, new_browser = browser_cookie(request)
        config = services(request).config
        token = csrf_token(config.pairwise_salt, browser_id, purpose) if purpose is not None else None
        response = self.pages.render(template, locale=_LOCALE, status=status, token=token, **context)
        return self.pages.keep_browser(response, browser_id, new_browser)

    def refused(self, request: Request, exc: journey.StepRefused, *, status: int = 400) -> Response:
        """A step that cannot be done (429 past the rate limit)."""
        limited = exc.words == "limit_reached"
        return self.render(
            request,
            "proofing_refused.html",
            status=429 if limited else status,
            title_key="limit_title" if limited else "refused_title",
            message=_words(exc.words, **exc.params),
            vouch=exc.words == "kbv_no_record",
        )

    @staticmethod
    async def posted(request: Request, account: Account, step: str, allowed: tuple[str, ...]) -> Params:
        """The form, read strictly and its CSRF token checked (``InteractionProblem`` if not)."""
        try:
            form = await read_form(request, allowed=allowed)
        except InvalidRequest as exc:
            raise form_problem(exc) from None
        check_csrf(
            services(request).config.pairwise_salt,
            cookie_value(request, BROWSER_COOKIE),
            _purpose(step, account),
            form.get("csrf_token"),
        )
        return form

    async def start(self, request: Request) -> Response:
        """``GET /account/proofing``."""
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(self.pages, request)
        done = request.query_params.get("done")
        found = journey.position(services(request), citizen[1])
        return self.render(
            request,
            "proofing_start.html",
            position=found,
            done=done if done in _DONE else None,
            step_paths=_STEP_PATHS,
            step_up_return=await return_link(self.pages, request),
        )

    async def choose(self, request: Request) -> Response:
        """``GET /account/proofing/document``."""
        if current_citizen(request) is None:
            return sign_in_first(self.pages, request)
        return self.render(request, "proofing_document.html", kind=None)

    def document_form(self, request: Request, account: Account, kind: str, shown: _Shown) -> Response:
        """The document's form, perhaps with errors."""
        return self.render(
            request,
            "proofing_document.html",
            kind=kind,
            path=_PATHS[kind],
            status=shown.status,
            purpose=_purpose("document", account),
            **shown.context(),
        )

    async def document_page(self, request: Request, kind: str) -> Response:
        """``GET /account/proofing/document/<kind>``."""
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(self.pages, request)
        return self.document_form(request, citizen[1], kind, _Shown())

    async def document_check(self, request: Request, kind: str) -> Response:
        """``POST /account/proofing/document/<kind>``: the details, then the face comparison page."""
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(self.pages, request)
        account = citizen[1]
        found = services(request)
        try:
            form = await self.posted(request, account, "document", _fields(kind))
            journey.check_limit(found, account.id, journey.DOCUMENT)
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        except journey.StepRefused as exc:
            return self.refused(request, exc)
        document, errors = _parse_document(kind, form, journey.day_of(found.now()))
        if document is None:
            return self.document_form(request, account, kind, _Shown(form, errors, 400))
        try:
            journey.vet_document(found, account, document)
        except journey.StepRefused as exc:
            if exc.words == "limit_reached":
                return self.refused(request, exc)
            errors.add(_NUMBERS[kind][0], _words(exc.words, **exc.params))
            return self.document_form(request, account, kind, _Shown(form, errors, 400, _tries(exc.left)))
        return self.render(
            request,
            "proofing_face.html",
            document=_words(f"doc_name_{kind}"),
            held=hold(found.config.pairwise_salt, account.id, document, found.now()),
            purpose=_purpose("face", account),
        )

    async def face(self, request: Request) -> Response:
        """``POST /account/proofing/document/face``: record the document, with ``bvr`` if compared."""
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(self.pages, request)
        account = citizen[1]
        found = services(request)
        try:
            form = await self.posted(request, account, "face", ("csrf_token", "held", "comparison"))
            document = release(found.config.pairwise_salt, account.id, form.get("held"), found.now())
            record = journey.record_document(
                found, account, document, biometric=form.get("comparison") == "compare"
            )
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        except HeldProblem:
            return self.refused(request, journey.StepRefused("held_expired"))
        except journey.StepRefused as exc:
            return self.refused(request, exc)
        kind = record.evidence["document_details"]["type"]
        return see_other(f"{self.pages.base}/account/proofing?done=document-{kind}")

    def kbv_page(self, request: Request, account: Account, shown: _Shown) -> Response:
        """The questions, perhaps with errors; a refusal when there is nothing to ask."""
        found = services(request)
        try:
            questions = journey.kbv_questions(found, account)
        except journey.StepRefused as exc:
            return self.refused(request, exc, status=200 if shown.form is None else 400)
        return self.render(
            request,
            "proofing_kbv.html",
            questions=questions,
            mark=str(min(PASS_MARK, len(questions))),
            count=str(len(questions)),
            status=shown.status,
            purpose=_purpose("kbv", account),
            **shown.context(),
        )

    async def kbv(self, request: Request) -> Response:
        """``GET /account/proofing/kbv``."""
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(self.pages, request)
        return self.kbv_page(request, citizen[1], _Shown())

    async def kbv_answers(self, request: Request) -> Response:
        """``POST /account/proofing/kbv``."""
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(self.pages, request)
        account = citizen[1]
        found = services(request)
        try:
            form = await self.posted(request, account, "kbv", ("csrf_token", "q1", "q2", "q3", "q4"))
            journey.answer_kbv(found, account, form.as_dict())
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        except journey.StepRefused as exc:
            if exc.words in ("kbv_answer_all", "kbv_wrong"):
                errors = _Errors([(exc.field or "q1", _words(exc.words))])
                return self.kbv_page(request, account, _Shown(form, errors, 400, _tries(exc.left)))
            return self.refused(request, exc)
        return see_other(f"{self.pages.base}/account/proofing?done=kbv")


def router(pages: Pages) -> Routes:
    """The proofing journey's routes, under ``/account/proofing``."""
    routes = Routes()
    handlers = _Journey(pages)
    routes.get("/account/proofing", summary="Where the citizen is and what would take them further")(
        handlers.start
    )
    routes.get("/account/proofing/document", summary="Choose a document to check (sandbox)")(handlers.choose)
    for kind, path in _PATHS.items():

        async def page(request: Request, kind: str = kind) -> Response:
            return await handlers.document_page(request, kind)

        async def check(request: Request, kind: str = kind) -> Response:
            return await handlers.document_check(request, kind)

        page.__name__, check.__name__ = f"proofing_{kind}_page", f"proofing_{kind}_check"
        routes.get(f"/account/proofing/document/{path}", summary=f"The {kind} details")(page)
        routes.post(f"/account/proofing/document/{path}", summary=f"Check the {kind}")(check)
    routes.post("/account/proofing/document/face", summary="The simulated face comparison (bvr)")(
        handlers.face
    )
    routes.get("/account/proofing/kbv", summary="Knowledge-based questions (sandbox credit file)")(
        handlers.kbv
    )
    routes.post("/account/proofing/kbv", summary="Mark the answers")(handlers.kbv_answers)
    return routes

"""The proofing journey's steps, without HTTP: limits, checks against the account, recording.

Each step is limited to :attr:`idp.store.proofing.ProofingStore.limit` failed attempts in a rolling
window (GPG 45 expects repeated failures to be treated as a fraud signal; a rolling window never
locks a citizen out for good). A form that cannot be read, a document that fails its own format or
check digits, and a step already done are refused without counting (they write nothing); a
document reported cancelled, details that do not match the account, and wrong answers are counted
failures. Past the limit the step is refused and nothing new is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from idp.core.dates import long_date
from idp.core.identity import Identity, identity_of, scores_of
from idp.core.proofing.documents import CheckedDocument
from idp.core.proofing.evidence import document_evidence, document_scores, kbv_evidence, kbv_scores
from idp.core.proofing.explain import Outlook, outlook
from idp.core.proofing.kbv import PASS_MARK, Question, marked, questions_for
from idp.core.proofing.sandbox import CANCELLED_DOCUMENTS, CreditRecord, credit_records
from idp.services import IdpServices
from idp.store.accounts import Account, EvidenceRecord
from idp.store.proofing import RateLimit
from schemas.gpg45 import Gpg45Scores

__all__ = [
    "DOCUMENT",
    "KBV",
    "Position",
    "StepRefused",
    "answer_kbv",
    "check_limit",
    "credit_file",
    "day_of",
    "kbv_questions",
    "position",
    "record_document",
    "vet_document",
]

DOCUMENT = "document"
KBV = "kbv"


class StepRefused(Exception):
    """A step refused: ``words`` (a key of the page words) filled with ``params``; ``left`` is the
    number of attempts left when this refusal was a counted failure."""

    def __init__(
        self, words: str, *, field: str | None = None, left: int | None = None, **params: str
    ) -> None:
        super().__init__(words)
        self.words = words
        self.field = field
        self.left = left
        self.params = params


def day_of(now: int) -> date:
    """The UTC date at ``now``."""
    return datetime.fromtimestamp(now, UTC).date()


def _moment(seconds: int) -> str:
    at = datetime.fromtimestamp(seconds, UTC)
    return f"{at:%H:%M} UTC on {long_date(at.date())}"


def check_limit(services: IdpServices, account_id: str, kind: str) -> RateLimit:
    """The step's limit; ``StepRefused`` (nothing recorded) when it has been reached."""
    rate = services.proofing.rate_limit(account_id, kind)
    if rate.exceeded:
        assert rate.eases_at is not None
        raise StepRefused("limit_reached", limit=str(rate.limit), when=_moment(rate.eases_at))
    return rate


def _failed(services: IdpServices, account_id: str, kind: str, rate: RateLimit, words: str) -> StepRefused:
    services.proofing.record(account_id, kind, succeeded=False)
    return StepRefused(words, left=rate.remaining - 1)


def _evidence(services: IdpServices, account: Account) -> list[EvidenceRecord]:
    now = services.now()
    return [r for r in services.accounts.evidence_of(account.id) if r.verified_at <= now]


def documents_held(records: Sequence[EvidenceRecord]) -> set[str]:
    """The document types the citizen has proved (``passport``, ``driving_permit`` ...)."""
    return {
        str(r.evidence.get("document_details", {}).get("type"))
        for r in records
        if r.type == "document" and isinstance(r.evidence.get("document_details"), dict)
    }


def answered_questions(records: Sequence[EvidenceRecord]) -> bool:
    """True when knowledge-based verification is already in the citizen's evidence."""
    return any(
        check.get("check_method") == "kbv"
        for r in records
        for check in r.evidence.get("check_details") or ()
        if isinstance(check, dict)
    )


def _first(name: str) -> str:
    parts = name.split()
    return parts[0].casefold() if parts else ""


def _matches(account: Account, document: CheckedDocument) -> bool:
    """The document names the account's citizen: each of the account's name and date of birth that
    is held must agree (first given name, family name, case and spacing ignored)."""
    claims = account.claims
    given, family, born = claims.get("given_name"), claims.get("family_name"), claims.get("birthdate")
    if isinstance(given, str) and _first(given) != _first(document.given_names):
        return False
    if isinstance(family, str) and " ".join(family.split()).casefold() != document.family_name.casefold():
        return False
    return not (isinstance(born, str) and born != document.birthdate.isoformat())


def vet_document(services: IdpServices, account: Account, document: CheckedDocument) -> None:
    """Check a well-formed document against the citizen's evidence, the sandbox's cancelled documents
    and the account; ``StepRefused`` if it cannot be used."""
    rate = check_limit(services, account.id, DOCUMENT)
    if document.kind in documents_held(_evidence(services, account)):
        raise StepRefused(f"doc_already_{document.kind}")
    if document.number in CANCELLED_DOCUMENTS:
        raise _failed(services, account.id, DOCUMENT, rate, "doc_cancelled")
    if not _matches(account, document):
        raise _failed(services, account.id, DOCUMENT, rate, "doc_mismatch")


def record_document(
    services: IdpServices, account: Account, document: CheckedDocument, *, biometric: bool
) -> EvidenceRecord:
    """Record the checked document as ``document`` evidence (after the face comparison step)."""
    check_limit(services, account.id, DOCUMENT)
    if document.kind in documents_held(_evidence(services, account)):
        raise StepRefused(f"doc_already_{document.kind}")
    now = services.now()
    evidence = document_evidence(
        document, biometric=biometric, organization=services.config.organization_name, now=now
    )
    with services.accounts.transaction() as connection:  # the evidence and its attempt, or neither
        record = services.accounts.add_evidence(
            account.id,
            "document",
            evidence,
            document_scores(document.kind, biometric=biometric),
            connection=connection,
        )
        services.proofing.record(account.id, DOCUMENT, succeeded=True, connection=connection)
    return record


def credit_file(account: Account) -> tuple[CreditRecord, ...]:
    """The sandbox credit file of the account's citizen (by name and date of birth)."""
    claims = account.claims
    given, family, born = claims.get("given_name"), claims.get("family_name"), claims.get("birthdate")
    if not (isinstance(given, str) and isinstance(family, str) and isinstance(born, str)):
        return ()
    return credit_records(given, family, born)


def kbv_questions(services: IdpServices, account: Account) -> tuple[Question, ...]:
    """The citizen's questions; ``StepRefused`` when there is nothing to ask or it is done."""
    found = credit_file(account)
    if not found:
        raise StepRefused("kbv_no_record")
    if answered_questions(_evidence(services, account)):
        raise StepRefused("kbv_already")
    return questions_for(services.config.pairwise_salt, account.id, found, day_of(services.now()))


def answer_kbv(services: IdpServices, account: Account, answers: Mapping[str, str]) -> EvidenceRecord:
    """Mark the answers; record ``electronic_record`` evidence when enough are right."""
    questions = kbv_questions(services, account)
    rate = check_limit(services, account.id, KBV)
    for question in questions:
        if answers.get(question.name) not in question.options:
            raise StepRefused("kbv_answer_all", field=question.name)
    if marked(questions, answers) < min(PASS_MARK, len(questions)):
        raise _failed(services, account.id, KBV, rate, "kbv_wrong")
    now = services.now()
    scores = kbv_scores(credit_file(account), day_of(now))
    with services.accounts.transaction() as connection:  # the evidence and its attempt, or neither
        record = services.accounts.add_evidence(
            account.id,
            "electronic_record",
            kbv_evidence(services.config.organization_name, now),
            scores,
            connection=connection,
        )
        services.proofing.record(account.id, KBV, succeeded=True, connection=connection)
    return record


@dataclass(frozen=True)
class Position:
    """Where the citizen is: their identity (level, profiles), scores, and the outlook."""

    identity: Identity
    scores: Gpg45Scores
    outlook: Outlook
    documents: frozenset[str]
    answered: bool
    has_credit_file: bool


def position(services: IdpServices, account: Account) -> Position:
    """The citizen's position and what each step not yet done would add (``explain.outlook``)."""
    now = services.now()
    records = _evidence(services, account)
    held = documents_held(records)
    answered = answered_questions(records)
    found = credit_file(account)
    steps: dict[str, dict[str, int]] = {}
    for kind in ("passport", "driving_permit"):
        if kind not in held:
            steps[kind] = document_scores(kind, biometric=True)
    if found and not answered:
        steps["kbv"] = kbv_scores(found, day_of(now))
    scores = scores_of(records)
    return Position(
        identity=identity_of(services.accounts, account, now),
        scores=scores,
        outlook=outlook(scores, steps),
        documents=frozenset(held),
        answered=answered,
        has_credit_file=bool(found),
    )

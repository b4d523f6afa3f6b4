"""Knowledge-based verification (GPG 45 §Verification) on the sandbox's credit file.

Multiple-choice questions about the citizen's own accounts (which lender, the year it was opened,
the monthly payment), each with plausible wrong options. The questions and the order of the
options are fixed per citizen (derived from a keyed hash of the account), so a page reload or a
second try shows the same questions and guessing gains nothing but the attempts it costs.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from idp.core.proofing.sandbox import LENDERS, PAYMENT_BANDS, CreditRecord

__all__ = ["PASS_MARK", "Question", "marked", "questions_for"]

#: Correct answers needed (out of 4 questions, or of 3 for a file with one account).
PASS_MARK = 3


@dataclass(frozen=True)
class Question:
    """One question: the words are ``prompt`` (a key of the page words) filled with ``params``."""

    name: str
    prompt: str
    params: Mapping[str, str]
    options: tuple[str, ...]
    answer: str = field(repr=False)


def _rng(salt: bytes, account_id: str) -> random.Random:
    seed = hmac.new(salt, f"kbv\x00{account_id}".encode(), hashlib.sha256).digest()
    return random.Random(int.from_bytes(seed, "big"))  # a shuffle, not a secret


def _lender(rng: random.Random, record: CreditRecord, held: set[str]) -> tuple[str, tuple[str, ...]]:
    wrong = rng.sample([name for name in LENDERS if name not in held], 3)
    options = [record.lender, *wrong]
    rng.shuffle(options)
    return "kbv_q_lender", tuple(options)


def _year(rng: random.Random, record: CreditRecord, today: date) -> tuple[str, tuple[str, ...]]:
    near = [y for y in range(record.opened - 4, record.opened + 5) if y != record.opened and y <= today.year]
    years = sorted([record.opened, *rng.sample(near, 3)])
    return "kbv_q_year", tuple(str(y) for y in years)


def questions_for(
    salt: bytes, account_id: str, records: tuple[CreditRecord, ...], today: date
) -> tuple[Question, ...]:
    """The citizen's questions: for the two accounts chosen, which lender and when it was opened
    (first account) or how much is paid each month (second); a file with one account gets all three
    about it. Empty when the file is empty."""
    if not records:
        return ()
    rng = _rng(salt, account_id)
    chosen = rng.sample(list(records), min(2, len(records)))
    held = {r.lender for r in records}
    kinds = (
        (("lender", "year"), ("lender", "payment")) if len(chosen) == 2 else (("lender", "year", "payment"),)
    )
    found: list[Question] = []
    for record, asked in zip(chosen, kinds, strict=True):
        params = {"lender": record.lender, "product": f"kbv_product_{record.product}"}
        for kind in asked:
            if kind == "lender":
                prompt, options = _lender(rng, record, held)
                answer = record.lender
            elif kind == "year":
                prompt, options = _year(rng, record, today)
                answer = str(record.opened)
            else:
                prompt, options = "kbv_q_payment", PAYMENT_BANDS
                answer = PAYMENT_BANDS[record.payment_band]
            found.append(Question(f"q{len(found) + 1}", prompt, params, options, answer))
    return tuple(found)


def marked(questions: tuple[Question, ...], answers: Mapping[str, str]) -> int:
    """How many answers are right (the caller has checked that each answer is one of the options)."""
    return sum(1 for q in questions if answers.get(q.name) == q.answer)

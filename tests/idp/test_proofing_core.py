"""The proofing journey's logic without HTTP: ICAO 9303 check digits, the DVLA driver number, the
GPG 45 scores each step records, what-would-take-you-further derived from the GPG 45 profiles, the
knowledge-based questions, and the held document's signature."""

from __future__ import annotations

from datetime import date

import pytest

from idp.core.proofing.documents import (
    DocumentProblem,
    LicenceEntry,
    PassportEntry,
    check_digit,
    check_licence,
    check_passport,
    licence_prefix,
)
from idp.core.proofing.evidence import activity_history_score, document_scores, kbv_scores
from idp.core.proofing.explain import nearest_gaps, outlook, with_step
from idp.core.proofing.held import HELD_LIFETIME, HeldProblem, hold, release
from idp.core.proofing.kbv import marked, questions_for
from idp.core.proofing.sandbox import PAYMENT_BANDS, credit_records
from idp.endpoints._text import TEXT
from idp.endpoints._words_proofing import WORDS
from schemas.gpg45 import EvidenceScore, Gpg45Scores, LevelOfConfidence, evaluate
from tests.idp.proofingkit import licence_number, mrz_line_2

TODAY = date(2026, 3, 1)
SPECIMEN = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"  # ICAO 9303 Part 4 Appendix B (TD3)


def test_icao_9303_part3_4_9_check_digits_of_the_specimen() -> None:
    assert check_digit("L898902C3") == 6
    assert check_digit("740812") == 2
    assert check_digit("120415") == 9
    assert check_digit("ZE184226B<<<<<") == 1
    assert check_digit(SPECIMEN[0:10] + SPECIMEN[13:20] + SPECIMEN[21:43]) == 0
    assert (
        mrz_line_2(
            "L898902C3",
            date(1974, 8, 12),
            date(2012, 4, 15),
            sex="F",
            nationality="UTO",
            personal="ZE184226B",
        )
        == SPECIMEN
    )


def _passport(mrz: str, **changes: object) -> PassportEntry:
    values: dict[str, object] = {
        "given_names": "Alex",
        "family_name": "Carter",
        "birthdate": date(1990, 5, 17),
        "number": "123456782",
        "expiry": date(2031, 6, 30),
        "mrz_line_2": mrz,
    }
    values.update(changes)
    return PassportEntry(**values)  # type: ignore[arg-type]


def test_icao_9303_td3_line_2_accepted_and_each_check_digit_refused() -> None:
    good = mrz_line_2("123456782", date(1990, 5, 17), date(2031, 6, 30))
    checked = check_passport(_passport(good), TODAY)
    assert (checked.kind, checked.number, checked.nationality) == ("passport", "123456782", "GBR")
    for index, words in ((9, "number"), (19, "birthdate"), (27, "expiry"), (43, "composite")):
        wrong = good[:index] + str((int(good[index]) + 1) % 10) + good[index + 1 :]
        with pytest.raises(DocumentProblem) as caught:
            check_passport(_passport(wrong), TODAY)
        assert caught.value.words == f"doc_mrz_check_{words}"


def test_passport_expired_refused_with_the_date() -> None:
    expiry = date(2025, 12, 31)
    with pytest.raises(DocumentProblem) as caught:
        check_passport(_passport(mrz_line_2("123456782", date(1990, 5, 17), expiry), expiry=expiry), TODAY)
    assert (caught.value.words, caught.value.params) == ("doc_passport_expired", {"date": "31 December 2025"})


def test_dvla_driver_number_from_name_and_birth_date() -> None:
    assert licence_prefix("Morgan", "Sian Mair", date(1976, 3, 11)) == ("MORGA", ("703116", "753116"), "SM")
    assert licence_prefix("MacDonald", "Ian", date(1968, 12, 1)) == ("MCDON", ("612018", "662018"), "I9")
    assert licence_prefix("Ng", "Li", date(2001, 7, 4)) == ("NG999", ("007041", "057041"), "L9")
    entry = LicenceEntry(
        "Sian Mair", "Morgan", date(1976, 3, 11), "MORGA753116SM9IJ", date(2020, 1, 1), date(2030, 1, 1)
    )
    assert check_licence(entry, TODAY).number == "MORGA753116SM9IJ"
    for number, words in (
        ("MORGN753116SM9IJ", "doc_licence_surname"),
        ("MORGA753126SM9IJ", "doc_licence_birthdate"),
        ("MORGA753116SX9IJ", "doc_licence_initials"),
        ("MORGA753116SM9I", "doc_licence_format"),
    ):
        with pytest.raises(DocumentProblem) as caught:
            check_licence(LicenceEntry(**{**entry.__dict__, "number": number}), TODAY)
        assert caught.value.words == words
    assert licence_number("Carter", "Alex", date(1990, 5, 17)) == "CARTE905170A99AB"


def test_gpg45_scores_of_each_step() -> None:
    assert document_scores("passport", biometric=True) == {
        "strength": 4,
        "validity": 2,
        "identity_fraud": 1,
        "verification": 3,
    }
    assert document_scores("driving_permit", biometric=False) == {
        "strength": 3,
        "validity": 2,
        "identity_fraud": 1,
    }
    records = credit_records("Alex", "Carter", "1990-05-17")
    assert activity_history_score(records, TODAY) == 3
    assert kbv_scores(records, TODAY) == {"activity_history": 3, "verification": 2}
    assert activity_history_score((), TODAY) == 0


def test_gpg45_profiles_what_would_take_an_unproven_citizen_further() -> None:
    steps = {
        "passport": document_scores("passport", biometric=True),
        "driving_permit": document_scores("driving_permit", biometric=True),
        "kbv": kbv_scores(credit_records("Alex", "Carter", "1990-05-17"), TODAY),
    }
    found = outlook(Gpg45Scores(), steps)
    assert found.level is None
    by_step = {s.steps[0]: s.level for s in found.steps}
    # every outcome is the evaluator's, for the scores the step would record
    for name, contribution in steps.items():
        assert by_step[name] == evaluate(with_step(Gpg45Scores(), contribution)).level
    assert by_step == {
        "passport": LevelOfConfidence.MEDIUM,
        "driving_permit": LevelOfConfidence.LOW,
        "kbv": None,
    }
    assert [(p.steps, p.level) for p in found.pairs] == [
        (("driving_permit", "kbv"), LevelOfConfidence.MEDIUM)
    ]
    assert found.next_level == LevelOfConfidence.LOW
    assert found.next_profile == "L1B"  # fewest additions: one piece of evidence and verification
    assert [(g.kind, g.needed, g.validity) for g in found.gaps] == [
        ("evidence", 3, 2),
        ("verification", 1, 0),
    ]


def test_gpg45_nearest_profile_of_the_next_level() -> None:
    scores = Gpg45Scores(evidence=[EvidenceScore(strength=3, validity=2)], identity_fraud=1, verification=3)
    assert evaluate(scores).level == LevelOfConfidence.LOW
    name, gaps = nearest_gaps(scores, LevelOfConfidence.MEDIUM)
    assert name == "M1D"
    assert [(g.kind, g.needed, g.have) for g in gaps] == [("activity_history", 2, 0)]


def test_kbv_questions_deterministic_per_citizen_with_plausible_options() -> None:
    records = credit_records("Priya", "Shah", "1985-11-02")
    first = questions_for(b"salt", "account-1", records, TODAY)
    assert first == questions_for(b"salt", "account-1", records, TODAY)
    assert [q.prompt for q in first] == ["kbv_q_lender", "kbv_q_year", "kbv_q_lender", "kbv_q_payment"]
    for question in first:
        assert question.answer in question.options
        assert len(set(question.options)) == len(question.options) >= 4
    lenders = {r.lender for r in records}
    for question in (q for q in first if q.prompt == "kbv_q_lender"):
        assert len(lenders & set(question.options)) == 1  # one right answer among wrong lenders
    assert first[3].options == PAYMENT_BANDS
    assert marked(first, {q.name: q.answer for q in first}) == 4
    single = questions_for(b"salt", "account-2", credit_records("Morgan", "Ellis", "1975-01-08"), TODAY)
    assert [q.prompt for q in single] == ["kbv_q_lender", "kbv_q_year", "kbv_q_payment"]
    assert questions_for(b"salt", "account-3", (), TODAY) == ()


def test_held_document_signed_bound_to_the_account_and_short_lived() -> None:
    document = check_passport(_passport(mrz_line_2("123456782", date(1990, 5, 17), date(2031, 6, 30))), TODAY)
    value = hold(b"salt", "account-1", document, 1000)
    assert release(b"salt", "account-1", value, 1000 + HELD_LIFETIME) == document
    body, signature = value.split(".")
    for account, held, now in (
        ("account-2", value, 1000),
        ("account-1", value, 1001 + HELD_LIFETIME),
        ("account-1", body + "." + signature[::-1], 1000),
        ("account-1", None, 1000),
    ):
        with pytest.raises(HeldProblem):
            release(b"salt", account, held, now)


def test_words_of_the_proofing_pages_are_not_overridden() -> None:
    for key, value in WORDS["en"].items():
        assert TEXT["en"][key] == value, key

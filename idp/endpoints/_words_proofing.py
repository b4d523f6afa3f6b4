"""The words of the proofing pages, in English and Welsh (a key missing in Welsh falls back to English)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS"]

_EN: dict[str, str] = {
    # the start page
    "proofing_title": "Prove your identity",
    "proofing_lead": "Services that need to know who you are ask for a level of confidence in your identity. "
    "Each check below adds to it. The levels follow the government's guidance, GPG 45.",
    "proofing_where": "Where you are",
    "proofing_level_none": "You have not proved your identity yet.",
    "proofing_level": "You have proved your identity to {level} confidence.",
    "proofing_profiles": "Your checks meet these GPG 45 identity profiles: {profiles}.",
    "level_low": "low",
    "level_medium": "medium",
    "level_high": "high",
    "level_very_high": "very high",
    "proofing_scores": "Your GPG 45 scores",
    "score_evidence": "Evidence (strength and validity of each piece)",
    "score_piece": "strength {strength}, validity {validity}",
    "score_none": "None yet",
    "score_activity_history": "Activity history",
    "score_identity_fraud": "Identity fraud checks",
    "score_verification": "Verification (that you are the person the evidence is about)",
    "proofing_further": "What would take you further",
    "proofing_top": "You have reached the highest level of confidence this service can check.",
    "step_passport": "Check your UK passport, with a face comparison",
    "step_driving_permit": "Check your UK photocard driving licence, with a face comparison",
    "step_kbv": "Answer questions about your credit record",
    "step_raises": "This would take you to {level} confidence.",
    "step_same": "This would add to your evidence, but would not change your level on its own.",
    "step_pair": "Doing “{first}” and “{second}” would together take you to {level} confidence.",
    "step_start": "Start",
    "proofing_next": "To reach {level} confidence (GPG 45 profile {profile}) you still need:",
    "gap_evidence": "a piece of evidence at least as strong as {example} (GPG 45 strength {strength}), "
    "checked to validity {validity} or more",
    "strength_example_1": "a utility bill",
    "strength_example_2": "a bank account record",
    "strength_example_3": "a UK photocard driving licence",
    "strength_example_4": "a UK passport",
    "gap_activity_history": "an activity history score of {needed} (you have {have}): records showing "
    "your identity has been in use over time",
    "gap_identity_fraud": "an identity fraud score of {needed} (you have {have}): checks that your "
    "identity is not known to be used fraudulently",
    "gap_verification": "a verification score of {needed} (you have {have}): a face comparison with "
    "your photo, or questions only you can answer",
    "proofing_done_document": "Your {document} has been checked and added to your evidence.",
    "proofing_done_kbv": "Your answers have been checked and added to your evidence.",
    "proofing_vouch_heading": "If you do not have these documents or a credit record",
    "proofing_vouch_text": "Someone who knows you professionally, such as a hostel key worker, a prison "
    "resettlement officer or a GP practice manager, can vouch for you.",
    "proofing_vouch_link": "Prove your identity with a vouch",
    "proofing_back": "Back to proving your identity",
    "doc_name_passport": "passport",
    "doc_name_driving_permit": "driving licence",
    # the document check
    "doc_choose_title": "Check an identity document",
    "doc_sandbox": "This is a sandbox: no real document is checked and no data is sent anywhere, but the "
    "checks follow the rules of real documents.",
    "doc_choose_passport": "UK passport",
    "doc_choose_licence": "UK photocard driving licence",
    "doc_passport_title": "Enter your UK passport details",
    "doc_licence_title": "Enter your UK driving licence details",
    "field_given_names": "Given names",
    "field_given_names_hint": "All your given names, as shown on the document",
    "field_family_name": "Surname",
    "field_birthdate": "Date of birth",
    "field_expiry": "Expiry date",
    "field_issued": "Issue date",
    "field_issued_hint": "Shown in section 4a of your licence. For example, 27 3 2019",
    "field_date_hint": "For example, 27 3 2030",
    "field_birthdate_hint": "For example, 27 3 1990",
    "field_day": "Day",
    "field_month": "Month",
    "field_year": "Year",
    "field_passport_number": "Passport number",
    "field_passport_number_hint": "9 digits, at the top right of the photo page",
    "field_mrz": "Second line of the code at the bottom of the photo page",
    "field_mrz_hint": "44 characters: capital letters, numbers and the < sign",
    "field_licence_number": "Driving licence number",
    "field_licence_number_hint": "16 letters and numbers, in section 5 of your licence",
    "err_given_names": "Enter your given names",
    "err_family_name": "Enter your surname",
    "err_birthdate_missing": "Enter your date of birth",
    "err_birthdate_invalid": "Date of birth must be a real date",
    "err_expiry_missing": "Enter the expiry date",
    "err_expiry_invalid": "Expiry date must be a real date",
    "err_issued_missing": "Enter the issue date",
    "err_issued_invalid": "Issue date must be a real date",
    "err_passport_number": "Enter your passport number",
    "err_mrz": "Enter the second line of the code at the bottom of your passport",
    "err_licence_number": "Enter your driving licence number",
    "doc_passport_number_format": "Your passport number should be 9 digits",
    "doc_mrz_format": "The code at the bottom of your passport should be 44 characters: capital letters, "
    "numbers and the < sign",
    "doc_mrz_check_number": "The code at the bottom of your passport does not add up: check the passport "
    "number and the digit after it",
    "doc_mrz_check_birthdate": "The code at the bottom of your passport does not add up: check the date of "
    "birth and the digit after it",
    "doc_mrz_check_expiry": "The code at the bottom of your passport does not add up: check the expiry date "
    "and the digit after it",
    "doc_mrz_check_personal": "The code at the bottom of your passport does not add up: check the personal "
    "number and the digit after it",
    "doc_mrz_check_composite": "The code at the bottom of your passport does not add up: check its last "
    "character",
    "doc_mrz_number_mismatch": "The passport number does not match the code at the bottom of your passport",
    "doc_mrz_not_uk": "This check is for UK passports: the code shows a passport from another country",
    "doc_mrz_birthdate_mismatch": "The date of birth does not match the code at the bottom of your passport",
    "doc_mrz_expiry_mismatch": "The expiry date does not match the code at the bottom of your passport",
    "doc_passport_expired": "Your passport expired on {date}: use a passport that has not expired",
    "doc_licence_expired": "Your driving licence expired on {date}: use a driving licence that has not "
    "expired",
    "doc_licence_format": "Your driving licence number should be 16 letters and numbers, like "
    "MORGA753116SM9IJ",
    "doc_licence_surname": "The driving licence number does not match your surname",
    "doc_licence_birthdate": "The driving licence number does not match your date of birth",
    "doc_licence_initials": "The driving licence number does not match your initials",
    "doc_issued_future": "The issue date must be today or in the past",
    "doc_expiry_before_issue": "The expiry date must be after the issue date",
    "doc_already_passport": "You have already proved your identity with a passport",
    "doc_already_driving_permit": "You have already proved your identity with a driving licence",
    "doc_cancelled": "This document has been reported lost, stolen or cancelled, so it cannot be used",
    "doc_mismatch": "The name or date of birth on this document does not match your account",
    "tries_left": "You can try {left} more times in the next 24 hours.",
    "tries_left_1": "You can try once more in the next 24 hours.",
    "tries_left_0": "You cannot try this step again for 24 hours.",
    "limit_title": "You cannot do this step now",
    "limit_reached": "You cannot try this step again yet: there have been {limit} unsuccessful attempts in "
    "the last 24 hours. You can try again after {when}.",
    "refused_title": "You cannot do this step",
    # the face comparison
    "face_title": "Compare your face with the photo on your {document}",
    "face_checked": "Your {document} details are correct.",
    "face_lead": "In a real service, an app would take a short video of your face and compare it with the "
    "photo on your {document}. This sandbox simulates the comparison and records it as a remote "
    "biometric comparison.",
    "face_compare": "Compare my face (sandbox)",
    "face_skip": "Continue without a face comparison",
    "face_skip_hint": "Without a face comparison your {document} shows who you are, but not that you are "
    "its owner: you will need other checks as well.",
    "held_expired": "Your document details have expired or could not be read: enter them again",
    # knowledge-based verification
    "kbv_title": "Answer questions about your credit record",
    "kbv_lead": "These questions come from the sandbox's credit records in your name. Answer at least "
    "{mark} of the {count} questions correctly.",
    "kbv_q_lender": "Which of these organisations have you had {product} with?",
    "kbv_q_year": "In which year did you open your {product} with {lender}?",
    "kbv_q_payment": "About how much do you pay {lender} each month for your {product}?",
    "kbv_product_current_account": "a current account",
    "kbv_product_credit_card": "a credit card",
    "kbv_product_loan": "a loan",
    "kbv_product_mortgage": "a mortgage",
    "kbv_product_car_finance": "car finance",
    "kbv_submit": "Check my answers",
    "kbv_answer_all": "Answer every question",
    "kbv_wrong": "Some of your answers do not match the records we hold",
    "kbv_no_record": "We could not find a credit or bank record in your name, so this step cannot help "
    "you. You can still prove your identity: someone who knows you professionally can vouch for you.",
    "kbv_already": "You have already answered questions about your credit record",
}

_CY: dict[str, str] = {
    "proofing_title": "Profi pwy ydych chi",
    "proofing_back": "Yn ôl i brofi pwy ydych chi",
}

WORDS: Mapping[str, Mapping[str, str]] = {"en": _EN, "cy": _CY}

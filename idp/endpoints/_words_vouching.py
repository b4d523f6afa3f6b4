"""The words of the vouching pages, in English and Welsh (a key missing in Welsh falls back to English)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS"]

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        # the voucher's sign-in
        "vouch_signin_title": "Sign in to vouch for someone",
        "vouch_signin_lead": "This sign-in is for registered vouchers, such as hostel key workers, prison "
        "resettlement officers and GP practice managers. If you want to prove your own identity, sign in "
        "to your account instead.",
        "vouch_signin_failed": "Enter a correct username and password",
        "vouch_signin_needed": "You need to sign in as a voucher to issue a vouch code.",
        "vouch_signin_no_reset": "Password reset is not available in this sample identity provider: contact "
        "the service desk of {organisation} if you cannot sign in.",
        "vouch_signed_out": "You have signed out.",
        # the voucher's page
        "vouch_title": "Vouch for someone",
        "vouch_signed_in_as": "Signed in as {name}, {occupation}, {organisation}.",
        "vouch_lead": "Vouch only for someone you know and whose name and date of birth you are sure of. You "
        "will get a one-time code to give to them; they enter it in their account to prove who they are. "
        "The code lasts 7 days and can be used once, only by the person named.",
        "vouch_remaining": "You can issue {remaining} more vouch codes in the next 24 hours (your limit is "
        "{limit}).",
        "vouch_given_name": "First name",
        "vouch_family_name": "Last name",
        "vouch_birthdate": "Date of birth",
        "vouch_birthdate_hint": "For example, 27 3 1990",
        "vouch_day": "Day",
        "vouch_month": "Month",
        "vouch_year": "Year",
        "vouch_relationship": "How do you know this person?",
        "vouch_relationship_hint": "For example, 'I have been their key worker at the hostel since March "
        "2024'. This stays with us: it is not shared with the services they use.",
        "vouch_issue_button": "Get a vouch code",
        "vouch_issued_title": "Vouch code issued",
        "vouch_issued_for": "Give this code to {given_name} {family_name} (born {birthdate}). It will not be "
        "shown again.",
        "vouch_issued_expires": "It expires on {expires}.",
        "vouch_codes_title": "Codes you have issued",
        "vouch_codes_none": "You have not issued any vouch codes yet.",
        "vouch_col_person": "Person",
        "vouch_col_birthdate": "Date of birth",
        "vouch_col_issued": "Issued",
        "vouch_col_status": "Status",
        "vouch_status_waiting": "Not used yet (expires {expires})",
        "vouch_status_used": "Used on {used}",
        "vouch_status_expired": "Expired on {expires}",
        "vouch_sign_out": "Sign out",
        "vouch_limit_reached": "You have issued as many vouch codes as you can in 24 hours ({limit}). You "
        "can issue another once 24 hours have passed since the oldest of them.",
        "vouch_error_given_name": "Enter their first name",
        "vouch_error_given_name_long": "First name must be 256 characters or fewer",
        "vouch_error_family_name": "Enter their last name",
        "vouch_error_family_name_long": "Last name must be 256 characters or fewer",
        "vouch_error_birthdate_missing": "Enter their date of birth",
        "vouch_error_birthdate_invalid": "Date of birth must be a real date",
        "vouch_error_birthdate_future": "Date of birth must be in the past",
        "vouch_error_relationship": "Enter how you know this person",
        "vouch_error_relationship_long": "How you know this person must be 512 characters or fewer",
        # the citizen's page
        "vouch_redeem_title": "Use a vouch code",
        "vouch_redeem_lead": "If someone who knows you, such as your hostel key worker, your prison "
        "resettlement officer or your GP practice manager, has vouched for you, enter the code they gave "
        "you.",
        "vouch_redeem_who": "The code only works for the person it was issued for: your first name, last "
        "name and date of birth in this account must match what the voucher entered.",
        "vouch_code": "Vouch code",
        "vouch_code_hint": "12 letters and numbers, for example ABCD-EFGH-JKMN",
        "vouch_redeem_button": "Use this code",
        "vouch_error_code_missing": "Enter your vouch code",
        "vouch_error_code_wrong": "This vouch code is not right. Check it and try again, or ask the person "
        "who vouched for you.",
        "vouch_error_code_expired": "This vouch code has expired: codes last 7 days. Ask the person who "
        "vouched for you for a new one.",
        "vouch_error_code_used": "This vouch code has already been used. Each code can be used only once.",
        "vouch_error_code_other_person": "This vouch code was issued for someone else: the name and date of "
        "birth it was issued for do not match your account. Ask the person who vouched for you to check "
        "the details they entered.",
        "vouch_error_too_many": "You have entered too many vouch codes that were not accepted. Try again "
        "in 24 hours.",
        "vouch_redeemed_title": "Your vouch has been recorded",
        "vouch_redeemed_by": "{name}, {occupation} at {organisation}, vouched for you.",
        "vouch_level_none": "You have not reached a level of confidence in your identity yet.",
        "vouch_level_reached": "You have reached {level} confidence in your identity (GPG 45 profile "
        "{profile}).",
        "vouch_next_none": "A vouch on its own is not enough: you also need a check that your identity is "
        "not known to be used fraudulently, or other evidence such as a bank account or an identity "
        "document.",
        "vouch_next_low": "Services that need low confidence can now accept your identity. To reach medium "
        "confidence, check a photo identity document such as a passport or driving licence.",
        "vouch_next_more": "Services that need {level} confidence or less can now accept your identity.",
        "vouch_current_level": "Your level of confidence now: {level}.",
        "vouch_current_none": "Your level of confidence now: none yet.",
        "vouch_back_to_account": "Go to your account",
    },
    "cy": {},
}

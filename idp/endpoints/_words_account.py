"""The words of the account pages and of the consent page's choices, in English and Welsh (a key
missing in Welsh falls back to English)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS"]

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        # the consent page: who is asking, and what can be left out
        "consent_who": "Who is asking",
        "consent_what": "What they are asking for",
        "consent_organisation": "Organisation",
        "consent_registry": "Trust registry",
        "consent_registry_federated": "Registered in the UK digital identity trust registry ({anchor}), "
        "which checked who they are.",
        "consent_registry_static": "Not in the trust registry: {provider} set up this service directly.",
        "consent_trust_marks": "Trust marks",
        "consent_trust_marks_none": "None",
        "consent_trust_marks_static": "None: only services in the trust registry can hold trust marks.",
        "consent_essential": "Needed",
        "consent_essential_note": "Information marked as needed is required by the service: if you do not "
        "want to share it, cancel.",
        "consent_choose": "Information you do not want to share",
        "consent_choose_hint": "Tick anything you do not want to share. The service may not be able to do "
        "everything without it. Select all that apply.",
        "consent_remember_choices": "We will remember what you agree to share with {client}. You will be "
        "asked again if it needs more information, or asks again for something you chose not to share. "
        "You can withdraw your consent at any time from your account.",
        "trust_mark_council": "Council: a local authority",
        "trust_mark_nhs_organisation": "NHS organisation",
        "trust_mark_certified_identity_service_provider": "Certified identity service provider",
        # the account page
        "account_title": "Your account",
        "account_signed_in_as": "You are signed in as {username}.",
        "account_security_link": "Two-step sign-in and security",
        "account_proofing_link": "Prove your identity, and what would take you further",
        "account_identity": "Your identity",
        "account_level": "Your identity has been checked to a {level} level of confidence.",
        "account_no_evidence": "You have not proven your identity yet: services that need to know who you "
        "are will ask you to.",
        "account_no_level": "Your evidence does not yet meet any GPG 45 identity profile, so your identity "
        "has no level of confidence yet.",
        "account_how": "How this level was reached",
        "account_profile": "Your scores meet the GPG 45 identity profile {profile}, which gives {level} "
        "confidence. The profile needs:",
        "account_profiles_met": "Profiles your scores meet: {profiles}.",
        "account_your_scores": "Your scores",
        "account_piece_needed": "a piece of evidence of strength {strength} or more and validity "
        "{validity} or more",
        "account_piece": "a piece of evidence of strength {strength} and validity {validity}",
        "account_no_pieces": "no evidence with a strength score",
        "account_activity_needed": "activity history {score} or more",
        "account_fraud_needed": "identity fraud {score} or more",
        "account_verification_needed": "verification {score} or more",
        "account_activity": "Activity history: {score}",
        "account_fraud": "Identity fraud: {score}",
        "account_verification": "Verification: {score}",
        "account_evidence": "Your evidence",
        "account_evidence_none": "You have no evidence recorded.",
        "account_evidence_kind": "Evidence",
        "account_evidence_checks": "How it was checked",
        "account_evidence_scores": "Scores",
        "account_when": "When",
        "account_vouched_by": "Vouched for by {name}, {occupation}, {organization}",
        "account_score_strength": "strength {score}",
        "account_score_validity": "validity {score}",
        "account_score_activity_history": "activity history {score}",
        "account_score_identity_fraud": "identity fraud {score}",
        "account_score_verification": "verification {score}",
        "account_releases": "Information you have shared",
        "account_releases_none": "You have not shared any information with a service yet.",
        "account_organisation": "Organisation",
        "account_information": "Information",
        "account_channel": "How",
        "account_level_column": "Level of confidence",
        "account_channel_id_token": "When you signed in (ID token)",
        "account_channel_userinfo": "Fetched by the service (UserInfo)",
        "account_not_applicable": "Not applicable",
        "account_checked": "{claim} (checked against your evidence)",
        "account_consents": "Services you have agreed to share with",
        "account_consents_none": "You have not agreed to share information with any service.",
        "account_since": "Agreed",
        "account_only_sign_in": "Only that you have signed in",
        "account_withdraw": "Withdraw consent",
        "account_withdraw_for": "for {organisation}",
        "account_withdraw_hint": "Withdrawing your consent stops the service getting more information "
        "about you: it will have to ask you again.",
        "account_withdrawn_title": "Success",
        "account_withdrawn": "Your consent has been withdrawn. The service can no longer get information "
        "about you without asking you again.",
        "account_not_yours": "This consent could not be withdrawn: it is not one of your consents, or it "
        "has already been withdrawn. Nothing has been changed.",
        "account_csrf": "The form could not be accepted: it was not sent from your account page in this "
        "browser, or it has expired. Nothing has been changed: try again.",
        "evidence_document": "Document",
        "evidence_electronic_record": "Electronic record",
        "evidence_vouch": "Vouch",
        "evidence_electronic_signature": "Electronic signature",
        "document_passport": "Passport",
        "document_driving_permit": "Driving licence",
        "document_idcard": "Identity card",
        "document_residence_permit": "Residence permit",
        "record_bank_account": "Bank account",
        "record_credit_reference_file": "Credit reference file",
        "record_personal_demographics_service": "NHS personal demographics record",
        "check_vpip": "Document inspected in person",
        "check_vpiruv": "Document image checked remotely under ultraviolet light",
        "check_vri": "Document image checked remotely",
        "check_vdig": "Digital document checked",
        "check_vcrypt": "Chip or signature checked cryptographically",
        "check_data": "Details checked against the issuer's records",
        "check_auth": "You signed in to the issuer's service",
        "check_token": "You used a credential the issuer gave you",
        "check_kbv": "You answered questions only you should know",
        "check_pvp": "Your face compared in person with the photo",
        "check_pvr": "Your face compared remotely with the photo",
        "check_bvp": "Biometric comparison in person",
        "check_bvr": "Biometric comparison remotely",
    },
    "cy": {
        "account_title": "Eich cyfrif",
        "consent_who": "Pwy sy'n gofyn",
    },
}

"""The words on the provider's pages, in English and Welsh (``ui_locales``, OpenID Connect Core
§3.1.2.1). Welsh follows the GOV.UK Design System's Welsh component text where it has one."""

from __future__ import annotations

from collections.abc import Mapping

from idp.endpoints import _words_account, _words_proofing, _words_security, _words_step_up, _words_vouching

__all__ = ["CLAIM_LABELS", "LOCALES", "TEXT", "claim_label", "text_for"]

LOCALES = ("en", "cy")

_CORE: Mapping[str, Mapping[str, str]] = {
    "en": {
        "skip": "Skip to main content",
        "phase": "Reference implementation",
        "phase_text": "This is a sample identity provider for UK public services, not a live service.",
        "sign_in_title": "Sign in",
        "sign_in_lead": "Sign in to continue to {client}.",
        "username": "Username",
        "password": "Password",
        "continue": "Continue",
        "problem": "There is a problem",
        "wrong_credentials": "Enter a correct username and password",
        "error_prefix": "Error:",
        "no_reset": "Password reset is not available in this sample identity provider: contact the "
        "service desk of {organisation} if you cannot sign in.",
        "consent_title": "Share your information",
        "consent_lead": "{client} from {organisation} is asking for the following information about you.",
        "consent_claim": "Information",
        "consent_purpose": "Why they need it",
        "consent_no_purpose": "No reason given",
        "consent_verified": "Checked against your evidence",
        "consent_only_id": "Only that you have signed in: a unique identifier that no other organisation "
        "can link to you.",
        "consent_remember": "We will remember your answer for {client}; you will be asked again if it "
        "needs more information.",
        "agree": "Agree and continue",
        "cancel": "Cancel",
        "signed_in_as": "Signed in as {username}.",
        "sign_out_title": "Sign out",
        "sign_out_lead": "Do you want to sign out of {organisation}?",
        "sign_out_from": "{client} asked to sign you out.",
        "sign_out_button": "Sign out",
        "signed_out_title": "You have signed out",
        "signed_out_lead": "You have signed out of {organisation}. You can close this window.",
        "error_title": "Sorry, there is a problem",
        "error_code": "Error code",
        "footer": "ukid-interop: a reference implementation of an interoperable digital identity trust "
        "framework for UK public services.",
    },
    "cy": {
        "skip": "Neidio i'r prif gynnwys",
        "phase": "Gweithrediad cyfeirio",
        "phase_text": "Darparwr hunaniaeth enghreifftiol ar gyfer gwasanaethau cyhoeddus y DU yw hwn, nid "
        "gwasanaeth byw.",
        "sign_in_title": "Mewngofnodi",
        "sign_in_lead": "Mewngofnodwch i barhau i {client}.",
        "username": "Enw defnyddiwr",
        "password": "Cyfrinair",
        "continue": "Parhau",
        "problem": "Mae problem wedi codi",
        "wrong_credentials": "Rhowch enw defnyddiwr a chyfrinair cywir",
        "error_prefix": "Gwall:",
        "no_reset": "Nid oes modd ailosod cyfrinair yn y darparwr hunaniaeth enghreifftiol hwn: cysylltwch "
        "â desg wasanaeth {organisation} os na allwch fewngofnodi.",
        "consent_title": "Rhannu eich gwybodaeth",
        "consent_lead": "Mae {client} gan {organisation} yn gofyn am y wybodaeth ganlynol amdanoch chi.",
        "consent_claim": "Gwybodaeth",
        "consent_purpose": "Pam maen nhw ei hangen",
        "consent_no_purpose": "Dim rheswm wedi'i roi",
        "consent_verified": "Wedi'i gwirio yn erbyn eich tystiolaeth",
        "consent_only_id": "Dim ond eich bod wedi mewngofnodi: dynodwr unigryw na all unrhyw sefydliad arall "
        "ei gysylltu â chi.",
        "consent_remember": "Byddwn yn cofio eich ateb ar gyfer {client}; gofynnir i chi eto os oes angen "
        "rhagor o wybodaeth.",
        "agree": "Cytuno a pharhau",
        "cancel": "Canslo",
        "signed_in_as": "Wedi mewngofnodi fel {username}.",
        "sign_out_title": "Allgofnodi",
        "sign_out_lead": "Ydych chi eisiau allgofnodi o {organisation}?",
        "sign_out_from": "Gofynnodd {client} i'ch allgofnodi.",
        "sign_out_button": "Allgofnodi",
        "signed_out_title": "Rydych wedi allgofnodi",
        "signed_out_lead": "Rydych wedi allgofnodi o {organisation}. Gallwch gau'r ffenestr hon.",
        "error_title": "Mae'n ddrwg gennym, mae problem wedi codi",
        "error_code": "Cod gwall",
        "footer": "ukid-interop: gweithrediad cyfeirio o fframwaith ymddiriedaeth hunaniaeth ddigidol "
        "rhyngweithredol ar gyfer gwasanaethau cyhoeddus y DU.",
    },
}

#: Claim names in words (OpenID Connect Core §5.1; NHS login's ``nhs_number``).
CLAIM_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "given_name": "First name",
        "family_name": "Last name",
        "birthdate": "Date of birth",
        "address": "Address",
        "email": "Email address",
        "email_verified": "Whether your email address has been confirmed",
        "phone_number": "Phone number",
        "phone_number_verified": "Whether your phone number has been confirmed",
        "nhs_number": "NHS number",
    },
    "cy": {
        "given_name": "Enw cyntaf",
        "family_name": "Cyfenw",
        "birthdate": "Dyddiad geni",
        "address": "Cyfeiriad",
        "email": "Cyfeiriad e-bost",
        "email_verified": "A yw eich cyfeiriad e-bost wedi'i gadarnhau",
        "phone_number": "Rhif ffôn",
        "phone_number_verified": "A yw eich rhif ffôn wedi'i gadarnhau",
        "nhs_number": "Rhif GIG",
    },
}


def _merged() -> dict[str, dict[str, str]]:
    parts = (
        _CORE,
        _words_security.WORDS,
        _words_proofing.WORDS,
        _words_vouching.WORDS,
        _words_account.WORDS,
        _words_step_up.WORDS,
    )
    english = {key: value for part in parts for key, value in part["en"].items()}
    welsh = {key: value for part in parts for key, value in part.get("cy", {}).items()}
    return {"en": english, "cy": {**english, **welsh}}


#: Every page's words by locale: the core pages' and each feature's (``_words_*``), Welsh falling back
#: to English key by key.
TEXT: Mapping[str, Mapping[str, str]] = _merged()


def text_for(locale: str) -> Mapping[str, str]:
    """The page words in ``locale`` (English when it is not one of :data:`LOCALES`)."""
    return TEXT.get(locale, TEXT["en"])


def claim_label(locale: str, name: str) -> str:
    """A claim name in words, or the name itself when it has none."""
    return CLAIM_LABELS.get(locale, CLAIM_LABELS["en"]).get(name, name)

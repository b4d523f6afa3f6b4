"""The words of the step-up page (RFC 8485 §6.1: a requested vector the citizen cannot meet yet) and
of the link back to it from the account area, in English and Welsh (a key missing in Welsh falls
back to English)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS"]

_EN: dict[str, str] = {
    "stepup_title_proofing": "Prove your identity to continue",
    "stepup_title_code": "Use a security code to continue",
    "stepup_lead": "{client} from {organisation} needs a stronger check of who you are than you have "
    "done so far.",
    "stepup_asked": "What the service asked for",
    "stepup_asked_one": "The service needs:",
    "stepup_asked_any": "The service needs one of these:",
    "stepup_need_level": "your identity proved to {level} confidence",
    "stepup_need_code": "a security code from your authenticator app when you sign in",
    "stepup_and": " and ",
    "stepup_reached": "What you have done so far",
    "stepup_reached_level": "You have proved your identity to {level} confidence.",
    "stepup_reached_none": "You have not proved your identity yet.",
    "stepup_reached_code": "You signed in with your password and a security code.",
    "stepup_reached_password": "You signed in with your password only.",
    "stepup_what_next": "What you can do",
    "stepup_remedy_proofing": "You can prove your identity now, for example by checking your passport or "
    "driving licence. When you have finished, you can continue to {client}.",
    "stepup_remedy_security": "You can set up two-step sign-in now: you need an authenticator app on your "
    "phone. Then sign in again with your security code to continue to {client}.",
    "stepup_remedy_sign_in": "Two-step sign-in is on for your account, but you signed in with your "
    "password only. Sign in again with your security code to continue to {client}.",
    "stepup_button_proofing": "Prove your identity now",
    "stepup_button_security": "Set up two-step sign-in now",
    "stepup_button_sign_in": "Sign in with your security code",
    "stepup_back": "Go back to {organisation}",
    "stepup_back_hint": "If you go back, we will tell {organisation} that you could not meet what it "
    "asked for this time. You can prove your identity later.",
    "stepup_return_title": "Your sign-in to {client}",
    "stepup_return_text": "When you have finished, continue to {client}.",
    "stepup_return_link": "Continue to {client}",
}

WORDS: Mapping[str, Mapping[str, str]] = {"en": _EN, "cy": {}}

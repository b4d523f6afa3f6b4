"""The words of the sign-in's second step and the security pages (two-step sign-in with an
authenticator app, RFC 6238), in English and Welsh (a key missing in Welsh falls back to English)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS"]

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "sec_account_lead": "Sign in to your account with {organisation}.",
        "sec_code_title": "Enter your security code",
        "sec_code_lead": "Two-step sign-in is on for your account. Open your authenticator app and enter "
        "the 6-digit code it shows.",
        "sec_code_label": "Security code",
        "sec_code_hint": "The 6-digit code from your authenticator app, or one of your recovery codes",
        "sec_code_wrong": "The code is not correct or has expired: enter the code your authenticator app "
        "shows now, or a recovery code",
        "sec_code_reused": "That code has already been used: wait for your authenticator app to show a "
        "new code",
        "sec_code_recovery_used": "That recovery code has already been used: enter the code your "
        "authenticator app shows, or another recovery code",
        "sec_code_missing": "Enter the code your authenticator app shows, or a recovery code",
        "sec_code_locked": "There have been too many wrong attempts: wait 15 minutes, then sign in again",
        "sec_no_reset": "Turning off two-step sign-in without a code, and password reset, are not "
        "available in this sample identity provider: contact the service desk of {organisation} if you "
        "have lost your authenticator app and your recovery codes.",
        "sec_title": "Two-step sign-in",
        "sec_off": "Two-step sign-in is off. With it on, signing in needs a code from an authenticator "
        "app on your phone as well as your password, and you can use services that ask for a stronger "
        "sign-in.",
        "sec_setup_button": "Set up two-step sign-in",
        "sec_setup_title": "Set up two-step sign-in",
        "sec_setup_app": "You need an authenticator app on your phone or tablet. Any app that supports "
        "time-based codes (TOTP) will work.",
        "sec_setup_scan": "Scan this QR code with your authenticator app.",
        "sec_qr_title": "QR code for setting up two-step sign-in",
        "sec_setup_manual": "If you cannot scan the QR code, enter this key in the app instead:",
        "sec_setup_confirm": "Enter the 6-digit code the app shows to finish setting up",
        "sec_confirm_button": "Turn on two-step sign-in",
        "sec_confirm_wrong": "The code is not correct or has expired: enter the code your authenticator "
        "app shows now",
        "sec_recovery_title": "Save your recovery codes",
        "sec_recovery_lead": "Two-step sign-in is on. If you lose your phone, you can sign in with one of "
        "these codes instead of a code from the app. Each code works once.",
        "sec_recovery_once": "Write them down or print them now, and keep them somewhere safe: they will "
        "not be shown again.",
        "sec_on": "Two-step sign-in is on: signing in needs your password and a code from your "
        "authenticator app.",
        "sec_recovery_left": "Unused recovery codes: {count} of 10.",
        "sec_remove_heading": "Turn off two-step sign-in",
        "sec_remove_lead": "Enter the code your authenticator app shows now, or a recovery code. Services "
        "that ask for a stronger sign-in will not accept your password alone.",
        "sec_remove_button": "Turn off two-step sign-in",
        "sec_removed": "Two-step sign-in has been turned off.",
        "sec_turned_on": "Two-step sign-in is on.",
        "sec_stale": "To change two-step sign-in, sign in again first: your sign-in was more than 15 "
        "minutes ago.",
        "sec_sign_in_again": "Sign in again",
        "sec_back": "Back to your account",
        "sec_back_to_security": "I have saved my recovery codes",
        "sec_success": "Success",
    },
    "cy": {},
}

"""The words of the proofing pages, in English and Welsh (a key missing in Welsh falls back to English)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS"]

WORDS: Mapping[str, Mapping[str, str]] = {"en": {}, "cy": {}}

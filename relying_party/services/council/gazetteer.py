"""The council's gazetteer: the UPRNs of the properties in its area, with each one's permit zone.

A local authority keeps its Local Land and Property Gazetteer (BS 7666) keyed by the Unique Property
Reference Number (OS AddressBase); the resident parking permit checks that the UPRN of the verified
address (``address.uprn``, this federation's UK profile) is one of them. The file is a JSON object
``{"<uprn>": {"address": "...", "zone": "..."}}``; the development gazetteer shipped with the service
(``gazetteer.json``) holds a few Oxford addresses, among them the ``medium@example.test`` persona's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEVELOPMENT_GAZETTEER", "Gazetteer", "GazetteerError", "Property"]

DEVELOPMENT_GAZETTEER = Path(__file__).with_name("gazetteer.json")
_UPRN = re.compile(r"[0-9]{1,12}", re.ASCII)


class GazetteerError(ValueError):
    """The gazetteer file cannot be read or is not in the expected form."""


@dataclass(frozen=True)
class Property:
    """One property in the council's area."""

    uprn: str
    address: str
    zone: str


class Gazetteer:
    """The properties in the council's area, by UPRN."""

    def __init__(self, properties: Mapping[str, Property]) -> None:
        self._properties = dict(properties)

    def __len__(self) -> int:
        return len(self._properties)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """The gazetteer in ``path`` (default: the development gazetteer); :class:`GazetteerError`
        naming the file and the first problem."""
        source = path or DEVELOPMENT_GAZETTEER
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise GazetteerError(f"{source}: not a readable gazetteer ({exc})") from exc
        if not isinstance(data, dict) or not data:
            raise GazetteerError(f"{source}: a gazetteer is a non-empty JSON object of UPRN -> property")
        found: dict[str, Property] = {}
        for uprn, entry in data.items():
            if not _UPRN.fullmatch(uprn):
                raise GazetteerError(f"{source}: {uprn[:20]!r} is not a UPRN (1 to 12 digits)")
            if not isinstance(entry, dict) or set(entry) != {"address", "zone"}:
                raise GazetteerError(f"{source}: UPRN {uprn} needs exactly an address and a zone")
            address, zone = entry["address"], entry["zone"]
            if not (isinstance(address, str) and address.strip() and isinstance(zone, str) and zone.strip()):
                raise GazetteerError(f"{source}: UPRN {uprn}: the address and zone must be non-empty text")
            found[uprn] = Property(uprn, address.strip(), zone.strip())
        return cls(found)

    def lookup(self, uprn: object) -> Property | None:
        """The property with this UPRN, or None (not in the area, or not a UPRN at all)."""
        if not isinstance(uprn, str) or not _UPRN.fullmatch(uprn):
            return None
        return self._properties.get(uprn)

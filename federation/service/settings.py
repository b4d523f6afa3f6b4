"""Settings pieces every federation service shares: pinned trust anchors and entity ID checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from federation.statements import Jwks, is_entity_id

__all__ = ["AnchorSetting", "check_entity_id", "read_jwks"]


class AnchorSetting(BaseModel):
    """A trust anchor to resolve chains to, with its keys pinned out of band (OpenID Federation 1.0 §4)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity_id: str = Field(description="Entity ID of the trust anchor.")
    jwks_file: Path | None = Field(
        default=None,
        description="File holding the anchor's federation JWKS (pinned keys). Only in `dev` may it be "
        "left out, and the keys are then taken from the anchor's own configuration (trust on first use).",
    )


def check_entity_id(value: str, what: str) -> str:
    """``value`` without a trailing slash, or ``ValueError`` saying why it is no entity ID (§1.2)."""
    if not is_entity_id(value):
        if is_entity_id(value.split("?", 1)[0].split("#", 1)[0]):
            raise ValueError(
                f"{what} {value!r} must not have a query or fragment (OpenID Federation 1.0 §1.2)"
            )
        raise ValueError(f"{what} {value!r} is not an http(s) URL with a host")
    return value.rstrip("/")


def read_jwks(path: Path) -> dict[str, Any]:
    """A pinned JWKS file, checked; ``ValueError`` naming the file when it is unreadable."""
    try:
        data = json.loads(path.read_text())
        Jwks.model_validate(data)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JWKS file ({exc})") from exc
    return dict(data)

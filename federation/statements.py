"""Entity statements: typed models, builders and verify-or-raise functions (OpenID Federation 1.0 §3).

An entity configuration is a statement an entity makes about itself (``iss`` = ``sub``, §3.1,
published at ``/.well-known/openid-federation``, §9); a subordinate statement is one a superior
makes about an entity directly below it (§3.1, served by its fetch endpoint, §8.1). Both are
``entity-statement+jwt`` JWTs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any, cast
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from federation.errors import Check, InvalidJwt
from federation.jose import AlgorithmPolicy, AnyKey, JwtType, decode_unverified, verify_jwt

__all__ = [
    "DEFAULT_LEEWAY",
    "ENTITY_TYPES",
    "STANDARD_CLAIMS",
    "Constraints",
    "EntityStatement",
    "Jwks",
    "NamingConstraints",
    "TrustMarkOwner",
    "TrustMarkRef",
    "build_entity_configuration",
    "build_subordinate_statement",
    "check_crit",
    "check_signed_by",
    "check_times",
    "is_entity_id",
    "key_set",
    "parse_statement",
    "verify_entity_configuration",
    "verify_subordinate_statement",
]

#: Seconds of clock skew tolerated on ``iat`` and ``exp``.
DEFAULT_LEEWAY = 60
#: Entity type identifiers (§5.1).
ENTITY_TYPES = (
    "federation_entity",
    "openid_provider",
    "openid_relying_party",
    "oauth_authorization_server",
    "oauth_client",
    "oauth_resource",
)
#: Claims this specification defines for entity statements (§3.1); ``crit`` must not list them.
STANDARD_CLAIMS = frozenset(
    {
        "iss",
        "sub",
        "iat",
        "exp",
        "jwks",
        "authority_hints",
        "trust_anchor_hints",
        "metadata",
        "metadata_policy",
        "constraints",
        "crit",
        "metadata_policy_crit",
        "trust_marks",
        "trust_mark_issuers",
        "trust_mark_owners",
        "source_endpoint",
    }
)
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _numeric_date(value: Any) -> Any:
    """NumericDate (RFC 7519 §2): a JSON number of seconds; fractions are truncated."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number of seconds since the epoch")
    return int(value)


NumericDate = Annotated[int, BeforeValidator(_numeric_date)]


def is_entity_id(value: str) -> bool:
    """True for an entity identifier (§1.2): an http(s) URL with a host and no query or fragment.

    Plain http is refused when fetching outside a development federation (federation.http).
    """
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 literal
        return False
    return (
        parts.scheme in ("https", "http")
        and bool(parts.hostname)
        and not (parts.query or parts.fragment or "?" in value or "#" in value)
    )


def _entity_id(value: str) -> str:
    if is_entity_id(value):
        return value
    if is_entity_id(value.split("?", 1)[0].split("#", 1)[0]):
        raise ValueError(f"entity identifier {value!r} must not have a query or fragment")
    raise ValueError(f"{value!r} is not an https URL")


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not an https URL")
    return value


EntityId = Annotated[str, AfterValidator(_entity_id)]
Url = Annotated[str, AfterValidator(_url)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", strict=True)


class Jwks(_Model):
    """A JWK set of PUBLIC asymmetric keys, each with a ``kid`` (§3.1 ``jwks``)."""

    keys: list[dict[str, Any]] = Field(min_length=1)
    _key_set: KeySet = PrivateAttr()

    @field_validator("keys")
    @classmethod
    def _public_keys_with_kid(cls, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kids: set[str] = set()
        for key in keys:
            if key.get("kty") not in ("EC", "RSA", "OKP"):
                raise ValueError(f"key type {key.get('kty')!r} is not an asymmetric key type")
            kid = key.get("kid")
            if not isinstance(kid, str) or not kid:
                raise ValueError("every key must have a kid")
            if kid in kids:
                raise ValueError(f"kid {kid!r} is used twice")
            kids.add(kid)
            if _PRIVATE_JWK_MEMBERS & key.keys():
                raise ValueError(f"key {kid!r} carries private key material")
        return keys

    @model_validator(mode="after")
    def _importable(self) -> Jwks:
        """Every key must load (curve, point on the curve, modulus...); the set is kept for reuse."""
        try:
            self._key_set = KeySet.import_key_set(cast(Any, {"keys": self.keys}))
        except (JoseError, ValueError, TypeError) as exc:
            raise ValueError(f"a key in the set cannot be used: {exc}") from exc
        return self

    def key_set(self) -> KeySet:
        """The keys as a joserfc ``KeySet`` (built once, at validation)."""
        return self._key_set


def key_set(jwks: Jwks | Mapping[str, Any]) -> KeySet:
    """A joserfc ``KeySet`` from a JWKS model or dict (a dict is validated as a :class:`Jwks`)."""
    if isinstance(jwks, Jwks):
        return jwks.key_set()
    return Jwks.model_validate(dict(jwks)).key_set()


class NamingConstraints(_Model):
    """``naming_constraints`` (§6.2.2): permitted and excluded host name patterns."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    permitted: list[str] | None = None
    excluded: list[str] | None = None


class Constraints(_Model):
    """``constraints`` of a subordinate statement (§6.2)."""

    max_path_length: int | None = Field(default=None, ge=0)
    naming_constraints: NamingConstraints | None = None
    allowed_entity_types: list[str] | None = None

    @field_validator("allowed_entity_types")
    @classmethod
    def _no_federation_entity(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and "federation_entity" in value:
            raise ValueError("federation_entity is always allowed and must not be listed (§6.2.3)")
        return value


class TrustMarkRef(_Model):
    """An entry of an entity configuration's ``trust_marks`` (§3.1)."""

    trust_mark_type: str = Field(min_length=1)
    trust_mark: str = Field(min_length=1)


class TrustMarkOwner(_Model):
    """An entry of the trust anchor's ``trust_mark_owners`` (§3.1): who owns a trust mark type."""

    sub: EntityId
    jwks: Jwks


class EntityStatement(_Model):
    """The claims of an entity statement (§3.1); extension claims are kept as extra members."""

    iss: EntityId
    sub: EntityId
    iat: NumericDate
    exp: NumericDate
    jwks: Jwks
    authority_hints: list[EntityId] | None = Field(default=None, min_length=1)
    trust_anchor_hints: list[EntityId] | None = Field(default=None, min_length=1)
    metadata: dict[str, dict[str, Any]] | None = None
    metadata_policy: dict[str, dict[str, dict[str, Any]]] | None = None
    constraints: Constraints | None = None
    crit: list[str] | None = Field(default=None, min_length=1)
    metadata_policy_crit: list[str] | None = Field(default=None, min_length=1)
    trust_marks: list[TrustMarkRef] | None = None
    trust_mark_issuers: dict[str, list[EntityId]] | None = None
    trust_mark_owners: dict[str, TrustMarkOwner] | None = None
    source_endpoint: Url | None = None

    _jwt: str = PrivateAttr(default="")
    _signer: AnyKey | None = PrivateAttr(default=None)
    _kid: str | None = PrivateAttr(default=None)

    @property
    def kid(self) -> str:
        """The ``kid`` of the JWT this statement was read from ("" if none); read once."""
        if self._kid is None:
            header = decode_unverified(self._jwt)[0] if self._jwt else {}
            kid = header.get("kid")
            self._kid = kid if isinstance(kid, str) else ""
        return self._kid

    @property
    def signer_thumbprint(self) -> str:
        """Thumbprint of the key that verified this statement's signature ("" if not verified)."""
        return self._signer.thumbprint() if self._signer is not None else ""

    @field_validator("metadata")
    @classmethod
    def _no_null_metadata(cls, value: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
        for etype, members in (value or {}).items():
            for name, member in members.items():
                if member is None:
                    raise ValueError(f"{etype}.{name} is null; leave the parameter out instead (§5)")
        return value

    @property
    def jwt(self) -> str:
        """The signed JWT this statement was read from ("" for one built and not yet signed)."""
        return self._jwt

    @property
    def is_configuration(self) -> bool:
        """An entity configuration: a statement an entity makes about itself."""
        return self.iss == self.sub

    def to_claims(self) -> dict[str, Any]:
        """The JWT claims (members that are not set are left out)."""
        return self.model_dump(exclude_none=True)

    def keys(self) -> KeySet:
        """The federation keys this statement carries."""
        return key_set(self.jwks)

    def entity_types(self) -> list[str]:
        """The entity types in ``metadata``."""
        return list(self.metadata or {})


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "statement"
    return f"{where}: {first['msg']}"


def parse_statement(claims: Mapping[str, Any], jwt: str = "") -> EntityStatement:
    """Validate entity statement claims into the typed model; raises :class:`InvalidJwt` (claims)."""
    try:
        statement = EntityStatement.model_validate(dict(claims))
    except ValidationError as exc:
        raise InvalidJwt(
            f"malformed entity statement: {_validation_message(exc)}", check=Check.CLAIMS
        ) from exc
    if statement.exp <= statement.iat:
        raise InvalidJwt("entity statement exp is not after its iat", check=Check.EXP)
    if statement.is_configuration:
        for name in ("constraints", "metadata_policy", "metadata_policy_crit", "source_endpoint"):
            if getattr(statement, name) is not None:
                raise InvalidJwt(
                    f"an entity configuration must not contain {name} (§3.1)", check=Check.CLAIMS
                )
    else:
        for name in (
            "authority_hints",
            "trust_anchor_hints",
            "trust_marks",
            "trust_mark_issuers",
            "trust_mark_owners",
        ):
            if getattr(statement, name) is not None:
                raise InvalidJwt(
                    f"a subordinate statement must not contain {name} (§3.1)", check=Check.CLAIMS
                )
    for entry in statement.trust_marks or ():
        _header, mark = decode_unverified(entry.trust_mark)
        if mark.get("trust_mark_type") != entry.trust_mark_type:
            raise InvalidJwt(
                f"trust_marks entry {entry.trust_mark_type} holds a trust mark of type "
                f"{mark.get('trust_mark_type')!r} (§3)",
                check=Check.CLAIMS,
            )
    statement._jwt = jwt
    return statement


def check_times(statement: EntityStatement, now: float, leeway: int = DEFAULT_LEEWAY) -> None:
    """``iat`` not in the future and ``exp`` not passed (§10.2), with ``leeway`` seconds of skew."""
    if statement.iat > now + leeway:
        raise InvalidJwt(
            f"statement by {statement.iss} is issued in the future (iat {statement.iat})", check=Check.IAT
        )
    if statement.exp <= now - leeway:
        raise InvalidJwt(f"statement by {statement.iss} expired (exp {statement.exp})", check=Check.EXP)


def check_crit(statement: EntityStatement, understood: Collection[str] = ()) -> None:
    """Every claim in ``crit`` must be present, an extension, and understood (§3.1)."""
    for name in statement.crit or ():
        if name in STANDARD_CLAIMS:
            raise InvalidJwt(f"crit lists {name!r}, a claim of the specification itself", check=Check.CRIT)
        if name not in (statement.model_extra or {}):
            raise InvalidJwt(f"crit lists {name!r}, which the statement does not contain", check=Check.CRIT)
        if name not in understood:
            raise InvalidJwt(f"critical claim {name!r} is not understood", check=Check.CRIT)


def _decode(token: str) -> dict[str, Any]:
    """The claims of an entity statement JWT, not yet verified; refuses a ``trust_chain`` header."""
    header, claims = decode_unverified(token)
    if "trust_chain" in header:
        raise InvalidJwt("an entity statement must not carry a trust_chain header (§4.3)", check=Check.FORMAT)
    return claims


def _verify(token: str, keys: KeySet, policy: AlgorithmPolicy | None) -> EntityStatement:
    _decode(token)
    verified = verify_jwt(token, keys, JwtType.ENTITY_STATEMENT, policy=policy)
    statement = parse_statement(verified.claims, token)
    statement._signer = verified.key
    return statement


def check_signed_by(statement: EntityStatement, keys: KeySet, policy: AlgorithmPolicy | None = None) -> None:
    """The statement's JWT must verify with one of ``keys`` (§10.2: the keys a superior vouched for).

    When the key with the JWT's ``kid`` is the very key that already verified this statement
    (same RFC 7638 thumbprint), the signature is not checked a second time.
    """
    signer = statement._signer
    if signer is not None:
        kid = statement.kid
        for key in keys.keys:
            if key.kid == kid and (key is signer or key.thumbprint() == signer.thumbprint()):
                return
    verified = verify_jwt(statement.jwt, keys, JwtType.ENTITY_STATEMENT, policy=policy)
    if signer is None:
        statement._signer = verified.key


def verify_entity_configuration(
    token: str,
    *,
    entity_id: str | None = None,
    trusted_keys: KeySet | None = None,
    now: float,
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
    understood_crit: Collection[str] = (),
) -> EntityStatement:
    """Verify an entity configuration and return it typed (§3.1, §10.2).

    The signature must verify with the configuration's own ``jwks`` and, when ``trusted_keys``
    is given (the keys a superior vouched for, or a trust anchor's pinned keys), with those too.
    """
    own = parse_statement(_decode(token), token)
    if not own.is_configuration:
        raise InvalidJwt(
            f"not an entity configuration: iss {own.iss} differs from sub {own.sub}", check=Check.SUB
        )
    if entity_id is not None and own.sub != entity_id:
        raise InvalidJwt(f"entity configuration is for {own.sub}, expected {entity_id}", check=Check.SUB)
    if trusted_keys is not None:
        check_signed_by(own, trusted_keys, policy)
    check_signed_by(own, own.keys(), policy)  # the self-signature (§3.1)
    check_times(own, now, leeway)
    check_crit(own, understood_crit)
    return own


def verify_subordinate_statement(
    token: str,
    *,
    issuer: str,
    subject: str,
    issuer_keys: KeySet,
    now: float,
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
    understood_crit: Collection[str] = (),
) -> EntityStatement:
    """Verify a subordinate statement that ``issuer`` makes about ``subject`` (§3.1, §10.2)."""
    statement = _verify(token, issuer_keys, policy)
    if statement.iss != issuer:
        raise InvalidJwt(
            f"subordinate statement issued by {statement.iss}, expected {issuer}", check=Check.ISS
        )
    if statement.sub != subject:
        raise InvalidJwt(
            f"subordinate statement is about {statement.sub}, expected {subject}", check=Check.SUB
        )
    if statement.is_configuration:
        raise InvalidJwt("a subordinate statement must not be about its own issuer", check=Check.SUB)
    check_times(statement, now, leeway)
    check_crit(statement, understood_crit)
    return statement


def build_entity_configuration(
    entity_id: str,
    jwks: Mapping[str, Any],
    *,
    iat: int,
    lifetime: int = 86400,
    metadata: Mapping[str, Mapping[str, Any]] | None = None,
    authority_hints: list[str] | None = None,
    trust_marks: Sequence[Mapping[str, str]] | None = None,
    trust_mark_issuers: Mapping[str, list[str]] | None = None,
    trust_mark_owners: Mapping[str, Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> EntityStatement:
    """An entity configuration (§3.1) ready to sign; validated like a received one."""
    claims: dict[str, Any] = {
        "iss": entity_id,
        "sub": entity_id,
        "iat": iat,
        "exp": iat + lifetime,
        "jwks": dict(jwks),
        "metadata": {k: dict(v) for k, v in (metadata or {"federation_entity": {}}).items()},
        "authority_hints": authority_hints,
        "trust_marks": [dict(t) for t in trust_marks] if trust_marks else None,
        "trust_mark_issuers": dict(trust_mark_issuers) if trust_mark_issuers else None,
        "trust_mark_owners": {k: dict(v) for k, v in trust_mark_owners.items()}
        if trust_mark_owners
        else None,
        **(extra or {}),
    }
    return parse_statement({k: v for k, v in claims.items() if v is not None})


def build_subordinate_statement(
    issuer: str,
    subject: str,
    jwks: Mapping[str, Any],
    *,
    iat: int,
    lifetime: int = 86400,
    metadata: Mapping[str, Mapping[str, Any]] | None = None,
    metadata_policy: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    metadata_policy_crit: list[str] | None = None,
    constraints: Mapping[str, Any] | None = None,
    source_endpoint: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> EntityStatement:
    """A subordinate statement (§3.1) by ``issuer`` about ``subject``, ready to sign."""
    if issuer == subject:
        raise ValueError("a subordinate statement needs an issuer other than its subject")
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "iat": iat,
        "exp": iat + lifetime,
        "jwks": dict(jwks),
        "metadata": {k: dict(v) for k, v in metadata.items()} if metadata else None,
        "metadata_policy": (
            {k: {p: dict(ops) for p, ops in v.items()} for k, v in metadata_policy.items()}
            if metadata_policy
            else None
        ),
        "metadata_policy_crit": metadata_policy_crit,
        "constraints": dict(constraints) if constraints else None,
        "source_endpoint": source_endpoint,
        **(extra or {}),
    }
    return parse_statement({k: v for k, v in claims.items() if v is not None})

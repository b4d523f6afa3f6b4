"""The written specification, ``schemas/SPEC.md``, generated from the models so it cannot drift.

Member tables come from the same JSON Schema the export publishes (:mod:`schemas.export`):
member names, types, whether required, the description and the ``x-source`` of every field.
Value tables, the trust frameworks and the GPG 45 profiles come from the modules that define
them; the worked examples embed the files in ``schemas/examples/valid/``. The output is
deterministic, so a test (and ``ukid schemas spec --check``) can tell when it is stale.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import schemas
from schemas.catalog import CATALOG, CatalogEntry, detect
from schemas.evidence import CHECK_METHOD_DESCRIPTIONS, CheckMethod
from schemas.export import SCHEMA_ID_BASE, model_json_schema
from schemas.gpg45 import PROFILES, Gpg45Scores, LevelOfConfidence, Profile, evaluate
from schemas.mapping import mapping_table_markdown
from schemas.verified_claims import (
    LEGACY_TRUST_FRAMEWORKS,
    TRUST_FRAMEWORKS,
    VerifiedClaimsPayload,
)

__all__ = ["WORKED_EXAMPLES", "default_spec_path", "render_spec"]

WORKED_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    (
        "Council: resident parking permit",
        "council-resident-parking.json",
        "A resident applies for a parking permit from Oxford City Council. The council's relying party "
        "needs to know that the applicant is an adult who lives in its area, not their date of birth: "
        "the IdP releases the derived claims `age_over_18` and `resident_in_local_authority` "
        "(GSS code E07000178) and an address with its UPRN. The evidence is a UK photocard driving "
        "licence, checked against DVLA's records (`data`), and the council's own council tax "
        "register as an `electronic_record`, which gives the activity history and the questions "
        "of a knowledge-based verification (`kbv`).",
    ),
    (
        "GP: registering with a practice",
        "gp-registration.json",
        "A patient registers with a GP practice online. The health relying party needs a high "
        "confidence identity with the NHS number: the IdP read and verified the chip of a UK "
        "passport (`vcrypt`) and compared a live selfie with the chip photo (`bvr`), then traced "
        "the person on the Personal Demographics Service for the NHS number (valid modulus 11) "
        "and the ODS code of their GP practice. Because a biometric comparison was made, the "
        "federation maps this verification to NHS login P9.",
    ),
)
"""(heading, file in schemas/examples/valid/, narrative) of each worked example."""

_ENUM_MEANINGS: dict[str, dict[str, str]] = {
    CheckMethod.__name__: {method.value: text for method, text in CHECK_METHOD_DESCRIPTIONS.items()},
}
"""Meaning of each value of an enumeration, by its JSON Schema definition name."""

_UK_SCORE_TYPES = (
    (
        "evidence_validation",
        "validity of one piece of evidence, 0 to 4",
        "`score_N_strength`: its strength, 1 to 4",
    ),
    ("activity_history", "activity history, 0 to 4", "-"),
    ("counter_fraud", "identity fraud, 0 to 3", "-"),
    ("verification", "verification, 0 to 4", "-"),
)


_SCORE_TABLE_HEADER = (
    "| `assurance_type` | `assurance_classification` (`score_N`) "
    "| `evidence_ref[].evidence_metadata.evidence_classification` |\n|---|---|---|"
)


def default_spec_path() -> Path:
    """Where the committed specification lives: ``schemas/SPEC.md``."""
    return _package_dir() / "SPEC.md"


def _package_dir() -> Path:
    return Path(schemas.__file__).resolve().parent


def render_spec() -> str:
    """The full text of ``SPEC.md``."""
    roots, definitions = _collect()
    sections = [
        _intro(),
        _payloads(roots),
        _objects(definitions),
        _values(definitions),
        _trust_frameworks(),
        _profiles(),
        _uk_profile_rules(),
        _mapping_section(),
        _worked_examples(),
    ]
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _collect() -> tuple[list[tuple[CatalogEntry, dict[str, Any]]], dict[str, dict[str, Any]]]:
    """Each catalog entry with its JSON Schema, and every definition reachable from them by name."""
    roots: list[tuple[CatalogEntry, dict[str, Any]]] = []
    definitions: dict[str, dict[str, Any]] = {}
    for item in CATALOG:
        document = model_json_schema(item.model)
        for name, schema in document.pop("$defs", {}).items():
            if definitions.setdefault(name, schema) != schema:
                raise ValueError(f"two different models are both called {name!r}: rename one")
        roots.append((item, document))
    return roots, dict(sorted(definitions.items()))


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _cell(text: object) -> str:
    """Text made safe for a Markdown table cell."""
    return " ".join(str(text).replace("``", "`").split()).replace("|", "\\|")


def _prose(text: str) -> str:
    """A docstring as Markdown prose (reStructuredText literals become Markdown code)."""
    return text.replace("``", "`").strip()


def _type_text(member: Mapping[str, Any]) -> str:
    """A JSON Schema member's type in words, linking to the section of a referenced object."""
    if "$ref" in member:
        name = str(member["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    if "const" in member:
        return f"`{json.dumps(member['const'])}`"
    if "enum" in member:
        return "one of " + ", ".join(f"`{value}`" for value in member["enum"])
    for key in ("oneOf", "anyOf"):
        if key in member:
            return " or ".join(_type_text(option) for option in member[key])
    kind = member.get("type")
    if isinstance(kind, list):
        return " or ".join(_type_text({**member, "type": one}) for one in kind)
    if kind == "array":
        text = "array of " + _type_text(member.get("items", {}))
        return text + (f" (at least {member['minItems']})" if "minItems" in member else "")
    if kind == "string":
        return _string_text(member)
    if kind in ("integer", "number"):
        low, high = member.get("minimum"), member.get("maximum")
        if low is not None and high is not None:
            return f"{kind}, {low} to {high}"
        if low is not None:
            return f"{kind}, at least {low}"
        return str(kind) if high is None else f"{kind}, at most {high}"
    if kind == "null":
        return "`null`"
    return str(kind) if kind is not None else "any JSON value"


def _string_text(member: Mapping[str, Any]) -> str:
    if "format" in member:
        return f"string ({member['format']})"
    if "pattern" in member:
        return f"string matching `{member['pattern']}`"
    return "non-empty string" if member.get("minLength") == 1 else "string"


def _member_table(schema: Mapping[str, Any]) -> str:
    required = set(schema.get("required", ()))
    lines = ["| member | type | required | meaning | source |", "|---|---|---|---|---|"]
    for name, member in schema.get("properties", {}).items():
        cells = (
            f"`{name}`",
            _cell(_type_text(member)),
            "yes" if name in required else "no",
            _cell(member.get("description", "")),
            _cell(member.get("x-source", "")),
        )
        lines.append("| " + " | ".join(cells) + " |")
    if schema.get("additionalProperties", True) is not False:
        lines.append("")
        lines.append("Members not listed are allowed and passed on as they are.")
    return "\n".join(lines)


def _intro() -> str:
    return f"""# ukid-interop assurance schema

<!-- Generated from the pydantic models in schemas/ by `ukid schemas spec`; do not edit by hand. -->

This is the shared assurance schema of the ukid-interop federation: the payloads in which a
certified identity provider tells a council or health service who a person is and how well that
was checked. Identity is proven once, at a DIATF-certified identity provider, and reused by any
relying party in the federation. The payloads follow OpenID Connect for Identity Assurance 1.0
(`verified_claims`), with this federation's UK profile: `trust_framework` `uk_diatf`, GPG 45
levels of confidence, profiles and scores, and UK claims (NHS number, National Insurance number,
UPRN, derived claims such as `age_over_18`). Each relying party applies its own policy to the
evidence instead of comparing bare level strings.

The federation: a UK public services trust anchor; a sample citizen identity provider; a council
relying party (resident parking, blue badge); a health intermediate with a health relying party
(GP registration, repeat prescriptions). Every organisation is an OpenID Federation entity, and
trust between them is resolved through the trust anchor, not configured by hand.

## How to read and validate it

- The pydantic models in `schemas/*.py` are the source of truth. The JSON Schema files in
  `schemas/json/` (draft 2020-12, `$id` under `{SCHEMA_ID_BASE}`) and this document are
  generated from them (`ukid schemas export`, `ukid schemas spec`) and checked fresh in CI.
- `ukid schemas check FILE...` checks payloads with the models and prints one line per problem,
  `FILE: $.json.path: reason`; it works out the kind of payload, or takes `--schema NAME`.
- Any JSON Schema 2020-12 validator can use `schemas/json/`. JSON Schema checks the structure;
  the UK profile rules below (NHS number check digits, known trust frameworks, GPG 45
  consistency, `evidence_ref` targets) are checked by the models and `ukid schemas check`.
- A member with no value is left out: JSON `null` is rejected unless a member says otherwise.
  A member that is not part of an object's table is rejected, so a misspelt member is an
  error rather than silently ignored. Dates are `YYYY-MM-DD`; times are RFC 3339 with a time zone.
- Valid and invalid example payloads are in `schemas/examples/`; each invalid one has a
  `.expected` file with the exact output of `ukid schemas check`."""


def _payloads(roots: Iterable[tuple[CatalogEntry, Mapping[str, Any]]]) -> str:
    roots = list(roots)
    lines = [
        "## Payloads",
        "",
        "One published schema per kind of payload. `ukid schemas check` tries them in this order and "
        "applies the first whose rule matches.",
        "",
        "| schema | what it is | JSON Schema | model |",
        "|---|---|---|---|",
    ]
    for item, _ in roots:
        model = f"{item.model.__module__}.{item.model.__qualname__}"
        lines.append(
            f"| [{item.name}](#{_anchor(item.name)}) | {_cell(item.title)} | "
            f"[json/{item.file_name}](json/{item.file_name}) | `{model}` |"
        )
    for item, schema in roots:
        lines += ["", f"### {item.name}", "", f"{item.title}.", "", _prose(schema.get("description", ""))]
        rule = " ".join((inspect.getdoc(item.detect) or "").split())
        if rule:
            lines += ["", f"Recognised by `ukid schemas check` when {_prose(rule)}"]
        lines += ["", _member_table(schema)]
    return "\n".join(lines)


def _objects(definitions: Mapping[str, Mapping[str, Any]]) -> str:
    lines = ["## Objects", "", "The objects the payloads are made of, in alphabetical order."]
    for name, schema in definitions.items():
        if "enum" in schema:
            continue
        lines += ["", f"### {name}", "", _prose(schema.get("description", "")), "", _member_table(schema)]
    return "\n".join(lines)


def _values(definitions: Mapping[str, Mapping[str, Any]]) -> str:
    lines = ["## Values", "", "Members whose values come from a fixed list."]
    for name, schema in definitions.items():
        if "enum" not in schema:
            continue
        lines += ["", f"### {name}", "", _prose(schema.get("description", "")), ""]
        meanings = _ENUM_MEANINGS.get(name)
        if meanings is None:
            lines.append("Values: " + ", ".join(f"`{value}`" for value in schema["enum"]) + ".")
            continue
        lines += ["| value | meaning |", "|---|---|"]
        lines += [f"| `{value}` | {_cell(meanings.get(str(value), ''))} |" for value in schema["enum"]]
    return "\n".join(lines)


def _trust_frameworks() -> str:
    lines = [
        "## Trust frameworks",
        "",
        "`verification.trust_framework` must be one of these (eKYC & IDA predefined values); any other "
        "value is an error.",
        "",
        "| `trust_framework` | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {_cell(meaning)} |" for name, meaning in TRUST_FRAMEWORKS.items()]
    renames = ", ".join(f"`{old}` is read as `{new}`" for old, new in LEGACY_TRUST_FRAMEWORKS.items())
    lines += ["", f"Older names are accepted on input and never emitted: {renames}."]
    return "\n".join(lines)


def _evidence_text(item: Profile) -> str:
    return " + ".join(f"{strength}/{validity}" for strength, validity in item.evidence)


def _profiles() -> str:
    levels = ", ".join(f"`{level.value}`" for level in LevelOfConfidence)
    lines = [
        "## GPG 45 profiles",
        "",
        'Source: GPG 45, "How to prove and verify someone\'s identity", section "Identity profiles". '
        "A profile is a set of minimum scores: one strength/validity pair per piece of evidence (matched "
        "against the person's evidence in any order, each piece used once) and minimum activity history, "
        "identity fraud and verification scores. The level of confidence is the highest level among the "
        f"profiles met; as a `uk_diatf` `assurance_level` it is one of {levels}.",
        "",
        "| profile | `procedure` | level of confidence | evidence (strength/validity) | activity history "
        "| identity fraud | verification |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in PROFILES:
        lines.append(
            f"| {item.name} | `{item.procedure}` | {item.level.label} | {_evidence_text(item)} | "
            f"{item.activity_history} | {item.identity_fraud} | {item.verification} |"
        )
    return "\n".join(lines)


def _uk_profile_rules() -> str:
    score_rows = "\n".join(f"| `{kind}` | {what} | {metadata} |" for kind, what, metadata in _UK_SCORE_TYPES)
    return f"""## UK profile rules

For `trust_framework` `uk_diatf` this federation adds these rules to OpenID Connect for Identity
Assurance 1.0:

1. `assurance_level` is a GPG 45 level of confidence: `low`, `medium`, `high` or `very_high`.
2. `assurance_process.policy` is `gpg45`.
3. `assurance_process.procedure` is the GPG 45 profile met, in lower case (`l1a` to `v3a`), and
   the profile's level of confidence is the `assurance_level`.
4. The GPG 45 scores travel in `assurance_process.assurance_details`, one element per score, as
   the table below shows; each `evidence_validation` element is one piece of evidence and gives
   its strength exactly once; a score that is missing counts as 0. The scores must meet the
   profile named in `procedure` (a relying party can re-evaluate them with `schemas.gpg45.evaluate`).
5. Every `evidence_ref[].check_id` names a `check_id` in some `evidence[].check_details`.
6. UK claims are checked at the edge: `nhs_number` is 10 digits whose last digit is the modulus
   11 check digit of the first nine; `national_insurance_number` is two letters, six digits and a
   letter A to D in the format HMRC allocates (HMRC NIM39110); `uprn` is 1 to 12 digits;
   `resident_in_local_authority` is an ONS GSS code (a letter and 8 digits); `gp_ods_code` is an
   NHS ODS code; UK postcodes (address `country_code` GB or GBR) are well formed.

{_SCORE_TABLE_HEADER}
{score_rows}

For example, a driving licence (strength 3) validated to 2, activity history 1, identity fraud 2
and verification 2 meet profile M1B (`procedure` `m1b`, `assurance_level` `medium`):

```json
{json.dumps(_example_details(), indent=2)}
```"""


def _example_details() -> list[dict[str, Any]]:
    return [
        {
            "assurance_type": "evidence_validation",
            "assurance_classification": "score_2",
            "evidence_ref": [
                {
                    "check_id": "dl-dvla-3b9e",
                    "evidence_metadata": {"evidence_classification": "score_3_strength"},
                }
            ],
        },
        {"assurance_type": "activity_history", "assurance_classification": "score_1"},
        {"assurance_type": "counter_fraud", "assurance_classification": "score_2"},
        {"assurance_type": "verification", "assurance_classification": "score_2"},
    ]


def _mapping_section() -> str:
    return "## Mapping between frameworks\n\n" + mapping_table_markdown()


def _worked_examples() -> str:
    lines = ["## Worked examples"]
    for heading, file_name, narrative in WORKED_EXAMPLES:
        text = (_package_dir() / "examples" / "valid" / file_name).read_text(encoding="utf-8")
        lines += ["", f"### {heading}", "", narrative, "", _scores_summary(json.loads(text)), ""]
        lines += [f"`schemas/examples/valid/{file_name}`:", "", "```json", text.rstrip("\n"), "```"]
    lines += ["", "### All examples", "", "| file | valid? | what it shows |", "|---|---|---|"]
    lines += _example_rows()
    return "\n".join(lines)


def _scores_summary(payload: Any) -> str:
    element = VerifiedClaimsPayload.model_validate(payload).elements()[0]
    verification = element.verification
    scores = verification.gpg45
    result = verification.gpg45_result()
    if scores is None or result is None:
        return "This example carries no GPG 45 scores."
    pieces = " + ".join(f"{piece.strength}/{piece.validity}" for piece in scores.evidence) or "none"
    return (
        f"GPG 45 scores carried: evidence (strength/validity) {pieces}, activity history "
        f"{scores.activity_history}, identity fraud {scores.identity_fraud}, verification "
        f"{scores.verification}. Profiles met: {', '.join(result.profiles)}; the payload claims "
        f"`{verification.assurance_process.procedure if verification.assurance_process else ''}` "
        f"at `{verification.assurance_level}`."
    )


def _example_rows() -> list[str]:
    examples = _package_dir() / "examples"
    rows = []
    for path in sorted((examples / "valid").glob("*.json")):
        summary = _cell(_valid_summary(json.loads(path.read_text(encoding="utf-8"))))
        rows.append(f"| [valid/{path.name}](examples/valid/{path.name}) | yes | {summary} |")
    for path in sorted((examples / "invalid").glob("*.json")):
        expected = path.with_suffix(".expected")
        first = expected.read_text(encoding="utf-8").splitlines()[0] if expected.is_file() else ""
        why = first.removeprefix("# why:").strip()
        rows.append(f"| [invalid/{path.name}](examples/invalid/{path.name}) | no | {_cell(why)} |")
    return rows


def _valid_summary(payload: Any) -> str:
    """One line on what a valid example carries (its kind, framework, level and evidence)."""
    found = detect(payload)
    if found is None or found.model is not VerifiedClaimsPayload:
        if found is not None and found.model is Gpg45Scores:
            scores = Gpg45Scores.model_validate(payload)
            return f"{found.name}: scores meeting {', '.join(evaluate(scores).profiles) or 'no profile'}"
        return found.name if found is not None else "-"
    parts = []
    for element in VerifiedClaimsPayload.model_validate(payload).elements():
        verification = element.verification
        process = verification.assurance_process
        kinds = ", ".join(item.type for item in verification.evidence or ())
        procedure = f" ({process.procedure})" if process is not None and process.procedure else ""
        level = f" {verification.assurance_level}" if verification.assurance_level else ""
        parts.append(f"{verification.trust_framework}{level}{procedure}; evidence: {kinds or 'none'}")
    return f"{found.name}: " + "; ".join(parts)

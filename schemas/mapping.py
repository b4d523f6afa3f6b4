"""How GPG 45 levels of confidence map to other frameworks' levels: THIS FEDERATION'S POLICY.

This is not an official equivalence. GOV.UK One Login, NHS login and eIDAS each define their own
levels; the table below is the policy this federation applies when it has to translate a GPG 45
result into one of them (for example to fill a ``vot`` for a service that asks in One Login or NHS
login terms). The table is data (:data:`MAPPING_TABLE`) so the written specification can render
it and the functions below cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.evidence import PHYSICAL_OR_BIOMETRIC_COMPARISON, CheckMethod
from schemas.gpg45 import LevelOfConfidence

__all__ = [
    "MAPPING_TABLE",
    "MappingRow",
    "eidas_level",
    "mapping_row",
    "mapping_table_markdown",
    "nhs_login_level",
    "one_login_level",
]


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One row of the federation's mapping policy, for one GPG 45 level (``None``: no identity)."""

    gpg45: LevelOfConfidence | None
    one_login: str | None
    """GOV.UK One Login identity level (``P0``..``P3``), or ``None`` where it has no such level."""
    nhs_login: str
    """NHS login identity level when no physical or biometric comparison was made."""
    nhs_login_with_comparison: str
    """NHS login identity level when a check method was ``pvp``, ``pvr``, ``bvp`` or ``bvr``."""
    eidas: str | None
    """eIDAS level of assurance (``low``, ``substantial``, ``high``), or ``None``."""
    note: str


MAPPING_TABLE: tuple[MappingRow, ...] = (
    MappingRow(None, "P0", "P0", "P0", None, "No identity proved: authentication only."),
    MappingRow(
        LevelOfConfidence.LOW,
        "P1",
        "P5",
        "P5",
        "low",
        "NHS login has no low identity level; P5 (knowledge-based checks) is the nearest.",
    ),
    MappingRow(
        LevelOfConfidence.MEDIUM,
        "P2",
        "P5",
        "P9",
        "substantial",
        "For NHS login the check methods decide, not the GPG 45 level alone.",
    ),
    MappingRow(
        LevelOfConfidence.HIGH,
        "P3",
        "P9",
        "P9",
        "high",
        "One Login P3 stands for GPG 45 profile H1A.",
    ),
    MappingRow(
        LevelOfConfidence.VERY_HIGH,
        None,
        "P9",
        "P9",
        "high",
        "One Login defines no level above P3; eIDAS high is its top level.",
    ),
)
"""The federation's mapping policy, one row per GPG 45 level from none to very high."""


def mapping_row(level: LevelOfConfidence | None) -> MappingRow:
    """The policy row for ``level`` (``None``: no identity proved)."""
    for row in MAPPING_TABLE:
        if row.gpg45 == level:
            return row
    raise KeyError(f"{level!r} is not a GPG 45 level of confidence")


def one_login_level(level: LevelOfConfidence | None) -> str | None:
    """GOV.UK One Login identity level for a GPG 45 level, by this federation's policy.

    ``None`` (no identity) gives ``P0``; very high gives ``None`` (One Login has no such level).
    """
    return mapping_row(level).one_login


def nhs_login_level(level: LevelOfConfidence | None, check_methods: Iterable[CheckMethod]) -> str:
    """NHS login identity level for a GPG 45 level, by this federation's policy.

    ``check_methods`` are the check methods of the verification's evidence; a medium level
    gives ``P9`` only when one of them is a physical or biometric comparison with photo ID
    (``pvp``, ``pvr``, ``bvp``, ``bvr``), else ``P5``.
    """
    row = mapping_row(level)
    compared = any(method in PHYSICAL_OR_BIOMETRIC_COMPARISON for method in check_methods)
    return row.nhs_login_with_comparison if compared else row.nhs_login


def eidas_level(level: LevelOfConfidence | None) -> str | None:
    """eIDAS level of assurance for a GPG 45 level, by this federation's policy (``None``: none)."""
    return mapping_row(level).eidas


def _cell(value: str | None) -> str:
    return "-" if value is None else value


def _nhs_cell(row: MappingRow) -> str:
    if row.nhs_login == row.nhs_login_with_comparison:
        return row.nhs_login
    return (
        f"{row.nhs_login_with_comparison} if a physical or biometric comparison "
        f"(`pvp`, `pvr`, `bvp`, `bvr`) was made, else {row.nhs_login}"
    )


def mapping_table_markdown() -> str:
    """:data:`MAPPING_TABLE` as Markdown: a line saying it is this federation's policy, then the table."""
    lines = [
        "_This federation's policy, not an official equivalence between the frameworks._",
        "",
        "| GPG 45 | One Login | NHS login | eIDAS LoA | Note |",
        "|---|---|---|---|---|",
    ]
    for row in MAPPING_TABLE:
        gpg45 = "none" if row.gpg45 is None else row.gpg45.label
        cells = (gpg45, _cell(row.one_login), _nhs_cell(row), _cell(row.eidas), row.note)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

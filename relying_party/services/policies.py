"""The sample services' assurance policies: what each asks for and accepts (schemas.policy).

- Council, **resident parking permit**: low confidence is enough; only the address (with its UPRN,
  checked against the council's gazetteer after the login) is asked for: not the name, not the date
  of birth (data minimisation). The vehicle registration is typed by the citizen.
- Council, **Blue Badge**: medium confidence with name, date of birth and address.
- GP practice, **register**: low confidence, any evidence including a vouch (people with no fixed
  address or documents have the right to register); name and date of birth; address and NHS number
  when held.
- GP practice, **repeat prescriptions**: the NHS login P9 equivalent: medium or higher with a physical
  or biometric comparison (``pvp``, ``pvr``, ``bvp``, ``bvr``), the NHS number, and a one-time code.
"""

from __future__ import annotations

from relying_party.core.policy import ServicePolicy
from schemas.evidence import CheckMethod
from schemas.gpg45 import LevelOfConfidence
from schemas.policy import AssurancePolicy, CheckMethodRequirement

__all__ = ["council_policies", "gp_policies"]


def council_policies() -> list[ServicePolicy]:
    """Resident parking permit and Blue Badge."""
    return [
        ServicePolicy(
            name="parking-permit",
            title="Apply for a resident parking permit",
            assurance=AssurancePolicy(
                service="Apply for a resident parking permit",
                minimum_level=LevelOfConfidence.LOW,
                required_claims=["address"],
            ),
            claims={"address": "To check you live in a permit zone of the council's area"},
        ),
        ServicePolicy(
            name="blue-badge",
            title="Apply for a Blue Badge",
            assurance=AssurancePolicy(
                service="Apply for a Blue Badge",
                minimum_level=LevelOfConfidence.MEDIUM,
                required_claims=["given_name", "family_name", "birthdate", "address"],
            ),
            claims={
                "given_name": "To put your name on your Blue Badge",
                "family_name": "To put your name on your Blue Badge",
                "birthdate": "To check your eligibility for a Blue Badge",
                "address": "To send your Blue Badge to your home",
            },
        ),
    ]


def gp_policies() -> list[ServicePolicy]:
    """Registering with the practice and ordering repeat prescriptions."""
    return [
        ServicePolicy(
            name="register",
            title="Register with the practice",
            assurance=AssurancePolicy(
                service="Register with a GP practice",
                minimum_level=LevelOfConfidence.LOW,
                required_claims=["given_name", "family_name", "birthdate"],
            ),
            claims={
                "given_name": "To register you as a patient",
                "family_name": "To register you as a patient",
                "birthdate": "To register you as a patient",
                "address": "To register you as a patient (if you have a fixed address)",
                "nhs_number": "To find your NHS records (if you have an NHS number)",
            },
        ),
        ServicePolicy(
            name="repeat-prescriptions",
            title="Order a repeat prescription",
            assurance=AssurancePolicy(
                service="Order a repeat prescription",
                minimum_level=LevelOfConfidence.MEDIUM,
                required_check_methods=[
                    CheckMethodRequirement(
                        any_of=[CheckMethod.PVP, CheckMethod.PVR, CheckMethod.BVP, CheckMethod.BVR],
                        description="a check that you look like the photo on your ID",
                    )
                ],
                required_claims=["given_name", "family_name", "birthdate", "nhs_number"],
            ),
            claims={
                "given_name": "To find your prescriptions",
                "family_name": "To find your prescriptions",
                "birthdate": "To find your prescriptions",
                "nhs_number": "To find your prescriptions in your NHS record",
            },
            credential="Cl.Cm",
        ),
    ]

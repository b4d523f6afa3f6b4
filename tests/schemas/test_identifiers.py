"""UK identifiers: NHS number (NHS Data Dictionary modulus 11), National Insurance number (HMRC
NIM39110), postcode, and the derived-claim age helpers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.claims import Claims, age_on, is_age_over
from schemas.identifiers import is_valid_nhs_number, is_valid_nino, nhs_check_digit


@pytest.mark.parametrize("number", ["9434765919", "9434765870", "4010232137"])
def test_nhs_number_modulus_11_valid(number: str) -> None:
    assert is_valid_nhs_number(number)


@pytest.mark.parametrize("number", ["9434765918", "943476591", "94347659190", "943 476 5919", "943476591X"])
def test_nhs_number_modulus_11_invalid(number: str) -> None:
    assert not is_valid_nhs_number(number)


def test_nhs_number_check_digit_10_means_no_valid_number() -> None:
    # weights 10..2 over 000000001 sum to 2: 11 - 2 = 9; over 000000010 sum to 3 -> 8 ...
    assert nhs_check_digit("943476591") == 9
    assert nhs_check_digit("000000001") == 9
    nine = next(f"{n:09d}" for n in range(1000) if nhs_check_digit(f"{n:09d}") is None)
    assert not any(is_valid_nhs_number(nine + str(d)) for d in range(10))


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_nhs_number_exactly_one_check_digit_or_none(first_nine: str) -> None:
    valid = [d for d in range(10) if is_valid_nhs_number(first_nine + str(d))]
    check = nhs_check_digit(first_nine)
    assert valid == ([] if check is None else [check])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9434765918", "not a valid NHS number: the check digit (modulus 11) does not match"),
        ("943 476 5919", "an NHS number is exactly 10 digits, with no spaces"),
    ],
)
def test_nhs_number_claim_rejected_with_reason(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Claims.model_validate({"nhs_number": value})
    assert caught.value.errors()[0]["msg"] == f"Value error, {message}"
    assert caught.value.errors()[0]["loc"] == ("nhs_number",)


@pytest.mark.parametrize("value", ["AB123456C", "JG103759A", "CE000000D"])
def test_nino_nim39110_valid(value: str) -> None:
    assert is_valid_nino(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("QQ123456C", "a National Insurance number cannot start with Q"),
        ("AO123456C", "the second letter of a National Insurance number cannot be O"),
        ("GB123456A", "GB is not an allocated National Insurance number prefix"),
        (
            "AB123456E",
            "a National Insurance number is two letters, six digits and a letter A to D, "
            "in capitals with no spaces (for example AB123456C)",
        ),
        (
            "ab123456c",
            "a National Insurance number is two letters, six digits and a letter A to D, "
            "in capitals with no spaces (for example AB123456C)",
        ),
    ],
)
def test_nino_nim39110_invalid_with_reason(value: str, message: str) -> None:
    assert not is_valid_nino(value)
    with pytest.raises(ValidationError) as caught:
        Claims.model_validate({"national_insurance_number": value})
    assert caught.value.errors()[0]["msg"] == f"Value error, {message}"


def test_uk_postcode_checked_only_for_uk_addresses() -> None:
    Claims.model_validate({"address": {"country_code": "FR", "postal_code": "75008"}})
    Claims.model_validate(
        {"address": {"country_code": "GB", "postal_code": "SW1A 2AA", "uprn": "100023336956"}}
    )
    with pytest.raises(ValidationError) as caught:
        Claims.model_validate({"address": {"country_code": "GBR", "postal_code": "SW1A2AA"}})
    error = caught.value.errors()[0]
    assert error["loc"] == ("address", "postal_code")
    assert "a UK postcode is in capitals" in error["msg"]


@pytest.mark.parametrize("uprn", ["", "1234567890123", "12a"])
def test_uprn_is_1_to_12_digits(uprn: str) -> None:
    with pytest.raises(ValidationError):
        Claims.model_validate({"address": {"uprn": uprn}})


@pytest.mark.parametrize(
    ("birthdate", "today", "age"),
    [
        (date(2008, 3, 1), date(2026, 2, 28), 17),
        (date(2008, 3, 1), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_derived_age_over(birthdate: date, today: date, age: int) -> None:
    assert age_on(birthdate, today) == age
    assert is_age_over(birthdate, 18, today) is (age >= 18)

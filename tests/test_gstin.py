"""GSTIN validation follows the portal (mod-36 check character, state codes), not python-stdnum."""

import pytest

from recon import gstin

VALID = ["27AAPFU0939F1ZV", "33GSPTN0791G1Z5", "32TAAOA2947A1Z7", "27AHQPA7588L1ZJ", "29AAPFU0939F1ZR"]
# Sample GSTINs from GSTN/GSP documents that fail the check character (docs/reference/ims-rules.md §9.1).
FAILING_SAMPLES = ["01AABCE2207R1Z5", "24MAYAS0100J1JD", "24ABCCU0123M1YZ", "07AAAAA0000A1Z8"]


@pytest.mark.parametrize("value", VALID)
def test_valid_gstins_pass(value):
    assert gstin.problem(value) is None
    assert gstin.check_char(value[:14]) == value[14]


@pytest.mark.parametrize("value", FAILING_SAMPLES)
def test_vendor_samples_fail_the_check_character(value):
    assert "check character" in gstin.problem(value)


def test_one_character_typo_is_caught():
    typo = "27AAPFU0939F1ZV".replace("0939", "0993")
    assert "typo" in gstin.problem(typo)


@pytest.mark.parametrize(
    ("value", "words"),
    [("", "blank"), ("27AAPFU0939F1Z", "14 characters"), ("00AAPFU0939F1ZV", "not a state code")],
)
def test_problems_are_in_words(value, words):
    assert words in gstin.problem(value)


def test_ladakh_and_non_z_14th_character_are_not_rejected():
    # python-stdnum rejects these; the portal does not (docs/reference/ims-rules.md §9.1).
    ladakh = "38AAPFU0939F1Z" + gstin.check_char("38AAPFU0939F1Z")
    tds = "27AAPFU0939F1D" + gstin.check_char("27AAPFU0939F1D")
    assert gstin.is_valid(ladakh)
    assert gstin.is_valid(tds)
    assert gstin.caution(tds) is None or "special" in gstin.caution(tds)


def test_pan_and_state():
    assert gstin.pan("27AAPFU0939F1ZV") == "AAPFU0939F"
    assert gstin.state_name(gstin.state_code("29AAPFU0939F1ZR")) == "Karnataka"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Maharashtra", "27"),
        ("27-Maharashtra", "27"),
        ("Orissa", "21"),
        ("Andaman and Nicobar Islands", "35"),
        ("Jammu and Kashmir", "01"),
        ("Atlantis", None),
    ],
)
def test_state_names_from_2b_excel(text, code):
    assert gstin.state_code_from_name(text) == code

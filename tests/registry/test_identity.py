"""Identity numbers by their standards: GB 11643 resident ID numbers (MOD 11-2 check, real birth date) and
GB 32100 unified social credit codes (MOD 31 check, no I O Z S V). Worked examples, then properties."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finplat.registry.identity import (USCC_CHARS, birth_date, id_check_char, id_number_error, normalise_id,
                                       uscc_check_char, uscc_error)

TODAY = date(2026, 11, 23)


# --- resident ID numbers (GB 11643)

def test_the_standards_example_is_valid():
    # GB 11643-1999's own example: born 1949-12-31 in Beijing's Chaoyang district, check character X.
    assert id_check_char("11010519491231002") == "X"
    assert id_number_error("11010519491231002X", TODAY) is None
    assert birth_date("11010519491231002X") == date(1949, 12, 31)


def test_check_character_by_hand():
    # 3,7,0,1,0,3,1,9,9,0,0,1,0,1,0,0,1 x 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2
    # = 21+63+0+5+0+12+2+9+54+0+0+9+0+5+0+0+2 = 182; 182 mod 11 = 6; "10X98765432"[6] = "6"
    assert id_check_char("37010319900101001") == "6"
    assert id_number_error("370103199001010016", TODAY) is None
    assert id_number_error("370103199001010010", TODAY) == "check character should be 6, not 0"


def test_lower_case_x_is_accepted_and_normalised():
    assert id_number_error("11010519491231002x", TODAY) is None
    assert normalise_id(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize("number, reason", [
    ("37010319900101001", "must be 18 characters, not 17"),
    ("3701031990010100166", "must be 18 characters, not 19"),
    ("", "must be 18 characters, not 0"),
    ("37010319900A01001X", "must be 17 digits and a digit or X"),
    ("370103199001010O16", "must be 17 digits and a digit or X"),
    ("37010319900101001Y", "must be 17 digits and a digit or X"),
    ("３７０１０３１９９００１０１００１６", "must be 17 digits and a digit or X"),  # full-width digits
    ("370103199002300016", "the birth date is not a real date"),  # 30 February
    ("370103199013010016", "the birth date is not a real date"),
    ("370103189912310016", "the birth date is out of range"),
])
def test_wrong_numbers_are_named(number, reason):
    assert id_number_error(number, TODAY) == reason


def test_a_birth_date_after_today_is_refused():
    tomorrow = "37010320261124001"
    assert id_number_error(tomorrow + id_check_char(tomorrow), TODAY) == "the birth date is out of range"
    born_today = "37010320261123001"
    assert id_number_error(born_today + id_check_char(born_today), TODAY) is None


# --- unified social credit codes (GB 32100)

def test_a_published_credit_code_is_valid():
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert uscc_error("91350100M000100Y43") is None
    assert uscc_error(" 91350100m000100y43 ") is None  # read upper-case, as the service stores it


@pytest.mark.parametrize("code, reason", [
    ("91350100M000100Y44", "check character should be 3, not 4"),
    ("91350100M000100Y4", "must be 18 characters, not 17"),
    ("91350100M000100I43", "characters I are not used in credit codes"),
    ("9135010OM000100Y43", "characters O are not used in credit codes"),
    ("91350100M000100Z43", "characters Z are not used in credit codes"),
    ("91350100M000S00Y43", "characters S are not used in credit codes"),
    ("91350100MV00100Y43", "characters V are not used in credit codes"),
    ("91350100M-00100Y43", "characters - are not used in credit codes"),
])
def test_wrong_credit_codes_are_named(code, reason):
    assert uscc_error(code) == reason


# --- properties

DATES = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
DIGITS = st.text("0123456789", min_size=3, max_size=3)


@given(region=st.text("0123456789", min_size=6, max_size=6), born=DATES, seq=DIGITS)
def test_every_number_with_its_check_character_is_valid(region, born, seq):
    body = f"{region}{born:%Y%m%d}{seq}"
    assert id_number_error(body + id_check_char(body), TODAY) is None


@given(born=DATES, seq=DIGITS, position=st.integers(0, 17), digit=st.sampled_from("0123456789X"))
def test_any_single_changed_character_is_caught(born, seq, position, digit):
    body = f"370103{born:%Y%m%d}{seq}"
    number = body + id_check_char(body)
    changed = number[:position] + digit + number[position + 1:]
    if changed != number:
        assert id_number_error(changed, TODAY) is not None


@given(body=st.text(USCC_CHARS, min_size=17, max_size=17), position=st.integers(0, 17),
       char=st.sampled_from(USCC_CHARS))
def test_credit_code_check_catches_any_single_substitution(body, position, char):
    code = body + uscc_check_char(body)
    assert uscc_error(code) is None
    changed = code[:position] + char + code[position + 1:]
    if changed != code:
        assert uscc_error(changed) is not None


@given(st.text(max_size=40))
def test_checks_never_raise(value):
    assert id_number_error(value, TODAY) is None or isinstance(id_number_error(value, TODAY), str)
    assert uscc_error(value) is None or isinstance(uscc_error(value), str)

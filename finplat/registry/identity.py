"""Identity numbers, checked as their standards define them (pure: no Flask, no database).

- Resident ID numbers, GB 11643-1999: 6-digit division code, birth date YYYYMMDD, 3-digit sequence, and a
  check character from the ISO 7064 MOD 11-2 sum with weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2.
- Unified social credit codes, GB 32100-2015: 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I,
  O, Z, S, V), the last a check character from weights 3^i mod 31.
Each check returns the reason a number is wrong (length, characters, date, check), or None when it is right.
"""
from datetime import date

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def normalise_id(value: str) -> str:
    return value.strip().upper()


def id_number_error(value: str, today: date | None = None) -> str | None:
    number = normalise_id(value)
    if len(number) != 18:
        return f"must be 18 characters, not {len(number)}"
    if not number[:17].isascii() or not number[:17].isdigit() or number[17] not in "0123456789X":
        return "must be 17 digits and a digit or X"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "the birth date is not a real date"  # its digits are what masking hides: never echoed
    if born.year < 1900 or born > (today or date.today()):
        return "the birth date is out of range"
    if id_check_char(number[:17]) != number[17]:
        return f"check character should be {id_check_char(number[:17])}, not {number[17]}"
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    code = value.strip().upper()
    if len(code) != 18:
        return f"must be 18 characters, not {len(code)}"
    bad = sorted({c for c in code if c not in USCC_CHARS})
    if bad:
        return f"characters {''.join(bad)} are not used in credit codes"
    if uscc_check_char(code[:17]) != code[17]:
        return f"check character should be {uscc_check_char(code[:17])}, not {code[17]}"
    return None


def birth_date(id_number: str) -> date:
    n = normalise_id(id_number)
    return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))

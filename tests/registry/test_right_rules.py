"""The pure rules for rights (DESIGN.md §3.2): holders, units, terms and the consents a mortgage needs."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finplat.registry.right_rules import (add_years, area_unit_errors, consent_party_errors, contract_right_errors,
                                          holder_errors, max_term_years, missing_consents, right_errors,
                                          term_errors)


def test_add_years_keeps_the_calendar_date():
    assert add_years(date(2026, 1, 1), 50) == date(2076, 1, 1)
    assert add_years(date(2026, 11, 23), 40) == date(2066, 11, 23)
    assert add_years(date(2024, 2, 29), 30) == date(2054, 2, 28)  # no 29 February in 2054
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


@pytest.mark.parametrize("use, years", [("industrial", 50), ("warehouse", 50), ("other", 50),
                                        ("commercial", 40), ("tourism", 40), ("entertainment", 40)])
def test_construction_land_term_limit_per_use(use, years):
    start = date(2026, 1, 1)
    attrs = {"use": use}
    assert max_term_years("construction_land", attrs) == years
    assert term_errors("construction_land", attrs, start, date(2026 + years, 1, 1)) == {}  # same calendar date
    errors = term_errors("construction_land", attrs, start, date(2026 + years, 1, 2))  # one day more
    assert list(errors) == ["term_end"] and f"at most {years} years" in errors["term_end"][0]


@pytest.mark.parametrize("land_class, years", [("cropland", 30), ("grassland", 50), ("forest_land", 70)])
def test_land_management_term_limit_per_land_class(land_class, years):
    start = date(2018, 1, 1)
    attrs = {"land_class": land_class}
    assert term_errors("land_management", attrs, start, date(2018 + years, 1, 1)) == {}
    assert "term_end" in term_errors("land_management", attrs, start, date(2018 + years, 1, 2))


def test_cropland_past_thirty_years_is_refused_though_grassland_may_run_longer():
    start, end = date(2018, 1, 1), date(2058, 1, 1)  # 40 years
    assert "term_end" in term_errors("land_management", {"land_class": "cropland"}, start, end)
    assert term_errors("land_management", {"land_class": "grassland"}, start, end) == {}


def test_term_must_end_after_it_starts():
    day = date(2026, 5, 1)
    assert term_errors("forest", {}, day, day) == {"term_end": ["must be after term_start"]}
    assert term_errors("forest", {}, day, date(2026, 4, 30)) == {"term_end": ["must be after term_start"]}
    assert term_errors("forest", {}, day, date(2096, 5, 1)) == {}  # no limit of its own for forest


def test_term_required_by_kind():
    assert set(term_errors("land_management", {"land_class": "cropland"}, None, None)) == {"term_start", "term_end"}
    assert set(term_errors("construction_land", {"use": "industrial"}, date(2026, 1, 1), None)) == {"term_end"}
    assert term_errors("house", {}, None, None) == {}
    assert term_errors("water_facility", {}, None, None) == {}
    assert set(term_errors("house", {}, date(2026, 1, 1), None)) == {"term_end"}


@pytest.mark.parametrize("kind, allowed", [
    ("land_management", {"household", "enterprise", "collective"}),
    ("house", {"household"}),
    ("construction_land", {"enterprise", "collective"}),
    ("forest", {"household", "collective", "enterprise"}),
    ("water_facility", {"collective", "household"}),
])
def test_holder_kinds(kind, allowed):
    for holder in ("household", "collective", "enterprise"):
        assert (holder_errors(kind, holder) == {}) == (holder in allowed), (kind, holder)
    if "enterprise" not in allowed:
        assert "not a enterprise" in holder_errors(kind, "enterprise")["holder_id"][0]


def test_area_units_by_kind():
    assert area_unit_errors("land_management", "mu") == area_unit_errors("house", "m2") == {}
    assert "area_unit" in area_unit_errors("construction_land", "mu")
    assert "area_unit" in area_unit_errors("forest", "m2")
    assert area_unit_errors("water_facility", "mu") == area_unit_errors("water_facility", "m2") == {}


def test_right_errors_names_every_broken_rule():
    errors = right_errors("construction_land", "household", "mu", date(2026, 1, 1), date(2076, 1, 2),
                          {"use": "industrial"})
    assert set(errors) == {"holder_id", "area_unit", "term_end"}


def test_consent_parties():
    for kind in ("collective_filing", "collective_consent", "villagers_meeting", "other_residence"):
        assert consent_party_errors(kind, "collective") == {}
        assert "party_id" in consent_party_errors(kind, "household")
        assert "party_id" in consent_party_errors(kind, "enterprise")
    assert consent_party_errors("contractor", "household") == {}
    assert "party_id" in consent_party_errors("contractor", "collective")
    # the contractor is the household holding the contracted right, when the registry knows it
    assert consent_party_errors("contractor", "household", party_id=7, contractor_id=7) == {}
    assert "party_id" in consent_party_errors("contractor", "household", party_id=8, contractor_id=7)


def test_a_co_owner_consent_names_a_member_of_the_holding_household():
    assert consent_party_errors("co_owner", "household", "house", 5, holder_id=5, member_id=31,
                                member_household_id=5) == {}
    assert consent_party_errors("co_owner", "household", "house", 5, holder_id=5) == {
        "member_id": ["a co-owner's consent names the household member who gave it"]}
    assert consent_party_errors("co_owner", "household", "house", 5, holder_id=5, member_id=31,
                                member_household_id=6) == {
        "member_id": ["not a member of the household that holds the right"]}
    assert list(consent_party_errors("co_owner", "household", "house", 6, holder_id=5, member_id=31,
                                     member_household_id=5)) == ["party_id"]
    assert list(consent_party_errors("collective_consent", "collective", "house", 9, member_id=31)) == ["member_id"]
    assert list(consent_party_errors("co_owner", "household", "land_management", 5)) == ["kind"]


def test_a_transferee_names_the_contracted_right_and_stays_within_its_term():
    contract = {"kind": "land_management", "holder_kind": "household", "holder_id": 3, "status": "active",
                "term_end": date(2047, 12, 31)}
    assert contract_right_errors("household", 3, date(2047, 12, 31), None) == {}  # the contractor itself
    assert list(contract_right_errors("enterprise", 9, date(2030, 12, 31), None)["attributes"]) == \
        ["contract_right_id"]
    assert contract_right_errors("enterprise", 9, date(2047, 12, 31), contract) == {}
    assert contract_right_errors("enterprise", 9, date(2048, 1, 1), contract) == {
        "term_end": ["must not be after the contract term's end, 2047-12-31"]}
    assert contract_right_errors("household", 4, date(2040, 1, 1), contract) == {}  # a household transferee
    own = contract_right_errors("household", 3, date(2040, 1, 1), contract)
    assert own == {"attributes": {"contract_right_id": ["is the holder's own contracted right"]}}
    for changes, message in (({"kind": "forest"}, "must be a land management right of the contracting household"),
                             ({"holder_kind": "enterprise"}, "must be a land management right of the contracting household"),
                             ({"status": "expired"}, "the contracted right is expired"),
                             ({"kind": None}, "no such right")):
        assert contract_right_errors("enterprise", 9, date(2030, 1, 1), {**contract, **changes}) == {
            "attributes": {"contract_right_id": [message]}}


def test_missing_consents_for_a_mortgage():
    assert missing_consents("land_management", [], True) == ["collective_filing"]
    assert missing_consents("land_management", ["collective_filing"], True) == []
    assert missing_consents("land_management", ["collective_filing"], False) == ["contractor"]
    assert missing_consents("land_management", [], False) == ["collective_filing", "contractor"]
    assert missing_consents("land_management", ["contractor", "collective_filing"], False) == []
    # a house: the collective's consent, every co-owner's (members 1 and 2) and the proof of another residence
    assert missing_consents("house", [], True, co_owners=[1, 2]) == ["collective_consent", "co_owner",
                                                                      "other_residence"]
    assert missing_consents("house", ["collective_consent", "other_residence", "co_owner"], True, [1, 2], [1]) == \
        ["co_owner"]
    assert missing_consents("house", ["collective_consent", "other_residence", "co_owner", "co_owner"], True,
                            [1, 2], [2, 1]) == []
    assert missing_consents("house", ["collective_consent", "other_residence"], True, []) == []  # no co-owners
    assert missing_consents("construction_land", [], False) == ["villagers_meeting"]
    assert missing_consents("construction_land", ["villagers_meeting"], False) == []
    assert missing_consents("forest", [], True) == []
    assert missing_consents("water_facility", [], False) == []


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)), st.integers(1, 80))
def test_add_years_never_overshoots(start, years):
    end = add_years(start, years)
    assert end.year == start.year + years and end.month == start.month and end.day <= start.day


def test_terms_near_the_end_of_the_calendar_do_not_overflow():
    from datetime import date

    from finplat.registry.right_rules import add_years
    assert add_years(date(9990, 1, 1), 30) == date.max
    assert add_years(date(2024, 2, 29), 30) == date(2054, 2, 28)

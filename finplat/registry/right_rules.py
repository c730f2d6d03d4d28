"""The registry's rules for rights (DESIGN.md §3.2), as pure functions: who may hold each kind, in which unit
its area is measured, how long its term may run, and which consents a mortgage of it needs. No Flask, no
database: the service looks the facts up and passes them in.

Each check returns {field: [message, ...]}, empty when the right keeps every rule, so that one response can
name every field that is wrong.
"""
from datetime import date

# Who may hold each kind. Land management: the contracting household, or a transferee (a household, an
# enterprise or a collective) that took the management right over from it.
HOLDER_KINDS = {
    "land_management": ("household", "enterprise", "collective"),
    "house": ("household",),
    "construction_land": ("enterprise", "collective"),
    "forest": ("household", "collective", "enterprise"),
    "water_facility": ("collective", "household"),
}

# The unit each kind's area is registered in (DESIGN.md §3.2); valuation multiplies per-mu and per-m2 figures
# by it. A water facility may be measured either way.
AREA_UNITS = {
    "land_management": ("mu",),
    "house": ("m2",),
    "construction_land": ("m2",),
    "forest": ("mu",),
    "water_facility": ("mu", "m2"),
}

# Kinds registered with a term (start and end); a house and a water facility have none of their own.
TERM_REQUIRED = ("land_management", "construction_land", "forest")

# Longest term in years, by the attribute that decides it.
TERM_LIMITS = {
    "land_management": ("land_class", {"cropland": 30, "grassland": 50, "forest_land": 70}),
    "construction_land": ("use", {"industrial": 50, "warehouse": 50, "other": 50,
                                  "commercial": 40, "tourism": 40, "entertainment": 40}),
}

COLLECTIVE_CONSENTS = ("collective_filing", "collective_consent", "villagers_meeting", "other_residence")


def add_years(day: date, years: int) -> date:
    """The same calendar date `years` later; 29 February becomes 28 February in a year without one. Past
    the calendar's last year, the last day there is (no term can reach beyond it)."""
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def max_term_years(kind: str, attributes: dict) -> int | None:
    """The longest term a right of `kind` with `attributes` may have, or None when no limit applies."""
    if kind not in TERM_LIMITS:
        return None
    attribute, limits = TERM_LIMITS[kind]
    return limits.get(attributes.get(attribute))


def holder_errors(kind: str, holder_kind: str) -> dict:
    allowed = HOLDER_KINDS[kind]
    if holder_kind in allowed:
        return {}
    return {"holder_id": [f"a {kind} right is held by a {' or '.join(allowed)}, not a {holder_kind}"]}


def area_unit_errors(kind: str, area_unit: str) -> dict:
    allowed = AREA_UNITS[kind]
    if area_unit in allowed:
        return {}
    return {"area_unit": [f"a {kind} right's area is registered in {' or '.join(allowed)}"]}


def term_errors(kind: str, attributes: dict, term_start: date | None, term_end: date | None) -> dict:
    """The term must end after it starts and, where the kind has a limit, no later than the same calendar
    date that many years after it starts (API.md: term_end <= term_start + N years)."""
    errors = {}
    if kind in TERM_REQUIRED:
        if term_start is None:
            errors["term_start"] = [f"a {kind} right is registered with its term"]
        if term_end is None:
            errors["term_end"] = [f"a {kind} right is registered with its term"]
    elif (term_start is None) != (term_end is None):
        missing = "term_start" if term_start is None else "term_end"
        errors[missing] = ["a term needs both its start and its end"]
    if errors or term_start is None:
        return errors
    if term_end <= term_start:
        return {"term_end": ["must be after term_start"]}
    years = max_term_years(kind, attributes)
    if years is not None and term_end > add_years(term_start, years):
        attribute = TERM_LIMITS[kind][0]
        return {"term_end": [f"at most {years} years for {attribute} {attributes[attribute]}: "
                             f"no later than {add_years(term_start, years).isoformat()}"]}
    return {}


def right_errors(kind: str, holder_kind: str, area_unit: str, term_start: date | None, term_end: date | None,
                 attributes: dict) -> dict:
    """Every rule of DESIGN.md §3.2 that a new right of `kind` breaks, by field."""
    return {**holder_errors(kind, holder_kind), **area_unit_errors(kind, area_unit),
            **term_errors(kind, attributes, term_start, term_end)}


# The consents that concern each kind of right (DESIGN.md §3.2); forest and water rights need none. A house
# also needs the collective's proof that the household has another stable residence (`other_residence`).
CONSENTS_BY_KIND = {
    "land_management": ("collective_filing", "contractor"),
    "house": ("collective_consent", "co_owner", "other_residence"),
    "construction_land": ("villagers_meeting",),
    "forest": (),
    "water_facility": (),
}


def consent_party_errors(consent_kind: str, party_kind: str, right_kind: str | None = None,
                         party_id: int | None = None, holder_collective_id: int | None = None, *,
                         holder_id: int | None = None, contractor_id: int | None = None,
                         member_id: int | None = None, member_household_id: int | None = None) -> dict:
    """Who may give a consent. It must concern the right's kind; a filing, a collective's consent, a
    villagers' meeting or the proof of another residence comes from a collective, and for a household's right
    from the holder's own collective (the one that let the land or the homestead). The contractor is a
    household, and the one holding the contracted right when the registry knows it (`contractor_id`). A
    co-owner's consent is filed under the holding household (`holder_id`) and names the member who gave it
    (`member_id`, of household `member_household_id`); only a co-owner's consent names a member."""
    if right_kind is not None and consent_kind not in CONSENTS_BY_KIND[right_kind]:
        allowed = ", ".join(CONSENTS_BY_KIND[right_kind]) or "none"
        return {"kind": [f"a {right_kind} right takes no {consent_kind} consent (it takes: {allowed})"]}
    if consent_kind != "co_owner" and member_id is not None:
        return {"member_id": ["only a co_owner consent names a household member"]}
    if consent_kind in COLLECTIVE_CONSENTS and party_kind == "collective" and holder_collective_id \
            and party_id != holder_collective_id:
        return {"party_id": [f"the {consent_kind} must come from the holder's collective"]}
    if consent_kind in COLLECTIVE_CONSENTS and party_kind != "collective":
        return {"party_id": [f"a {consent_kind} comes from a collective, not a {party_kind}"]}
    if consent_kind == "contractor":
        if party_kind != "household":
            return {"party_id": [f"the contractor is a household, not a {party_kind}"]}
        if contractor_id is not None and party_id != contractor_id:
            return {"party_id": ["the contractor's consent comes from the household holding the contracted right"]}
    if consent_kind == "co_owner":
        if holder_id is not None and party_id != holder_id:
            return {"party_id": ["a co-owner's consent is filed under the household that holds the right"]}
        if member_id is None:
            return {"member_id": ["a co-owner's consent names the household member who gave it"]}
        if member_household_id is not None and member_household_id != holder_id:
            return {"member_id": ["not a member of the household that holds the right"]}
    return {}


def contract_right_errors(holder_kind: str, holder_id: int, term_end: date | None, contract: dict | None) -> dict:
    """A land management right held by a transferee names the contracted right it was let out of
    (`attributes.contract_right_id`): a land management right of the contracting household, still in force,
    whose term the transferee's may not outrun. `contract` is that right's facts (kind, holder_id,
    holder_kind, status, term_end), or None when no contract right is named; a household holding no such
    reference is the contractor itself."""
    if contract is None:
        if holder_kind == "household":
            return {}
        return {"attributes": {"contract_right_id": [
            f"held by a transferee ({holder_kind}): name the contracted right it was let out of"]}}
    if contract["kind"] is None:
        return {"attributes": {"contract_right_id": ["no such right"]}}
    if contract["kind"] != "land_management" or contract["holder_kind"] != "household":
        return {"attributes": {"contract_right_id": ["must be a land management right of the contracting household"]}}
    if contract["holder_id"] == holder_id:
        return {"attributes": {"contract_right_id": ["is the holder's own contracted right"]}}
    if contract["status"] in ("disposed", "expired", "withdrawn"):
        return {"attributes": {"contract_right_id": [f"the contracted right is {contract['status']}"]}}
    if term_end is not None and contract["term_end"] is not None and term_end > contract["term_end"]:
        return {"term_end": [f"must not be after the contract term's end, {contract['term_end'].isoformat()}"]}
    return {}


def missing_consents(kind: str, consents, holder_is_contractor: bool, co_owners=(), co_owner_consents=()) \
        -> list[str]:
    """The consent kinds a mortgage of a right of `kind` needs and `consents` (the kinds on file) lacks, in a
    fixed order. Land management: the filing with the collective that let the land, and the contractor's
    written consent when the holder is a transferee; house: the collective's consent, the consent of every
    co-owner (`co_owners`, the household's members; `co_owner_consents`, the members who gave theirs) and the
    proof of another stable residence; construction land: the villagers' meeting that approved the grant.
    Forest and water facilities need none."""
    on_file = set(consents)
    missing = {
        "land_management": ["collective_filing"] + ([] if holder_is_contractor else ["contractor"]),
        "house": ["collective_consent", "other_residence"],
        "construction_land": ["villagers_meeting"],
    }.get(kind, [])
    missing = [consent for consent in missing if consent not in on_file]
    if kind == "house" and set(co_owners) - set(co_owner_consents):
        missing.insert(1, "co_owner")
    return missing

"""Registering and finding parties (DESIGN.md §3.1). Identity numbers are checked here (GB 11643 for
resident ID numbers, GB 32100 for credit codes) so that every wrong one is named, members' as
"members.N.id_number"; they are stored normalised, encrypted, and found through their blind index."""
from sqlalchemy import or_, select, text
from sqlalchemy.orm import selectinload

from finplat import audit, cob
from finplat.auth.permissions import get_visible, visible
from finplat.errors import Conflict, invalid_fields
from finplat.extensions import db
from finplat.registry.identity import id_number_error, normalise_id, uscc_error
from finplat.registry.models import HouseholdMember, Party
from finplat.security.pii import blind_index, mask

ORGANISATIONS = ("collective", "enterprise")
ONLY_FOR = {"id_number": ("household",), "collective_id": ("household",), "members": ("household",),
            "uscc": ORGANISATIONS, "legal_representative": ORGANISATIONS}
# An enterprise need not sit in a village; a household and its collective always do.
REQUIRED = {"household": ("id_number", "collective_id", "village"), "collective": ("uscc", "village"),
            "enterprise": ("uscc",)}
PARTY_FIELDS = ("kind", "name", "region_code", "township", "village", "uscc", "collective_id",
                "legal_representative", "phone")
IDENTITY_LOCKS = 0x46505049  # "FPPI": a namespace of its own, as the login locks
REGISTRATIONS = 0x46505052  # "FPPR": held shared by each registration, alone by a bulk import


def lock_out_registrations():
    """For a bulk import (too many numbers for a lock each): wait for registrations under way, and keep new
    ones out until this transaction ends, so that its duplicate checks stay true until it commits."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": REGISTRATIONS})


def _kind_errors(data: dict) -> dict:
    kind = data["kind"]
    errors = {field: [f"only applies to {' or '.join(kinds)}"]
              for field, kinds in ONLY_FOR.items() if data.get(field) and kind not in kinds}
    errors.update({field: [f"a {kind} needs its {field}"] for field in REQUIRED[kind] if not data.get(field)})
    return errors


def _id_numbers(data: dict, today) -> tuple[dict, dict]:
    """{field: normalised number} for the head and each member, and the errors: a number that fails its
    check, or one the request already gave (one person cannot be two people of a household)."""
    given = {"id_number": data.get("id_number")}
    given.update({f"members.{i}.id_number": m["id_number"] for i, m in enumerate(data.get("members") or ())})
    numbers, errors, first = {}, {}, {}
    for field, value in given.items():
        if value is None:
            continue
        problem = id_number_error(value, today)
        if problem:
            errors[field] = [problem]
            continue
        numbers[field] = normalise_id(value)
        if numbers[field] in first:
            errors[field] = [f"repeats {first[numbers[field]]}"]
        first.setdefault(numbers[field], field)
    return numbers, errors


def _collective_error(collective_id) -> dict:
    collective = db.session.get(Party, collective_id) if collective_id else None
    if collective_id and collective is None:
        return {"collective_id": ["no such party"]}
    if collective is not None and collective.kind != "collective":
        return {"collective_id": [f"party {collective_id} is not a collective (kind {collective.kind})"]}
    return {}


def _lock_identities(keys):
    """On PostgreSQL, registrations of the same number wait for each other, so that two requests cannot
    both pass the duplicate check: the unique indexes alone miss a head registered as another's member.
    Registrations share a registry-wide lock that a bulk import takes alone (see lock_out_registrations)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock_shared(:ns, 0)"), {"ns": REGISTRATIONS})
        for key in sorted(keys):
            db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:k))"),
                               {"ns": IDENTITY_LOCKS, "k": key})


def _duplicates(indexes: dict, uscc: str | None) -> dict:
    """The fields whose number a registered party already holds, as head, member or credit code."""
    wanted = list(indexes.values())
    held = set(db.session.scalars(select(Party.id_number_index).where(Party.id_number_index.in_(wanted))))
    held |= set(db.session.scalars(select(HouseholdMember.id_number_index)
                                   .where(HouseholdMember.id_number_index.in_(wanted))))
    errors = {field: ["already registered"] for field, index in indexes.items() if index in held}
    if uscc and db.session.scalar(select(Party.id).where(Party.uscc == uscc)) is not None:
        errors["uscc"] = ["already registered"]
    return errors


def party_snapshot(party: Party) -> dict:
    """What the audit log keeps of a party: ID numbers masked, as every reader outside the identity route."""
    return {**{f: getattr(party, f) for f in PARTY_FIELDS}, "id_number": mask(party.id_number),
            "members": [{"name": m.name, "id_number": mask(m.id_number), "relation": m.relation}
                        for m in party.members]}


def _check(data: dict) -> tuple[dict, str | None]:
    """The normalised ID numbers and credit code of a new party, or RuleViolation naming every wrong field."""
    errors = _kind_errors(data)
    household = data["kind"] == "household"
    numbers, id_errors = _id_numbers(data, cob.open_date()) if household else ({}, {})
    uscc = data["uscc"].strip().upper() if data.get("uscc") and not household else None
    checks = {**id_errors, **({"uscc": [uscc_error(uscc)]} if uscc and uscc_error(uscc) else {}),
              **(_collective_error(data.get("collective_id")) if household else {})}
    for field, problems in checks.items():
        errors.setdefault(field, problems)
    if errors:
        raise invalid_fields(errors)
    return numbers, uscc


def create_party(actor, data: dict) -> Party:
    numbers, uscc = _check(data)
    indexes = {field: blind_index(number) for field, number in numbers.items()}
    _lock_identities([*indexes.values(), *([uscc] if uscc else [])])
    taken = _duplicates(indexes, uscc)
    if taken:
        raise Conflict("already registered: " + ", ".join(sorted(taken)), fields=taken, code="duplicate")
    party = Party(**{**{f: data.get(f) for f in PARTY_FIELDS}, "uscc": uscc,
                     "id_number": numbers.get("id_number"), "id_number_index": indexes.get("id_number")})
    party.members = [HouseholdMember(name=m["name"], relation=m["relation"], phone=m.get("phone"),
                                     id_number=numbers[f"members.{i}.id_number"],
                                     id_number_index=indexes[f"members.{i}.id_number"])
                     for i, m in enumerate(data.get("members") or ())]
    db.session.add(party)
    db.session.flush()
    audit.record(actor, "party.create", "party", party.id, after=party_snapshot(party))
    db.session.commit()
    return party


def find_parties(actor, q=None, region_code=None, kind=None, village=None):
    """The parties `actor` may see, narrowed: `q` matches a name (contains), a credit code or a resident ID
    number of a head or member (exactly, through the blind index: the ciphertext cannot be searched)."""
    stmt = visible(Party, actor).options(selectinload(Party.members)).order_by(Party.id)
    if q and q.strip():
        index = blind_index(q)
        stmt = stmt.where(or_(Party.name.icontains(q.strip(), autoescape=True), Party.uscc == q.strip().upper(),
                              Party.id_number_index == index,
                              Party.id.in_(select(HouseholdMember.household_id)
                                           .where(HouseholdMember.id_number_index == index))))
    for column, value in ((Party.region_code, region_code), (Party.kind, kind), (Party.village, village)):
        if value:
            stmt = stmt.where(column == value)
    return stmt


def reveal_identity(actor, party_id: int) -> dict:
    """A party's identity numbers in full. Every call is audited and committed, read though it is: who saw
    whose number is what the log exists for."""
    party = get_visible(Party, party_id, actor)
    revealed = {"party_id": party.id,
                "members": [{"id": m.id, "name": m.name, "id_number": m.id_number, "relation": m.relation}
                            for m in party.members]}
    if party.kind == "household":
        revealed["id_number"] = party.id_number
    else:
        revealed["uscc"] = party.uscc
    shown = [f for f in ("id_number", "uscc") if f in revealed] + \
        [f"members.{i}.id_number" for i in range(len(party.members))]
    audit.record(actor, "party.identity_revealed", "party", party.id, after={"revealed": shown})
    db.session.commit()
    return revealed

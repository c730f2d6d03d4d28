"""Risk-sharing programs (DESIGN.md §3.5): written by an admin, read by every institution."""
from sqlalchemy import select

from finplat import audit
from finplat.api_base import MAX_ID
from finplat.errors import NotFound, field_error
from finplat.extensions import db
from finplat.risk import sharing
from finplat.risk.models import RiskProgram


def create_program(actor, data: dict) -> RiskProgram:
    """A program from ProgramIn's data: shares from 0 to 1 summing to 1 (422 on `shares`); audited and
    committed. Names need not be unique (API.md)."""
    shares = data["shares"]
    error = sharing.shares_error(shares)
    if error:
        raise field_error("shares", error)
    name = data["name"]
    program = RiskProgram(name=name, **{f"{party}_share": shares[party] for party in sharing.PARTIES})
    db.session.add(program)
    db.session.flush()
    audit.record(actor, "risk_program.create", "risk_program", program.id,
                 after={"name": name, **{party: str(shares[party]) for party in sharing.PARTIES}})
    db.session.commit()
    return program


def get_program(program_id: int) -> RiskProgram:
    program = db.session.get(RiskProgram, program_id) if 1 <= program_id <= MAX_ID else None
    if program is None:
        raise NotFound(f"no risk-sharing program {program_id}")
    return program


def programs():
    return select(RiskProgram).order_by(RiskProgram.id)

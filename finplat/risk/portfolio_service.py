"""Portfolio risk for a guarantee agency (API.md "Risk": GET /risk/portfolio, GET /risk/stress), over its active
and called guarantees whose loans are not paid off or written off, read loan by loan (finplat.risk.loss_model
does the arithmetic). An agency's guarantors see their own agency only; admins any."""
import json
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import select

from finplat import cob
from finplat.auth.models import Institution
from finplat.errors import Forbidden, NotFound, field_error
from finplat.extensions import db
from finplat.loans import application_service, servicing_service
from finplat.loans.models import Loan
from finplat.registry.models import Party, Right
from finplat.risk import guarantee_service, loss_model
from finplat.risk.models import Guarantee

GROUPS = ("classification", "region", "product", "collateral_kind")
ZERO = Decimal("0.00")


def agency_for(actor, agency_id: int | None) -> Institution:
    """The agency whose portfolio `actor` asks for: a guarantor's own (the default), any for an admin."""
    if not actor.is_admin and actor.role != "guarantor":
        raise Forbidden("a guarantee agency's portfolio is for its guarantors", code="not_the_agency")
    agency_id = agency_id or (None if actor.is_admin else actor.institution_id)
    if agency_id is None:
        raise field_error("agency_id", "name the agency")
    agency = db.session.get(Institution, agency_id)
    if agency is None or agency.kind != "guarantee_agency" or (not actor.is_admin and
                                                              agency.id != actor.institution_id):
        raise NotFound(f"no guarantee agency {agency_id}")
    return agency


def pd_table() -> dict:
    configured = current_app.config.get("PD_TABLE")
    return {k: Decimal(v) for k, v in json.loads(configured).items()} if configured else loss_model.DEFAULT_PD


def _rows(agency: Institution) -> list[dict]:
    """Each guaranteed loan: its keys for grouping and its exposure."""
    today = cob.open_date()
    found = db.session.execute(
        select(Loan, Guarantee, Party.region_code).join(Guarantee, Guarantee.loan_id == Loan.id)
        .join(Party, Party.id == Loan.borrower_id)
        .where(Guarantee.agency_id == agency.id, Guarantee.status.in_(("active", "called")),
               Loan.status.not_in(("paid_off", "written_off"))).order_by(Loan.id)).all()
    rows = []
    for loan, guarantee, region in found:
        values = application_service.collateral_values(loan, today)
        first = loan.collateral[0] if loan.collateral else None
        kind = db.session.get(Right, first.right_id).kind if first and first.right_id else "collective_shares"
        interest = sum((o.interest for o in servicing_service.owed(loan, today)), ZERO) \
            if loan.status == "active" else ZERO
        exposure = loss_model.Exposure(loan.classification or "normal", guarantee_service.loan_exposure(loan), interest,
                                       sum((v for v in values if v is not None), Decimal(0)), guarantee.program.shares)
        rows.append({"loan": loan, "guarantee": guarantee, "exposure": exposure, "keys": {
            "classification": exposure.classification, "region": region, "product": loan.product.code,
            "collateral_kind": kind}})
    return rows


def _totals(rows: list[dict], pds: dict) -> dict:
    principal = sum((r["exposure"].principal for r in rows), ZERO)
    npl = sum((r["exposure"].principal for r in rows if r["exposure"].classification in loss_model.NON_PERFORMING),
              ZERO)
    guaranteed = sum(((r["exposure"].principal * r["guarantee"].coverage).quantize(loss_model.FEN, ROUND_HALF_UP)
                      for r in rows), ZERO)
    return {"loan_count": len(rows), "principal_outstanding": principal, "guaranteed_balance": guaranteed,
            "npl_principal": npl, "npl_ratio": (npl / principal).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            if principal else Decimal("0"),
            "expected_loss": sum((loss_model.expected_loss(r["exposure"], pds) for r in rows), ZERO)}


def portfolio(actor, agency_id: int | None, group_by: str = "classification") -> dict:
    agency = agency_for(actor, agency_id)
    rows, pds = _rows(agency), pd_table()
    groups = {}
    for row in rows:
        groups.setdefault(row["keys"][group_by], []).append(row)
    return {"agency_id": agency.id, "as_of": cob.open_date(), "group_by": group_by, "totals": _totals(rows, pds),
            "groups": [{"key": key, **_totals(members, pds)} for key, members in sorted(groups.items())]}


def stress(actor, agency_id: int | None, haircut: Decimal) -> dict:
    """What each party would pay if every non-performing loan the agency guarantees defaulted with its
    collateral `haircut` less."""
    agency = agency_for(actor, agency_id)
    return {"agency_id": agency.id, "as_of": cob.open_date(), "haircut": haircut,
            **loss_model.stress([r["exposure"] for r in _rows(agency)], haircut)}

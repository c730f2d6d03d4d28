"""Portfolio risk (API.md "Risk": GET /risk/portfolio, GET /risk/stress), read off the loan risk summary that
close of business refreshes (finplat.risk.summary_service), so the figures are as of the last closed date
(`as_of`). Each caller sees what it may (API.md: "/risk/*: guarantor, fund_manager, bank_manager, each over
what they may see"):

- a guarantor: the loans its agency guarantees (active and called guarantees of loans not paid off or
  written off: the summary holds no others);
- a bank manager: its bank's loans (with `agency_id`, those that agency guarantees);
- a fund manager: the loans its administration's funds cover: under a fund's program, of a borrower in its
  region (with `agency_id`, those that agency guarantees);
- an admin: one agency's (`agency_id`), or the whole platform's.

Totals and groups are aggregates in SQL over indexed summary rows; the stress test splits each non-
performing loan's loss in Python (finplat.risk.loss_model and sharing), so that its fen match a claim's.
"""
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import and_, case, false, func, literal, or_, select

from finplat.auth.models import Institution
from finplat.errors import Forbidden, NotFound
from finplat.extensions import db
from finplat.loans.models import Product
from finplat.money import to_fen
from finplat.registry.models import Party
from finplat.risk import loss_model, summary_service
from finplat.risk.fund_service import region_prefix
from finplat.risk.models import Fund, LoanRiskSummary
from finplat.risk.sharing import PARTIES

S = LoanRiskSummary
GROUPS = ("classification", "region", "product", "collateral_kind")
ROLES = ("guarantor", "bank_manager", "fund_manager")
ZERO = Decimal("0.00")
# days past due, by the upper bound of each bucket (None: no bound); the classes turn at 90, 270 and 360
DPD_BUCKETS = (("0", 0), ("1-30", 30), ("31-60", 60), ("61-90", 90), ("91-180", 180), ("181-270", 270),
               ("271-360", 360), ("361+", None))
# loan to value, by the upper bound of each bucket; "none": no collateral value
LTV_BUCKETS = (("0-50%", Decimal("0.5")), ("50-60%", Decimal("0.6")), ("60-70%", Decimal("0.7")),
               ("70-80%", Decimal("0.8")), ("80-100%", Decimal("1")), ("100%+", None))
TOP = 10


@dataclass(frozen=True)
class Scope:
    kind: str  # agency, bank, funds or platform
    institution_id: int | None
    agency_id: int | None
    where: object  # a condition on the summary's rows


def _institution(institution_id: int, kind: str) -> Institution:
    found = db.session.get(Institution, institution_id)
    if found is None or found.kind != kind:
        raise NotFound(f"no guarantee agency {institution_id}")
    return found


def scope_for(actor, agency_id: int | None = None) -> Scope:
    """What `actor` may see of the portfolio; `agency_id` narrows it to what that agency guarantees (a
    guarantor may name only its own: another agency's is 404, as is one that is no agency)."""
    if agency_id is not None:
        _institution(agency_id, "guarantee_agency")
    by_agency = S.agency_id == agency_id if agency_id is not None else literal(True)
    if actor.is_admin:
        return Scope("agency" if agency_id else "platform", agency_id, agency_id, by_agency)
    if actor.role == "guarantor":
        if agency_id not in (None, actor.institution_id):
            raise NotFound(f"no guarantee agency {agency_id}")
        return Scope("agency", actor.institution_id, actor.institution_id, S.agency_id == actor.institution_id)
    if actor.role == "bank_manager":
        return Scope("bank", actor.institution_id, agency_id, and_(S.bank_id == actor.institution_id, by_agency))
    if actor.role == "fund_manager":
        funds = db.session.execute(select(Fund.program_id, Fund.region_code)
                                   .where(Fund.administrator_id == actor.institution_id)).all()
        covered = or_(false(), *(and_(S.program_id == program_id, S.region_code.startswith(region_prefix(region)))
                                 for program_id, region in funds))
        return Scope("funds", actor.institution_id, agency_id, and_(covered, by_agency))
    raise Forbidden("portfolio risk is for guarantors, bank managers and fund managers", code="not_allowed")


def pd_table() -> dict:
    configured = current_app.config.get("PD_TABLE")
    return {k: Decimal(v) for k, v in json.loads(configured).items()} if configured else loss_model.DEFAULT_PD


def _fen(value) -> Decimal:
    return to_fen(str(value or 0))  # str(): SQLite sums NUMERIC as binary floats


def _figures(pds: dict):
    """The aggregate columns of a set of summary rows (finish() turns a result row into figures)."""
    uncovered = S.principal - S.collateral_value * (1 - loss_model.DEFAULT_HAIRCUT)
    pd = case(*((S.classification == name, literal(value)) for name, value in pds.items()), else_=literal(0))
    npl = S.classification.in_(loss_model.NON_PERFORMING)
    return (func.count().label("loan_count"), func.sum(S.principal).label("principal_outstanding"),
            func.sum(func.round(S.principal * S.coverage, 2)).label("guaranteed_balance"),
            func.sum(S.interest_due).label("interest_due"),
            func.sum(S.collateral_value).label("collateral_value"),
            func.sum(case((npl, S.principal), else_=0)).label("npl_principal"),
            func.sum(func.round(pd * case((uncovered > 0, uncovered), else_=0), 2)).label("expected_loss"))


def _finish(row) -> dict:
    figures = {name: _fen(getattr(row, name)) for name in ("principal_outstanding", "guaranteed_balance",
                                                             "interest_due", "collateral_value", "npl_principal",
                                                             "expected_loss")}
    principal = figures["principal_outstanding"]
    ratio = (figures["npl_principal"] / principal).quantize(Decimal("0.0001"), ROUND_HALF_UP) if principal else \
        Decimal("0.0000")
    return {"loan_count": row.loan_count or 0, **figures, "npl_ratio": ratio}


def _group_key(group_by: str):
    return {"classification": S.classification, "region": S.region_code, "collateral_kind": S.collateral_kind,
            "product": Product.code}[group_by]


def totals(scope: Scope, pds: dict) -> dict:
    return _finish(db.session.execute(select(*_figures(pds)).where(scope.where)).one())


def groups(scope: Scope, pds: dict, group_by: str) -> list[dict]:
    key = _group_key(group_by).label("key")
    stmt = select(key, *_figures(pds)).where(scope.where)
    if group_by == "product":
        stmt = stmt.join(Product, Product.id == S.product_id)
    return [{"key": row.key, **_finish(row)} for row in db.session.execute(stmt.group_by(key).order_by(key))]


def _buckets(scope: Scope, column, bounds, none_label: str | None = None) -> list[dict]:
    """Loans and principal per bucket of `column` (upper bounds inclusive), every bucket listed."""
    whens = [(column <= bound, label) for label, bound in bounds if bound is not None]
    if none_label:
        whens.insert(0, (column.is_(None), none_label))
    bucket = case(*whens, else_=bounds[-1][0]).label("bucket")
    found = {row.bucket: row for row in db.session.execute(
        select(bucket, func.count().label("n"), func.sum(S.principal).label("principal"))
        .where(scope.where).group_by(bucket))}
    labels = [label for label, _ in bounds] + ([none_label] if none_label else [])
    return [{"bucket": label, "loan_count": found[label].n if label in found else 0,
             "principal_outstanding": _fen(found[label].principal) if label in found else ZERO} for label in labels]


def dpd_buckets(scope: Scope) -> list[dict]:
    return _buckets(scope, S.dpd, DPD_BUCKETS)


def ltv_distribution(scope: Scope) -> list[dict]:
    return _buckets(scope, S.ltv, LTV_BUCKETS, none_label="none")


def top_borrowers(scope: Scope, total: Decimal) -> list[dict]:
    """The ten borrowers with the most principal outstanding, and each one's share of the total."""
    principal = func.sum(S.principal).label("principal")
    top = (select(S.borrower_id, func.count().label("n"), principal).where(scope.where)
           .group_by(S.borrower_id).order_by(principal.desc(), S.borrower_id).limit(TOP).subquery())
    rows = db.session.execute(select(top, Party.name, Party.region_code).join(Party, Party.id == top.c.borrower_id)
                              .order_by(top.c.principal.desc(), top.c.borrower_id)).all()
    return [{"borrower_id": row.borrower_id, "name": row.name, "region_code": row.region_code, "loan_count": row.n,
             "principal_outstanding": _fen(row.principal),
             "share": (_fen(row.principal) / total).quantize(Decimal("0.0001"), ROUND_HALF_UP) if total else
             Decimal("0.0000")} for row in rows]


def _header(scope: Scope) -> dict:
    return {"scope": scope.kind, "agency_id": scope.agency_id, "as_of": summary_service.as_of()}


def portfolio(actor, agency_id: int | None = None, group_by: str = "classification") -> dict:
    scope, pds = scope_for(actor, agency_id), pd_table()
    figures = totals(scope, pds)
    return {**_header(scope), "group_by": group_by, "totals": figures, "groups": groups(scope, pds, group_by),
            "dpd_buckets": dpd_buckets(scope), "ltv_distribution": ltv_distribution(scope),
            "top_borrowers": top_borrowers(scope, figures["principal_outstanding"])}


def stress_figures(scope: Scope, haircut: Decimal) -> dict:
    """What each party would pay if every non-performing loan in scope defaulted with its collateral worth
    `haircut` less."""
    rows = db.session.execute(
        select(S.classification, S.principal, S.interest_due, S.collateral_value,
               *(getattr(S, f"{party}_share") for party in PARTIES))
        .where(scope.where, S.classification.in_(loss_model.NON_PERFORMING))).all()
    exposures = [loss_model.Exposure(row[0], row[1], row[2], row[3], dict(zip(PARTIES, row[4:]))) for row in rows]
    return loss_model.stress(exposures, haircut)


def stress(actor, agency_id: int | None, haircut: Decimal) -> dict:
    scope = scope_for(actor, agency_id)
    return {**_header(scope), "haircut": haircut, **stress_figures(scope, haircut)}


def report(actor, agency_id: int | None = None, haircut: Decimal = Decimal("0.30")) -> dict:
    """Everything the dashboard shows: the totals, the groups by every key, the buckets, the top borrowers
    and the stress test at `haircut`."""
    scope, pds = scope_for(actor, agency_id), pd_table()
    figures = totals(scope, pds)
    return {**_header(scope), "totals": figures, "groups": {key: groups(scope, pds, key) for key in GROUPS},
            "dpd_buckets": dpd_buckets(scope), "ltv_distribution": ltv_distribution(scope),
            "top_borrowers": top_borrowers(scope, figures["principal_outstanding"]),
            "stress": {"haircut": haircut, **stress_figures(scope, haircut)}}

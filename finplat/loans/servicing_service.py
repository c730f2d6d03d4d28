"""Servicing an active loan (DESIGN.md §3.4, API.md "Loans"): what it owes on the open business date, the
payoff quote, and repayments applied by finplat.loans.allocation and booked to the ledger. Paying the payoff
closes the loan and releases its liens in the same transaction.

Interest of an instalment falling due today is owed in full today, though the close of business accrues
its last day only tonight: a repayment that pays it first accrues it (Dr interest_receivable, Cr
interest_income), so that tonight's accrual finds nothing left to add.
"""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, bindparam, func, or_, select

from finplat import audit, cob
from finplat.api_base import MAX_ID
from finplat.errors import Conflict, Forbidden, NotFound, RuleViolation, field_error
from finplat.extensions import db
from finplat.ledger import service as ledger
from finplat.ledger.models import LedgerTransaction
from finplat.loans import allocation, prepayment, schedule
from finplat.loans.application_service import get_loan, locked_loan, require_status
from finplat.loans.models import Loan, LoanInstalment, LoanRepayment
from finplat.loans.origination_service import SECURES_TYPE, check_bank_role, instalments
from finplat.registry import lien_service
from finplat.registry.models import Lien

ZERO = Decimal("0.00")


def owed(loan: Loan, today: date, rows: list[LoanInstalment] | None = None) -> list[allocation.Owed]:
    """The unpaid part of each instalment in force as of `today` (allocation.Owed)."""
    result = []
    for row in rows if rows is not None else instalments(loan):
        interest = (row.interest if row.due_date <= today else row.interest_accrued) - row.interest_paid
        principal = row.principal - row.principal_paid
        if interest > 0 or principal > 0:
            result.append(allocation.Owed(row.number, row.due_date, principal, max(interest, ZERO)))
    return result


def oldest_unpaid(rows) -> date | None:
    """The due date of the oldest instalment not fully paid (Loan.oldest_unpaid_due), or None."""
    return min((row.due_date for row in rows if row.principal_paid < row.principal or row.interest_paid < row.interest),
               default=None)


def penalty_due(loan: Loan) -> Decimal:
    return loan.penalty_accrued - loan.penalty_paid


def figures(loan: Loan, today: date | None = None, rows: list[LoanInstalment] | None = None) -> dict:
    """What GET /loans/{id} and /me/loans show of an active loan on the open date: interest and penalty due,
    the payoff, the next instalment, what is overdue (`rows`: its instalments in force, if at hand)."""
    if loan.schedule_version == 0 or loan.status not in ("active",):
        return {"interest_due": ZERO, "penalty_due": ZERO, "next_due_date": None, "next_due_amount": ZERO,
                "overdue_amount": ZERO}
    today = today or cob.open_date()
    rows = instalments(loan) if rows is None else rows
    items = owed(loan, today, rows)
    upcoming = next(((row.due_date, row.payment - row.principal_paid - row.interest_paid)
                     for row in rows if row.due_date >= today and row.principal_paid + row.interest_paid < row.payment),
                    (None, ZERO))
    overdue = sum((o.principal + o.interest for o in items if o.due_date < today), ZERO) + penalty_due(loan)
    return {"interest_due": sum((o.interest for o in items), ZERO), "penalty_due": penalty_due(loan),
            "next_due_date": upcoming[0], "next_due_amount": upcoming[1], "overdue_amount": overdue}


def quote(actor, loan_id: int) -> dict:
    """API.md's payoff quote on the open date: {as_of, principal, interest, penalty, total}."""
    loan = get_loan(actor, loan_id)
    require_status(loan, "active")
    today = cob.open_date()
    interest = sum((o.interest for o in owed(loan, today)), ZERO)
    penalty = penalty_due(loan)
    return {"as_of": today, "principal": loan.principal_outstanding, "interest": interest, "penalty": penalty,
            "total": loan.principal_outstanding + interest + penalty}


def _release_liens(actor, loan: Loan):
    liens = db.session.execute(select(Lien.id).where(Lien.secures_type == SECURES_TYPE, Lien.secures_id == str(loan.id),
                                                     Lien.status == "live").order_by(Lien.right_id, Lien.shareholding_id,
                                                                                     Lien.id)).scalars().all()
    for lien_id in liens:
        lien_service.release_lien(actor, lien_id, commit=False)
    return liens


def repay(actor, loan_id: int, data: dict, commit: bool = True, kind: str = "repayment") -> dict:
    """A repayment booked on the open business date (API.md POST /loans/{id}/repayments); `kind` "recovery"
    for money recovered on a defaulted loan (finplat.risk.recovery_service), applied the same way."""
    loan = locked_loan(actor, loan_id)
    check_bank_role(actor, loan)
    require_status(loan, "active")
    today = cob.open_date()
    if data.get("paid_on") not in (None, today):
        raise field_error("paid_on", f"repayments are booked on the open business date, {today}")
    amount = data["amount"]
    rows = {row.number: row for row in instalments(loan)}
    items = owed(loan, today, list(rows.values()))
    penalty = penalty_due(loan)
    payoff, due = allocation.payoff(penalty, items), allocation.due_now(penalty, items, today)
    if amount > payoff:
        raise RuleViolation(f"amount: {amount} is more than the payoff of {payoff} today",
                            fields={"amount": [f"more than the payoff of {payoff}"], "payoff": [str(payoff)]},
                            code="overpayment")
    prepaying = due < amount < payoff
    if prepaying:
        split, current, settled, prepaid = _prepayment_split(loan, rows, items, penalty, due, amount, today,
                                                              data.get("prepayment"))
        accrue_to = {current.number: settled}
    else:
        split, current, settled, prepaid = allocation.allocate(amount, penalty, items, today), None, ZERO, ZERO
        accrue_to = {}
    accrue_to.update({number: rows[number].interest for number in split.interest if rows[number].due_date <= today})

    unaccrued, early = ZERO, {}  # interest accrued now rather than at tonight's close (falling due today)
    for number, target in accrue_to.items():
        row = rows[number]
        if row.interest_accrued < target:
            early[number] = target - row.interest_accrued
            unaccrued += early[number]
            row.interest_accrued = target
    for number, paid in split.interest.items():
        rows[number].interest_paid += paid
    for number, paid in split.principal.items():
        rows[number].principal_paid += paid
    principal = sum(split.principal.values(), ZERO) + prepaid
    interest = sum(split.interest.values(), ZERO)
    loan.principal_outstanding -= principal
    loan.penalty_paid += split.penalty
    schedule = None
    if prepaying:
        schedule = {"from": loan.schedule_version, "choice": data["prepayment"],
                    "maturity_date": loan.maturity_date.isoformat()}
        schedule["to"] = _reschedule(loan, list(rows.values()), current, settled, prepaid, today, data["prepayment"])
    bank = loan.bank_id
    accrual = None
    if unaccrued:
        accrual = ledger.post(actor, "accrual", today, unaccrued, [
            ledger.Leg(ledger.account(bank, "interest_receivable"), unaccrued),
            ledger.Leg(ledger.account(bank, "interest_income"), -unaccrued)], memo=f"loan {loan.id} due today")
    legs = [ledger.Leg(ledger.account(bank, "funding"), amount, loan.id)]
    for code, part in (("loan_principal", principal), ("interest_receivable", interest),
                       ("penalty_receivable", split.penalty)):
        if part:
            legs.append(ledger.Leg(ledger.account(bank, code), -part, loan.id))
    txn = ledger.post(actor, kind, today, amount, legs, loan_id=loan.id)
    released = []
    loan.oldest_unpaid_due = oldest_unpaid(instalments(loan) if schedule else rows.values())
    if amount == payoff:
        loan.status, loan.closed_on = "paid_off", today
        released = _release_liens(actor, loan)
    record = LoanRepayment(loan_id=loan.id, transaction_id=txn.id, accrual_transaction_id=accrual.id if accrual else None,
                           amount=amount, paid_on=today, recorded_by=actor.id, split={
                               "penalty": str(split.penalty), "early_accrual": _texts(early),
                               "interest": _texts(split.interest), "principal": _texts(split.principal),
                               **({"prepaid_principal": str(prepaid), "schedule": schedule} if schedule else {})})
    db.session.add(record)
    db.session.flush()
    result = {"id": record.id, "transaction_id": txn.id, "loan_id": loan.id, "amount": amount, "paid_on": today,
              "penalty": split.penalty, "interest": interest, "principal": principal, "status": loan.status,
              "principal_outstanding": loan.principal_outstanding, "prepaid_principal": prepaid,
              "schedule_version": loan.schedule_version, "maturity_date": loan.maturity_date}
    if kind == "repayment":  # a recovery's own record (finplat.risk.recovery_service) includes this one's figures
        audit.record(actor, "loan.repaid", "loan", loan.id, after={**result, "liens_released": released})
    result["liens_released"] = released
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return result


def _prepayment_split(loan: Loan, rows: dict, items: list, penalty: Decimal, due: Decimal, amount: Decimal,
                      today: date, choice: str | None):
    """A payment between what is due now and the payoff: everything due now, then the current period's
    interest through today (finplat.loans.prepayment), the rest prepaid principal. Returns the split, the
    current instalment, its interest through today and the prepaid principal."""
    error = prepayment.choice_error(choice, loan.repayment_method)
    if error:
        raise field_error("prepayment", f"{amount} is more than the {due} due today and less than the payoff: "
                                        f"{error}")
    current = next(row for row in rows.values() if row.due_date > today)
    if current.period_start == today and current.number == 1:
        raise RuleViolation(f"amount: loan {loan.id} was disbursed today: a prepayment is taken from the next "
                            f"business date", fields={"amount": ["no prepayment on the disbursement date"]},
                            code="prepayment_on_disbursement_date")
    settled = prepayment.settled_interest(current.interest, current.period_start, current.due_date, today)
    interest = settled - current.interest_paid
    least = due + interest + Decimal("0.01")
    if amount < least:
        raise RuleViolation(f"amount: a prepayment pays the {due} due today, this period's interest through today "
                            f"({interest}) and some principal: at least {least}",
                            fields={"amount": [f"a prepayment is at least {least}"]}, code="prepayment_too_small")
    split = allocation.allocate(due, penalty, items, today) if due > 0 else allocation.Split()
    if interest > 0:
        split.interest[current.number] = interest
    return split, current, settled, amount - due - interest


def _reschedule(loan: Loan, rows: list[LoanInstalment], current: LoanInstalment, settled: Decimal,
                prepaid: Decimal, today: date, choice: str) -> int:
    """A new version of the schedule after a prepayment (the old one stays as history): the instalments due
    by today as they stand, the current period cut at today (its interest through today and the prepaid
    principal, paid), then finplat.loans.prepayment's instalments from today. Returns the new version."""
    version = db.session.execute(select(func.max(LoanInstalment.version))
                                 .where(LoanInstalment.loan_id == loan.id)).scalar() + 1
    kept = [_copy(row, version) for row in rows if row.due_date <= today]
    balance = loan.principal_outstanding
    if current.period_start < today:
        kept.append(LoanInstalment(loan_id=loan.id, version=version, number=current.number,
                                   period_start=current.period_start, due_date=today, principal=prepaid,
                                   interest=settled, payment=prepaid + settled, balance=balance,
                                   interest_accrued=settled, principal_paid=prepaid, interest_paid=settled))
    else:  # the current period began today: the instalment due today (paid first) takes the prepaid principal
        kept[-1].principal += prepaid
        kept[-1].payment += prepaid
        kept[-1].principal_paid += prepaid
        kept[-1].balance = balance
    keep = current.payment if loan.repayment_method == "equal_instalment" else current.principal
    # the calendar period holding today, which an earlier prepayment may have cut: from the due date before
    # it (or the disbursement date) to the next
    calendar = (loan.disbursed_on, *schedule.due_dates(loan.disbursed_on, loan.term_months, loan.repayment_method))
    period = max(day for day in calendar if day < current.due_date)
    try:
        plan = prepayment.regenerate(balance, loan.annual_rate, loan.repayment_method, today, period,
                                     tuple(row.due_date for row in rows if row.due_date > today), choice, keep)
    except ValueError as exc:
        raise field_error("amount", str(exc)) from exc
    for number, row in enumerate(plan, start=len(kept) + 1):
        kept.append(LoanInstalment(loan_id=loan.id, version=version, number=number, period_start=row.period_start,
                                   due_date=row.due_date, principal=row.principal, interest=row.interest,
                                   payment=row.payment, balance=row.balance, interest_accrued=ZERO,
                                   principal_paid=ZERO, interest_paid=ZERO))
    db.session.add_all(kept)
    loan.schedule_version, loan.maturity_date = version, plan[-1].due_date
    return version


def _copy(row: LoanInstalment, version: int) -> LoanInstalment:
    return LoanInstalment(loan_id=row.loan_id, version=version, number=row.number, period_start=row.period_start,
                          due_date=row.due_date, principal=row.principal, interest=row.interest,
                          payment=row.payment, balance=row.balance, interest_accrued=row.interest_accrued,
                          principal_paid=row.principal_paid, interest_paid=row.interest_paid)


def _texts(amounts: dict) -> dict:
    return {str(number): str(amount) for number, amount in amounts.items()}


def _reverse_transaction(actor, txn_id: int, day: date, loan_id: int | None, kind: str) -> LedgerTransaction:
    original = db.session.get(LedgerTransaction, txn_id)
    return ledger.post(actor, kind, day, original.amount,
                       [ledger.Leg(p.account, -p.amount, p.loan_id) for p in original.postings], loan_id=loan_id,
                       reverses_id=original.id, memo=f"冲正交易 {original.id}")


def reverse(actor, loan_id: int, repayment_id: int, reason: str) -> dict:
    """A bank manager's reversal of a mistaken repayment (API: POST /loans/{id}/repayments/{rid}/reverse):
    the latest repayment of an active loan, on the business date it was booked (no close of business has
    accrued on its figures since), undone by reversing ledger transactions; the record stays, marked."""
    loan = locked_loan(actor, loan_id)
    check_bank_role(actor, loan, roles=("bank_manager",))
    record = db.session.get(LoanRepayment, repayment_id) if 1 <= repayment_id <= MAX_ID else None
    if record is None or record.loan_id != loan.id:
        raise NotFound(f"no repayment {repayment_id} of loan {loan.id}")
    if record.reversed_by is not None:
        raise Conflict(f"repayment {record.id} is reversed already", code="reversed_already")
    if record.recorded_by == actor.id:
        raise Forbidden("the one who recorded a repayment may not reverse it", code="maker_checker")
    require_status(loan, "active")
    today = cob.open_date()
    if record.paid_on != today:
        raise Conflict(f"repayment {record.id} was booked on {record.paid_on}: only a repayment of today, {today}, "
                       f"is reversed", code="not_today")
    later = db.session.execute(select(LoanRepayment.id).where(
        LoanRepayment.loan_id == loan.id, LoanRepayment.id > record.id, LoanRepayment.reversed_by.is_(None))).first()
    if later:
        raise Conflict(f"repayment {later[0]} came after it: reverse that first", code="not_the_latest")
    split = record.split
    schedule = split.get("schedule")
    rows = {row.number: row for row in instalments(loan, schedule["from"] if schedule else None)}
    for number, amount in split["interest"].items():
        rows[int(number)].interest_paid -= Decimal(amount)
    for number, amount in split["early_accrual"].items():
        rows[int(number)].interest_accrued -= Decimal(amount)
    principal = sum((Decimal(a) for a in split["principal"].values()), Decimal(split.get("prepaid_principal", "0")))
    for number, amount in split["principal"].items():
        rows[int(number)].principal_paid -= Decimal(amount)
    loan.principal_outstanding += principal
    loan.penalty_paid -= Decimal(split["penalty"])
    if schedule:  # the schedule before the prepayment is in force again; the one it made stays as history
        loan.schedule_version = schedule["from"]
        loan.maturity_date = date.fromisoformat(schedule["maturity_date"])
    loan.oldest_unpaid_due = oldest_unpaid(rows.values())
    if record.accrual_transaction_id:
        _reverse_transaction(actor, record.accrual_transaction_id, today, None, "accrual_reversal")
    txn = _reverse_transaction(actor, record.transaction_id, today, loan.id, "reversal")
    record.reversed_by, record.reversal_transaction_id, record.reversal_reason = actor.id, txn.id, reason
    result = {"id": record.id, "reversal_transaction_id": txn.id, "loan_id": loan.id, "amount": record.amount,
              "principal_outstanding": loan.principal_outstanding, "reason": reason}
    audit.record(actor, "loan.repayment_reversed", "loan", loan.id, after=result)
    db.session.commit()
    return result


def _farmer_loans_statement():
    loan, row = Loan.__table__.c, LoanInstalment.__table__.c
    return (select(loan.id, loan.status, loan.amount, loan.principal_outstanding, loan.dpd, loan.classification,
                   loan.maturity_date, loan.schedule_version, loan.penalty_accrued, loan.penalty_paid, row.number,
                   row.due_date, row.principal, row.interest, row.payment, row.interest_accrued, row.principal_paid,
                   row.interest_paid, cob.open_date_column().label("today"))
            .select_from(Loan.__table__.outerjoin(LoanInstalment.__table__, and_(
                row.loan_id == loan.id, row.version == loan.schedule_version,
                row.period_start <= cob.open_date_column(),
                or_(row.principal_paid < row.principal, row.interest_paid < row.interest))))
            .where(loan.borrower_id == bindparam("party_id")).order_by(loan.id.desc(), row.number))


_FARMER_LOANS = _farmer_loans_statement()  # built once: building it costs about as much as running it


def farmer_loans(actor) -> list[dict]:
    """GET /me/loans: every loan of the farmer's household (applications and paid-off loans included),
    newest first. One statement of plain rows (the farmer's status page is the platform's busiest read): each
    row a loan's figures beside one of its instalments in force, and the open date. Only the instalments
    figures() can count are read: those not fully paid whose period has begun (a later one owes nothing yet
    and is not the next due, which the row whose period begins today at the latest is)."""
    rows = db.session.execute(_FARMER_LOANS, {"party_id": actor.party_id}).all()
    schedules = defaultdict(list)  # loan id -> its instalment rows (none before disbursement)
    for found in rows:
        if found.number is not None:
            schedules[found.id].append(found)
    result = {}
    for found in rows:
        if found.id not in result:
            result[found.id] = {
                "id": found.id, "status": found.status, "amount": found.amount,
                "principal_outstanding": found.principal_outstanding, "dpd": found.dpd,
                "classification": found.classification, "maturity_date": found.maturity_date,
                **figures(found, found.today, schedules[found.id])}
    return list(result.values())


def repayments_of(loan: Loan):
    return select(LoanRepayment).where(LoanRepayment.loan_id == loan.id).order_by(LoanRepayment.id)

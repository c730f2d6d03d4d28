"""How a repayment is applied (DESIGN.md §3.4), as a pure function: penalty interest, then overdue interest,
overdue principal, current interest, current principal. No Flask, no database.

On the open business date `today`, an instalment is overdue when its due date is before today (it closed
unpaid), current when it falls due today, and future after. What is due now is the penalty, everything of the
overdue instalments and of today's; the payoff adds every future instalment's principal and the interest
accrued on it through the last closed date (DESIGN.md's payoff quote). A repayment may pay what is due now in
part or in full, or exactly the payoff; anything between is a prepayment (the borrower chooses a shorter term
or a lower instalment), which the caller handles.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Owed:
    """One instalment's unpaid amounts as of today: its principal, and its interest due (all of its scheduled
    interest once it falls due, what has accrued through the last closed date before)."""
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal


@dataclass(frozen=True)
class Split:
    penalty: Decimal = ZERO
    interest: dict = field(default_factory=dict)  # instalment number -> interest paid
    principal: dict = field(default_factory=dict)  # instalment number -> principal paid

    @property
    def total(self) -> Decimal:
        return self.penalty + sum(self.interest.values(), ZERO) + sum(self.principal.values(), ZERO)


def due_now(penalty: Decimal, owed: list[Owed], today: date) -> Decimal:
    """Penalty and everything of the instalments due today or before."""
    return penalty + sum((o.principal + o.interest for o in owed if o.due_date <= today), ZERO)


def payoff(penalty: Decimal, owed: list[Owed]) -> Decimal:
    return penalty + sum((o.principal + o.interest for o in owed), ZERO)


def allocate(amount: Decimal, penalty: Decimal, owed: list[Owed], today: date) -> Split:
    """Apply `amount` (at most what is due now, or exactly the payoff) in the order of DESIGN.md §3.4, oldest
    instalment first within each part."""
    if amount <= 0:
        raise ValueError("a repayment is more than nothing")
    whole = amount == payoff(penalty, owed)
    if not whole and amount > due_now(penalty, owed, today):
        raise ValueError(f"{amount} is more than is due now and is not the payoff")
    left = amount
    interest, principal = {}, {}

    def take(want: Decimal) -> Decimal:
        nonlocal left
        got = min(want, left)
        left -= got
        return got

    paid_penalty = take(penalty)
    ordered = sorted(owed, key=lambda o: o.number)
    overdue = [o for o in ordered if o.due_date < today]
    current = [o for o in ordered if o.due_date >= today and (whole or o.due_date == today)]
    for part, items in (("interest", overdue), ("principal", overdue), ("interest", current),
                        ("principal", current)):
        for o in items:
            got = take(getattr(o, part))
            if got:
                (interest if part == "interest" else principal)[o.number] = \
                    (interest if part == "interest" else principal).get(o.number, ZERO) + got
    assert left == 0, left  # the checks above leave nothing unapplied
    return Split(penalty=paid_penalty, interest=interest, principal=principal)

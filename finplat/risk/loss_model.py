"""Expected loss and stress (DESIGN.md §3.5), as pure functions: no Flask, no database.

Expected loss = PD x LGD x EAD: EAD the loan's principal outstanding, PD by its class from a table (the
platform's default below; FINPLAT_PD_TABLE overrides it), LGD the share of EAD that the collateral, valued
after a haircut, would not cover: max(0, EAD - value x (1 - haircut)) / EAD. So EL = PD x max(0, EAD - value x
(1 - haircut)), rounded half-up to the fen per loan.

The stress test asks what each party would pay if every non-performing loan (substandard or worse)
defaulted with its collateral worth `haircut` less: the loss of each is max(0, principal + interest due -
value x (1 - haircut)), split by its program (finplat.risk.sharing).
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from finplat.risk import sharing

FEN = Decimal("0.01")
DEFAULT_PD = {"normal": Decimal("0.01"), "special_mention": Decimal("0.05"), "substandard": Decimal("0.25"),
              "doubtful": Decimal("0.50"), "loss": Decimal("1")}
DEFAULT_HAIRCUT = Decimal("0.30")  # the expected-loss haircut on collateral values
NON_PERFORMING = ("substandard", "doubtful", "loss")


@dataclass(frozen=True)
class Exposure:
    classification: str
    principal: Decimal  # EAD
    interest: Decimal  # interest due
    collateral_value: Decimal  # certified values in force (0 where none is)
    shares: dict  # the program's shares


def _uncovered(amount: Decimal, value: Decimal, haircut: Decimal) -> Decimal:
    return max(Decimal(0), amount - value * (1 - haircut))


def expected_loss(e: Exposure, pd_table: dict = DEFAULT_PD, haircut: Decimal = DEFAULT_HAIRCUT) -> Decimal:
    return (pd_table[e.classification] * _uncovered(e.principal, e.collateral_value, haircut)).quantize(
        FEN, rounding=ROUND_HALF_UP)


def stress(exposures: list, haircut: Decimal) -> dict:
    """{loan_count, loss, guarantor, reguarantor, bank, fund} over the non-performing exposures."""
    if not Decimal(0) <= haircut <= Decimal(1):
        raise ValueError("a haircut is from 0 to 1")
    totals = {"loan_count": 0, "loss": Decimal("0.00"), **{party: Decimal("0.00") for party in sharing.PARTIES}}
    for e in exposures:
        if e.classification not in NON_PERFORMING:
            continue
        loss = _uncovered(e.principal + e.interest, e.collateral_value, haircut).quantize(FEN, rounding=ROUND_HALF_UP)
        totals["loan_count"] += 1
        totals["loss"] += loss
        for party, amount in sharing.split(loss, e.shares).items():
            totals[party] += amount
    return totals

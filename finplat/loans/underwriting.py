"""Underwriting as a pure function (DESIGN.md §3.4): the names of every check an application fails, not just
the first. No Flask, no database: the service gathers the facts of the borrower and of each collateral item
as of the open business date and passes them in.

Checks (the names of API.md):
- valuation_missing: a collateral item has no certified valuation at all;
- valuation_expired: its last certified valuation is no longer in force;
- ltv_exceeded: the loan does not fit the room the collateral leaves: each item's certified value x the
  product's LTV cap for its kind (rounded down to the fen), less what the item's live liens already secure,
  summed over the items;
- term_beyond_right: the loan matures later than one year before the earliest term end of a collateral right;
- collateral_encumbered: an item is not available (a frozen, withdrawn, expired or disposed right; a right
  secured to its limit already; shares pledged already or beyond the holding);
- consent_missing: a right lacks a consent its mortgage needs (right_rules.missing_consents);
- fire_insurance_missing: a forest right's fire insurance does not cover the loan term;
- borrower_in_default: the borrower has a loan in default (classified substandard or worse) at any bank.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from finplat.money import FEN
from finplat.registry.right_rules import add_years

CHECKS = ("valuation_missing", "valuation_expired", "ltv_exceeded", "term_beyond_right", "collateral_encumbered",
          "consent_missing", "fire_insurance_missing", "borrower_in_default")
AVAILABLE_STATUSES = ("active", "encumbered")


@dataclass(frozen=True)
class CollateralFacts:
    """One collateral item as underwriting sees it. For a right: its kind, status and term end; for part of a
    shareholding: kind `collective_shares`, the shares asked for and those still unpledged."""
    kind: str
    status: str = "active"
    certified_value: Decimal | None = None  # of the certified valuation in force; None when there is none
    had_valuation: bool = False  # a certified valuation existed once (then missing means expired)
    ltv_cap: Decimal = Decimal("0")
    live_secured: Decimal = Decimal("0")  # what live liens on the item already secure
    term_end: date | None = None
    missing_consents: tuple = ()
    fire_insurance_until: date | None = None
    shares: int | None = None  # of a shareholding: asked for in this application
    shares_free: int | None = None  # of a shareholding: held and not yet pledged


@dataclass(frozen=True)
class Application:
    amount: Decimal
    maturity: date
    collateral: tuple = field(default_factory=tuple)
    borrower_in_default: bool = False


def limit(item: CollateralFacts) -> Decimal:
    """The most the item may secure: certified value x LTV cap, rounded down to the fen (a lien secures
    whole fen, and never a fen past the cap). For shares, the value is that of the shares asked for (the
    valuation's value per share x shares)."""
    if item.certified_value is None:
        return Decimal("0.00")
    return (item.certified_value * item.ltv_cap).quantize(FEN, rounding=ROUND_DOWN)


def room(item: CollateralFacts) -> Decimal:
    """What the item may still secure: its limit less its live liens, never below 0."""
    return max(Decimal("0.00"), limit(item) - item.live_secured)


def failed_checks(application: Application) -> list[str]:
    """Every check `application` fails, in the order of CHECKS (empty when it may be submitted)."""
    failed = set()
    for item in application.collateral:
        if item.certified_value is None:
            failed.add("valuation_expired" if item.had_valuation else "valuation_missing")
        if item.term_end is not None and application.maturity > add_years(item.term_end, -1):
            failed.add("term_beyond_right")
        if item.kind == "collective_shares":
            if item.shares is None or item.shares_free is None or item.shares > item.shares_free:
                failed.add("collateral_encumbered")
        elif item.status not in AVAILABLE_STATUSES:
            failed.add("collateral_encumbered")
        if item.certified_value is not None and room(item) == 0:  # secured to its limit already
            failed.add("collateral_encumbered")
        if item.missing_consents:
            failed.add("consent_missing")
        if item.kind == "forest" and (item.fire_insurance_until is None
                                      or item.fire_insurance_until < application.maturity):
            failed.add("fire_insurance_missing")
    valued = all(item.certified_value is not None for item in application.collateral)
    if valued and application.amount > sum((room(item) for item in application.collateral), Decimal("0")):
        failed.add("ltv_exceeded")
    if application.borrower_in_default:
        failed.add("borrower_in_default")
    return [check for check in CHECKS if check in failed]

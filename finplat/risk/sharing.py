"""How a loss is shared (DESIGN.md §3.5), as pure functions: no Flask, no database.

A risk-sharing program gives each party (guarantor, provincial re-guarantor, bank, the compensation fund) a
share of a net loss; the shares sum to 1 (the "4321" model is 0.40 / 0.30 / 0.20 / 0.10; a fund-only
program such as Weifang's is 0 / 0 / 0.80 / 0.20). split() gives each party its amount to the fen: every
party but one takes its share of the loss rounded half-up, and the guarantor (the bank when the program has
no guarantor) takes what is left, so that the amounts always sum to the loss exactly.
"""
from decimal import ROUND_HALF_UP, Decimal

PARTIES = ("guarantor", "reguarantor", "bank", "fund")
FEN = Decimal("0.01")
ONE = Decimal("1")


def shares_error(shares: dict) -> str | None:
    """Why `shares` ({party: Decimal}) is not a program's shares, or None."""
    if set(shares) != set(PARTIES):
        return f"give a share for each of {', '.join(PARTIES)}"
    if any(not isinstance(s, Decimal) or s < 0 or s > ONE for s in shares.values()):
        return "each share is from 0 to 1"
    if sum(shares.values()) != ONE:
        return f"the shares sum to {sum(shares.values()).normalize():f}, not 1"
    return None


def residue_party(shares: dict) -> str:
    """Who takes the rounding residue: the guarantor, or the bank when the guarantor has no share."""
    return "guarantor" if shares["guarantor"] > 0 else "bank"


def split(amount: Decimal, shares: dict) -> dict:
    """{party: amount to the fen} of `amount` (a loss or a recovery, >= 0) by `shares`, summing to it."""
    error = shares_error(shares)
    if error:
        raise ValueError(error)
    if amount < 0 or amount != amount.quantize(FEN):
        raise ValueError(f"{amount} is not an amount of whole fen at least 0")
    last = residue_party(shares)
    exact = {party: amount * shares[party] for party in PARTIES}
    parts = {party: exact[party].quantize(FEN, rounding=ROUND_HALF_UP) for party in PARTIES if party != last}
    parts[last] = amount - sum(parts.values())
    while parts[last] < 0:  # a tiny residue share outrun by the others' rounding up: take back their extra fen
        party = max(parts.keys() - {last}, key=lambda p: (parts[p] - exact[p], -PARTIES.index(p)))
        parts[party] -= FEN
        parts[last] += FEN
    return {party: parts[party] for party in PARTIES}

"""Decimal helpers for money and rates. Money is Decimal, never float; rounding is half-up to the fen."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")


def yuan(value) -> Decimal:
    """An amount of yuan from a str, int or Decimal (floats are refused: they cannot hold fen exactly)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def to_fen(value) -> Decimal:
    """Round half-up to the fen (0.01 yuan)."""
    return yuan(value).quantize(FEN, rounding=ROUND_HALF_UP)

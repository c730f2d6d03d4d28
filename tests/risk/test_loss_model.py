"""Expected loss and stress on a small hand-made portfolio (the pure model)."""
from decimal import Decimal

import pytest

from finplat.risk.loss_model import Exposure, expected_loss, stress

D = Decimal
S4321 = {"guarantor": D("0.40"), "reguarantor": D("0.30"), "bank": D("0.20"), "fund": D("0.10")}
FUND_ONLY = {"guarantor": D("0"), "reguarantor": D("0"), "bank": D("0.80"), "fund": D("0.20")}
PORTFOLIO = [
    # normal, well covered: 100,000 against 200,000 x 0.70 = 140,000 -> nothing uncovered
    Exposure("normal", D("100000.00"), D("0.00"), D("200000.00"), S4321),
    # substandard: 120,000 against 100,000 x 0.70 = 70,000 -> 50,000 uncovered; EL 0.25 x 50,000 = 12,500.00
    Exposure("substandard", D("120000.00"), D("1000.00"), D("100000.00"), S4321),
    # loss, no collateral value: EL 1 x 30,000 = 30,000.00
    Exposure("loss", D("30000.00"), D("500.00"), D("0"), FUND_ONLY),
]


def test_expected_loss_by_hand():
    assert [expected_loss(e) for e in PORTFOLIO] == [D("0.00"), D("12500.00"), D("30000.00")]
    # a deeper haircut uncovers the normal loan: 200,000 x 0.40 = 80,000; 0.01 x 20,000 = 200.00
    assert expected_loss(PORTFOLIO[0], haircut=D("0.60")) == D("200.00")


def test_stress_splits_each_defaulted_loss():
    got = stress(PORTFOLIO, D("0.30"))
    # 121,000 - 70,000 = 51,000 by 4321: 20,400 / 15,300 / 10,200 / 5,100;
    # 30,500 - 0 = 30,500 fund-only: the bank 24,400, the fund 6,100
    assert got == {"loan_count": 2, "loss": D("81500.00"), "guarantor": D("20400.00"), "reguarantor": D("15300.00"),
                   "bank": D("34600.00"), "fund": D("11200.00")}
    assert stress(PORTFOLIO, D("1"))["loss"] == D("151500.00")  # collateral worth nothing: 121,000 + 30,500
    with pytest.raises(ValueError):
        stress(PORTFOLIO, D("1.5"))

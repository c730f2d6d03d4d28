"""Amounts in Chinese capital numerals (中文大写金额), as the People's Bank of China's rules for writing bills
and settlement vouchers (《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》) have them. Pure: no Flask.

    rmb_capital(Decimal("500000.00"))  -> "人民币伍拾万元整"
    rmb_capital(Decimal("1409.50"))    -> "人民币壹仟肆佰零玖元伍角整"
    rmb_capital(Decimal("16409.02"))   -> "人民币壹万陆仟肆佰零玖元零贰分"

The rules, and the choices made where they leave one:
- "人民币" stands right before the first numeral; digits are 壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿元角分.
- A ten is written 壹拾 (壹拾元, 壹拾万), never a bare 拾 that a digit could be put in front of.
- Zeros between non-zero figures are written 零, one 零 for a run of zeros (¥1,409.50 壹仟肆佰零玖元,
  ¥6,007.14 陆仟零柒元). Where the rules let the writer choose, a run that takes in the 万 place or the 元
  place before a non-zero 千 or 角 (¥107,000.53), we always write the 零: 壹拾万零柒仟元零伍角叁分,
  壹仟陆佰捌拾元零叁角贰分; the 亿 place likewise (壹拾亿零壹仟万). Every run of zeros between figures then
  has its 零, wherever it falls, and nothing can be slipped into a gap.
- A zero 角 before a non-zero 分 is always written 零 after 元 (¥325.04 叁佰贰拾伍元零肆分), as the rules require.
- An amount that ends at 元 takes 整 (壹拾元整); one with 分 takes none (壹元零壹分).
- After 角 the rules allow 整 or nothing; we write 整 (壹元伍角整): it closes the amount as 整 after 元 does,
  so that no 分 can be added to it afterwards.
- Amounts under one yuan have no 元 (¥0.05 人民币伍分, ¥0.50 人民币伍角整); nothing at all is 人民币零元整.
- 万亿 for 10^12 (壹万亿元整); the largest amount is 9,999,999,999,999,999.99, what NUMERIC(18,2) holds.
- Negative amounts, amounts with a non-zero figure below the fen, floats and non-numbers are refused.
"""
from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
MAX_AMOUNT = Decimal("9999999999999999.99")
_FEN = Decimal("0.01")


def rmb_capital(amount: Decimal) -> str:
    """The amount in Chinese capital numerals, preceded by 人民币 (see the module's rules)."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"an amount must be a Decimal (or an int), not {type(amount).__name__}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError("an amount must be a finite number")
    if amount < 0:
        raise ValueError(f"a negative amount cannot be written in capitals: {amount}")
    if amount > MAX_AMOUNT:
        raise ValueError(f"amounts up to {MAX_AMOUNT} only, not {amount}")
    fen_total = amount / _FEN
    if fen_total != fen_total.to_integral_value():
        raise ValueError(f"an amount has at most two decimal places (fen): {amount}")
    yuan, rest = divmod(int(fen_total), 100)
    jiao, fen = divmod(rest, 10)

    if yuan == 0 and jiao == 0 and fen == 0:
        return "人民币零元整"
    text = ""
    if yuan:
        text = _integer(yuan) + "元"
        if (fen and not jiao) or (jiao and yuan % 10 == 0):
            text += "零"  # 元零贰分 (required); 捌拾元零叁角 (the option taken)
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return "人民币" + text


def _integer(n: int) -> str:
    """A positive whole number of yuan: 亿 sections, within them 万 sections, within those 仟佰拾."""
    for size, unit, part in ((10**8, "亿", _integer), (10**4, "万", _thousands)):
        if n >= size:
            high, low = divmod(n, size)
            text = part(high) + unit
            if low:
                # a zero on either side of the section mark is a gap: 壹拾万零柒仟, 壹万零壹拾
                text += ("零" if high % 10 == 0 or low < size // 10 else "") + _integer(low)
            return text
    return _thousands(n)


def _thousands(n: int) -> str:
    """1 to 9999: 仟佰拾 and units, one 零 for a run of inner zeros, trailing zeros unwritten."""
    text, gap = "", False
    for place in range(3, -1, -1):
        digit = n // 10**place % 10
        if digit == 0:
            gap = bool(text)
            continue
        if gap:
            text += "零"
            gap = False
        text += DIGITS[digit] + PLACES[place]
    return text

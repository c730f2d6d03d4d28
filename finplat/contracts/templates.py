"""Contract HTML from templates/contracts/: a sandboxed Jinja environment (jinja2.sandbox), autoescaped, with
StrictUndefined so that a field the context lacks fails loudly instead of printing nothing.

Templates receive the plain dict of finplat.contracts.context.build_context, never ORM objects, and fetch
nothing: contract.css is inlined into a <style> block, and neither the templates nor the stylesheet name a
URL, an image or an @import, so `render_html` returns one self-contained HTML string (the PDF renderer adds
the @font-face rules of the embedded fonts).
"""
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from finplat.contracts.context import KINDS

_env = None


def templates_dir() -> Path:
    """templates/contracts/ in the folder create_app gives Flask: inside the package in an installed wheel,
    beside it in a source checkout; never found through the current directory."""
    from finplat import _templates_dir
    return Path(_templates_dir()) / "contracts"


def money(value) -> str:
    """ "256000.00" -> "256,000.00" (a context amount, already two decimals)."""
    if isinstance(value, (bool, float)) or not isinstance(value, (str, Decimal, int)):
        raise TypeError(f"money takes a decimal string, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    return f"{number:,.2f}"


def cn_date(value) -> str:
    """ "2026-11-23" -> "2026年11月23日"."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


def environment() -> ImmutableSandboxedEnvironment:
    """The one contract environment (built on first use). Immutable sandbox: templates may not call unsafe
    attributes (`''.__class__` raises SecurityError) nor change the lists and dicts of their context."""
    global _env
    if _env is None:
        env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(templates_dir())),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["money"] = money
        env.filters["cn_date"] = cn_date
        _env = env
    return _env


def render_html(kind: str, context: dict) -> str:
    """The contract of `kind` as one self-contained HTML string (CSS inlined). `context` is what
    build_context (or sample_context) returned for that kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown contract kind {kind!r}; one of {', '.join(KINDS)}")
    if context.get("kind") != kind:
        raise ValueError(f"the context was built for {context.get('kind')!r}, not {kind!r}")
    return environment().get_template(f"{kind}.html").render(context)

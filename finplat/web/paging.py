"""Long tables on pages: PER_PAGE rows at a time, the page chosen by ?page=."""
from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select

from finplat.extensions import db

PER_PAGE = 50


@dataclass
class Page:
    rows: list
    total: int
    number: int
    pages: int

    @property
    def prev(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def page_of(stmt, per_page=PER_PAGE) -> Page:
    """The rows of `stmt` on the page that ?page= asks for. What is not a page number reads as the first
    page and a number past the end as the last, so that no link or edited address is an error (nor an
    OFFSET that overflows the database)."""
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    number = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = db.session.execute(stmt.limit(per_page).offset((number - 1) * per_page)).scalars().all()
    return Page(rows, total, number, pages)

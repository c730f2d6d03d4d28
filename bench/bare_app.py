"""The farmer benchmark's yardstick: a bare Flask + Flask-SQLAlchemy app answering one primary-key select of
a loan as JSON, with nothing of the platform (no auth, no schemas, no hooks). gunicorn 'bare_app:app'."""
import os
from decimal import Decimal

from flask import Flask, abort
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

db = SQLAlchemy()


class Loan(db.Model):
    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    principal_outstanding: Mapped[Decimal] = mapped_column(Numeric(18, 2))


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["FINPLAT_DATABASE_URL"]
db.init_app(app)


@app.get("/loans/<int:loan_id>")
def loan(loan_id):
    row = db.session.get(Loan, loan_id) or abort(404)
    return {"id": row.id, "status": row.status, "principal_outstanding": str(row.principal_outstanding)}

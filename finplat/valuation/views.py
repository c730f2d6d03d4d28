"""Valuation pages (DESIGN.md §3.3): the valuations a user may see, an appraiser's request for a valuation of
a right or a shareholding, the valuation report (printable) with its certification, and the calculator that
records nothing.

Each form is checked by WTForms for friendly Chinese messages, then loaded through the API's schema
(ValuationIn, PreviewIn) and handed to the service function the API calls (finplat.web.forms.submit). The
forms are in page_forms.py; what the report and the calculator show, in report.py.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from finplat.auth.permissions import get_visible, require, visible
from finplat.auth.roles import INSTITUTION_ROLES
from finplat.errors import DomainError
from finplat.extensions import db
from finplat.registry.models import Right, Shareholding
from finplat.registry.views import RIGHT_KIND_LABELS, UNIT_LABELS
from finplat.valuation import service
from finplat.valuation.derivation import METHODS_BY_KIND
from finplat.valuation.models import METHODS, STATUSES, Valuation
from finplat.valuation.page_forms import (INPUTS, METHOD_LABELS, CertifyForm, chosen_method, extra, field_of,
                                          method_form, shown, switching)
from finplat.valuation.report import SOURCE_LABELS, holding_facts, money, preview_result, right_facts, valuation_report
from finplat.valuation.schemas import PreviewIn, ValuationIn
from finplat.web.forms import VALUATION_LABELS, show_errors, submit
from finplat.web.paging import page_of

bp = Blueprint("valuation", __name__, url_prefix="/valuation")

VALUATION_STATUS_LABELS = {s: VALUATION_LABELS[s] for s in STATUSES}


def _requested_collateral():
    """(facts, {"right_id": N} or {"shareholding_id": N}) named by the query string, or (None, None)."""
    right_id = request.args.get("right_id", type=int)
    holding_id = request.args.get("shareholding_id", type=int)
    if right_id:
        right = get_visible(Right, right_id, current_user)
        return right_facts(right), {"right_id": right.id}
    if holding_id:
        holding = get_visible(Shareholding, holding_id, current_user)
        return holding_facts(holding), {"shareholding_id": holding.id}
    return None, None


# --- pages

@bp.route("/")
@require()
def index():
    """The valuations the user may see, newest first (an appraiser's agency's drafts among them)."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    table = page_of(service.search(current_user, status=status).options(selectinload(Valuation.agency)))
    right_ids = {v.right_id for v in table.rows if v.right_id}
    holding_ids = {v.shareholding_id for v in table.rows if v.shareholding_id}
    rights = {r.id: r for r in db.session.execute(visible(Right, current_user).where(Right.id.in_(right_ids)))
              .scalars()} if right_ids else {}
    holdings = {h.id: h for h in db.session.execute(visible(Shareholding, current_user).options(
        selectinload(Shareholding.member)).where(Shareholding.id.in_(holding_ids))).scalars()} if holding_ids else {}
    return render_template("valuation/valuations.html", table=table, status=status, rights=rights,
                           holdings=holdings, labels=_labels())


@bp.route("/new", methods=["GET", "POST"])
@require("appraiser")
def new():
    """An appraiser's valuation of a right (?right_id=) or a shareholding (?shareholding_id=): a draft."""
    collateral, key = _requested_collateral()
    if collateral is None:
        if request.method == "POST":
            abort(404)
        return render_template("valuation/valuation_new.html", collateral=None, form=None, labels=_labels())
    allowed = METHODS_BY_KIND[collateral["kind"]]
    method = chosen_method(allowed)
    form = method_form(method, allowed, required=False)
    status = 200
    if not switching(method):
        valuation, status = submit(form, ValuationIn(),
                                   lambda data: service.request_valuation(current_user, data),
                                   extra=lambda f: extra(f, method, key, required=False), field_of=field_of(form))
        if valuation is not None:
            flash(f"已生成评估草稿（编号 {valuation.id}）：评估价值 {money(valuation.value)} 元，待认证")
            return redirect(url_for("valuation.valuation", valuation_id=valuation.id))
    return render_template("valuation/valuation_new.html", collateral=collateral, key=key,
                           form=shown(form, method), method=method, inputs=INPUTS[method],
                           labels=_labels()), status


@bp.route("/preview", methods=["GET", "POST"])
@require(*INSTITUTION_ROLES)
def preview():
    """The calculator: a method's value, range and figures on inputs as given; nothing is recorded."""
    method = chosen_method(METHODS)
    form = method_form(method, METHODS, required=True)
    result, status = None, 200
    if not switching(method):
        result, status = submit(form, PreviewIn(), lambda data: service.preview(data["method"], data["inputs"]),
                                extra=lambda f: extra(f, method, {}, required=True), field_of=field_of(form))
    return render_template("valuation/preview.html", form=shown(form, method), method=method,
                           inputs=INPUTS[method], result=preview_result(method, result) if result else None,
                           labels=_labels()), status


def _valuation_page(valuation_id, certify_form=None, status=200):
    valuation = service.get_valuation(current_user, valuation_id)
    can_certify = service.may_certify(current_user, valuation)
    return render_template("valuation/valuation.html", valuation=valuation, report=valuation_report(valuation),
                           can_certify=can_certify, certify_form=certify_form or CertifyForm(prefix="certify"),
                           labels=_labels()), status


@bp.route("/<int:valuation_id>")
@require()
def valuation(valuation_id):
    return _valuation_page(valuation_id)


@bp.route("/<int:valuation_id>/certify", methods=["POST"])
@require("appraiser")
def certify(valuation_id):
    form = CertifyForm(prefix="certify")
    if not form.validate_on_submit():
        return _valuation_page(valuation_id, certify_form=form, status=400)
    try:
        done = service.certify(current_user, valuation_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _valuation_page(valuation_id, certify_form=form, status=show_errors(form, exc))
    flash(f"已认证：评估价值 {money(done.value)} 元，有效期至 {done.valid_until.isoformat()}")
    return redirect(url_for("valuation.valuation", valuation_id=done.id))


def _labels():
    return {"method": METHOD_LABELS, "status": VALUATION_STATUS_LABELS, "source": SOURCE_LABELS,
            "right": RIGHT_KIND_LABELS, "unit": UNIT_LABELS}

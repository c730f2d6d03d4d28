"""Contract pages: a signed contract's record with its PDF, and the verification page where anyone logged in
uploads a PDF and sees whether its signature is intact and trusted and whether it is the file on record."""
from flask import Blueprint, Response, render_template
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired

from finplat.auth.permissions import require
from finplat.contracts import service
from finplat.errors import DomainError
from finplat.web.forms import Form, show_errors

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


class VerifyForm(Form):
    file = FileField("合同 PDF 文件", validators=[FileRequired("请选择文件")],
                     description="上传平台签署的合同 PDF，核验其电子签名是否完整有效、是否为平台存档的原件",
                     render_kw={"accept": "application/pdf,.pdf"})


@bp.route("/verify", methods=["GET", "POST"])
@require()
def verify():
    form, verdict, status = VerifyForm(), None, 200
    if form.validate_on_submit():
        try:
            verdict = service.verify(current_user, form.file.data.read())
        except DomainError as exc:
            status = show_errors(form, exc)
    elif form.errors:
        status = 422
    return render_template("contract_pages/verify.html", form=form, verdict=verdict,
                           labels=service.KIND_LABELS), status


@bp.route("/<int:contract_id>")
@require()
def contract(contract_id):
    return render_template("contract_pages/contract.html", contract=service.get_contract(current_user, contract_id),
                           labels=service.KIND_LABELS)


@bp.route("/<int:contract_id>/pdf")
@require()
def pdf(contract_id):
    return Response(service.pdf_of(current_user, contract_id), mimetype=service.PDF_MIME,
                    headers={"Content-Disposition": f'inline; filename="contract-{contract_id}.pdf"',
                             "Cache-Control": "no-store"})

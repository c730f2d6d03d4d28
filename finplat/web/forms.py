"""Form helpers: turn a service's DomainError into messages on the form's fields."""
from flask import render_template

from finplat.errors import DomainError
from finplat.extensions import db


def show_errors(form, exc: DomainError):
    """Attach the error to the fields it names, or to the whole form."""
    db.session.rollback()
    placed = False
    for name, messages in (exc.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


def rerender(template, form, **context):
    """The form again, with its messages, as 422 so that clients can tell a refusal from a success."""
    return render_template(template, form=form, **context), 422

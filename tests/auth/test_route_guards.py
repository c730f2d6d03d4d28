"""Every route but the public ones passes through `require` (the authorisation matrix then checks the
roles route by route), and a model without a scoping rule cannot be listed by accident."""
import pytest

from finplat.audit import AuditRecord
from finplat.auth.permissions import visible

PUBLIC = {"auth_api.create_token", "web.login", "web.logout", "static", "api-docs.openapi_json"}


def _guarded(view) -> bool:
    while view is not None:
        if hasattr(view, "required_roles"):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def test_every_non_public_endpoint_requires_a_login(app):
    unguarded = sorted(ep for ep, view in app.view_functions.items() if ep not in PUBLIC and not _guarded(view))
    assert unguarded == []
    assert set(PUBLIC) - {"static"} <= set(app.view_functions)  # the public list names real endpoints


def test_visible_refuses_a_model_without_a_rule(db, make_user):
    for role in ("loan_officer", "admin"):  # admins too: a forgotten rule shows up on the first call
        with pytest.raises(LookupError, match="no scoping rule for AuditRecord"):
            visible(AuditRecord, make_user(role))

"""Auth and administration routes: /auth/token, /me, /institutions, /users."""
from flask import request

from finplat.api_base import Blueprint, page_schema, paginate
from finplat.auth import service
from finplat.auth.models import Institution, User
from finplat.auth.permissions import current_actor, get_visible, require, visible
from finplat.auth.schemas import (InstitutionFilter, InstitutionIn, InstitutionSchema, MeSchema, TokenRequest,
                                  TokenSchema, UserFilter, UserIn, UserSchema)

blp = Blueprint("auth_api", __name__, description="Tokens, institutions and users")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, TokenSchema)
@blp.doc(security=[])
def create_token(data):
    """Exchange a username and password for a bearer token."""
    raw, token = service.issue_token(data["username"], data["password"], request.remote_addr or "unknown")
    return {"token": raw, "expires_at": token.expires_at}


@blp.route("/auth/token", methods=["DELETE"])
@require()
@blp.response(204)
def revoke_token():
    """Revoke the bearer token of this request (an API logout)."""
    service.revoke_token(request.headers["Authorization"].partition(" ")[2].strip(), current_actor())


@blp.route("/me", methods=["GET"])
@require()
@blp.response(200, MeSchema)
def me():
    return current_actor()


@blp.route("/institutions", methods=["POST"])
@require("admin")
@blp.arguments(InstitutionIn)
@blp.response(201, InstitutionSchema)
def create_institution(data):
    return service.create_institution(current_actor(), data)


@blp.route("/institutions", methods=["GET"])
@require()
@blp.arguments(InstitutionFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(InstitutionSchema))
def list_institutions(page, per_page, kind=None):
    stmt = visible(Institution, current_actor()).order_by(Institution.id)
    if kind:
        stmt = stmt.where(Institution.kind == kind)
    return paginate(stmt, page, per_page)


@blp.route("/institutions/<int:institution_id>", methods=["GET"])
@require()
@blp.response(200, InstitutionSchema)
def get_institution(institution_id):
    return get_visible(Institution, institution_id, current_actor())


@blp.route("/users", methods=["POST"])
@require("admin")
@blp.arguments(UserIn)
@blp.response(201, UserSchema)
def create_user(data):
    return service.create_user(current_actor(), data)


@blp.route("/users", methods=["GET"])
@require()
@blp.arguments(UserFilter, location="query", as_kwargs=True)
@blp.response(200, page_schema(UserSchema))
def list_users(page, per_page, role=None, institution_id=None):
    """Admins see every user; others the users of their own institution (a farmer only themself)."""
    stmt = visible(User, current_actor()).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == role)
    if institution_id:
        stmt = stmt.where(User.institution_id == institution_id)
    return paginate(stmt, page, per_page)


@blp.route("/users/<int:user_id>", methods=["GET"])
@require()
@blp.response(200, UserSchema)
def get_user(user_id):
    return get_visible(User, user_id, current_actor())

"""Registrar pages (and a farmer's own rights)."""
from flask import Blueprint

bp = Blueprint("registry", __name__, url_prefix="/registry")

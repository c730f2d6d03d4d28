"""Flask extensions, created unbound here and bound to the app in create_app()."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
class ErrorDetail(Schema):
    code = fields.String(metadata={"example": "validation_failed"})
    message = fields.String()
    fields = fields.Dict(metadata={"description": "messages by field name"})


class ErrorSchema(Schema):
    """The error shape of every route: {"error": {"code", "message", "fields"}}."""
    error = fields.Nested(ErrorDetail)


class FinPlatApi(Api):
    ERROR_SCHEMA = ErrorSchema


api = FinPlatApi()

"""Settings from FINPLAT_* environment variables, with defaults that run the demo on SQLite."""
import os
from datetime import timedelta
from pathlib import Path


def _int(name, default):
    return int(os.environ.get(name, default))


def _bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _path(name):
    """A path setting, made absolute: it must not change meaning with the working directory."""
    value = os.environ.get(name)
    return str(Path(value).resolve()) if value else None


def _paths(name):
    value = os.environ.get(name)
    return os.pathsep.join(str(Path(v).resolve()) for v in value.split(os.pathsep) if v) if value else None


def instance_path():
    return str(Path(os.environ.get("FINPLAT_INSTANCE_PATH", "instance")).resolve())


def from_environment():
    """The configuration dict for create_app(); keys not set here keep Flask's defaults."""
    inst = instance_path()
    return {
        "INSTANCE_PATH": inst,
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "FINPLAT_DATABASE_URL", f"sqlite:///{Path(inst) / 'finplat.db'}"),
        "SECRET_KEY": os.environ.get("FINPLAT_SECRET_KEY"),
        # "id:base64key,id:base64key" with the current key first; otherwise read from the instance folder.
        "ENCRYPTION_KEYS": os.environ.get("FINPLAT_ENCRYPTION_KEYS"),
        "BLIND_INDEX_KEY": os.environ.get("FINPLAT_BLIND_INDEX_KEY"),
        "TOKEN_TTL_MINUTES": _int("FINPLAT_TOKEN_TTL_MINUTES", 12 * 60),
        "LOGIN_WINDOW_MINUTES": _int("FINPLAT_LOGIN_WINDOW_MINUTES", 15),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _int("FINPLAT_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _int("FINPLAT_LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        "COB_TIME": os.environ.get("FINPLAT_COB_TIME", "23:30"),
        # Institutions' own PKCS#12 files, named "<institution name>.p12"; others get one from the instance CA.
        "PKCS12_DIR": _path("FINPLAT_PKCS12_DIR"),
        "PKCS12_PASSPHRASE": os.environ.get("FINPLAT_PKCS12_PASSPHRASE"),
        # Signed contracts, one file per content (<sha256>.pdf); default <instance>/contracts.
        "CONTRACTS_DIR": _path("FINPLAT_CONTRACTS_DIR"),
        # A time-stamping authority (RFC 3161) for PAdES B-T; none: B-B with the signer's own clock.
        "TSA_URL": os.environ.get("FINPLAT_TSA_URL"),
        # Verification trusts the instance CA and these PEM certificates (paths joined by os.pathsep).
        "TRUST_ROOTS": _paths("FINPLAT_TRUST_ROOTS"),
        # The largest PDF that POST /contracts/verify and the verification page accept.
        "MAX_VERIFY_BYTES": _int("FINPLAT_MAX_VERIFY_BYTES", 10 * 1024 * 1024),
        # Risk: the probability of default by class for expected loss, as JSON ({"normal": "0.01", ...});
        # none: finplat.risk.loss_model.DEFAULT_PD.
        "PD_TABLE": os.environ.get("FINPLAT_PD_TABLE"),
        "SESSION_COOKIE_SECURE": _bool("FINPLAT_SECURE_COOKIES"),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=_int("FINPLAT_SESSION_MINUTES", 12 * 60)),
        # How many proxies (load balancers) stand in front: their X-Forwarded-For gives the client's
        # address, which login limits count by. 0 when clients connect directly.
        "PROXY_COUNT": _int("FINPLAT_PROXY_COUNT", 0),
        # Business dates and the nightly COB follow this clock, whatever the host's timezone.
        "TIMEZONE": os.environ.get("FINPLAT_TIMEZONE", "Asia/Shanghai"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": _int("FINPLAT_MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # flask-smorest: the OpenAPI document at /api/v1/openapi.json, nothing else.
        "API_TITLE": "FinPlat",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }

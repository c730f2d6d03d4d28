"""FinPlat: the backend of a rural property-rights finance platform."""
from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from sqlalchemy import event
from sqlalchemy.engine import Engine

from finplat import config as settings
from finplat.extensions import api, csrf, db, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = str(PACKAGE_DIR / "migrations")


def _templates_dir() -> str:
    # An installed wheel carries templates/ inside the package; a source checkout has it beside the package.
    shipped = PACKAGE_DIR / "templates"
    return str(shipped if shipped.is_dir() else PACKAGE_DIR.parent / "templates")


class JSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # Chinese stays readable
    sort_keys = False


def create_app(config=None) -> Flask:
    cfg = settings.from_environment()
    cfg.update(config or {})
    app = Flask(__name__, instance_path=cfg["INSTANCE_PATH"], template_folder=_templates_dir())
    app.json = JSONProvider(app)
    app.config.update(cfg)
    from finplat.security.keys import load_into
    load_into(app.config)

    _sqlite_transactions()
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "请先登录"

    _register_models()
    _register_blueprints(app)

    from finplat import error_handlers, request_hooks
    error_handlers.register(app)
    request_hooks.register(app)

    from finplat.cli import register_commands
    register_commands(app)
    return app


def _register_models():
    """Import every model and domain hook so that metadata, scoping rules and COB steps are complete."""
    import finplat.audit.models  # noqa: F401
    import finplat.auth.models  # noqa: F401
    import finplat.auth.scopes  # noqa: F401
    import finplat.cob  # noqa: F401
    import finplat.contracts.models  # noqa: F401
    import finplat.contracts.scopes  # noqa: F401
    import finplat.idempotency  # noqa: F401
    import finplat.jobs  # noqa: F401
    import finplat.ledger.models  # noqa: F401
    import finplat.loans.cob_steps  # noqa: F401  (accrual, penalty, classification)
    import finplat.loans.exposure  # noqa: F401  (the revaluation's exposure source)
    import finplat.loans.models  # noqa: F401
    import finplat.loans.product_service  # noqa: F401  (the products' scoping rule)
    import finplat.loans.scopes  # noqa: F401
    import finplat.registry.models  # noqa: F401
    import finplat.registry.scopes  # noqa: F401
    import finplat.risk.claim_service  # noqa: F401  (the claims' scoping rule)
    import finplat.risk.cob_steps  # noqa: F401  (guarantee fees)
    import finplat.risk.summary_service  # noqa: F401  (the risk summary, last step of the close)
    import finplat.risk.fund_service  # noqa: F401  (the funds' scoping rule)
    import finplat.risk.guarantee_service  # noqa: F401  (the guarantees' scoping rule)
    import finplat.risk.models  # noqa: F401
    import finplat.valuation.models  # noqa: F401
    import finplat.valuation.scopes  # noqa: F401
    import finplat.valuation.service  # noqa: F401  (its COB step)


@login_manager.user_loader
def _load_user(user_id):
    from finplat.auth.models import User
    return db.session.get(User, int(user_id))


def _register_blueprints(app):
    from finplat.admin import api as admin_api
    from finplat.admin import views as admin_views
    from finplat.auth import api as auth_api
    from finplat.contracts import api as contract_api
    from finplat.contracts import views as contract_views
    from finplat.loans import loan_api, product_api, product_views, schedule_api
    from finplat.loans import views as loan_views
    from finplat.registry import party_api, right_api, share_api
    from finplat.registry import views as registry_views
    from finplat.risk import claim_api, fund_api, guarantee_api, portfolio_api, program_api, recovery_api
    from finplat.risk import statement_api, statement_views
    from finplat.risk import views as risk_views
    from finplat.valuation import api as valuation_api
    from finplat.valuation import reference_api, reference_views
    from finplat.valuation import views as valuation_views
    from finplat.web import views as web_views

    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearerAuth": []}]})
    for blp in (auth_api.blp, admin_api.blp, party_api.blp, right_api.blp, share_api.blp, valuation_api.blp,
                reference_api.blp, contract_api.blp, product_api.blp, schedule_api.blp,
                loan_api.blp, program_api.blp, guarantee_api.blp, fund_api.blp,
                claim_api.blp, recovery_api.blp, portfolio_api.blp, statement_api.blp):
        api.register_blueprint(blp, url_prefix="/api/v1")
        csrf.exempt(blp)  # the API authenticates with bearer tokens only, never the session cookie
    app.register_blueprint(web_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(registry_views.bp)
    app.register_blueprint(valuation_views.bp)
    app.register_blueprint(reference_views.bp)
    app.register_blueprint(contract_views.bp)
    app.register_blueprint(product_views.bp)
    app.register_blueprint(loan_views.bp)
    app.register_blueprint(risk_views.bp)
    app.register_blueprint(statement_views.bp)


_sqlite_hooked = False


def _sqlite_transactions():
    """pysqlite does not BEGIN before reads and cannot SAVEPOINT reliably; take transactions over from it
    (SQLAlchemy's documented recipe), and take the write lock at BEGIN so that concurrent writers wait
    for each other instead of failing on a lock upgrade."""
    global _sqlite_hooked
    if _sqlite_hooked:
        return
    _sqlite_hooked = True

    @event.listens_for(Engine, "connect")
    def _connect(dbapi_conn, _record):
        if type(dbapi_conn).__module__.startswith("sqlite3"):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

    @event.listens_for(Engine, "begin")
    def _begin(conn):
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")

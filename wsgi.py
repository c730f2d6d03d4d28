"""WSGI entry point: gunicorn wsgi:app (from the project root; or gunicorn 'finplat:create_app()' anywhere)."""
from finplat import create_app

app = create_app()
if not app.config.get("SECRET_KEY"):
    raise RuntimeError("no secret key: run `finplat init-db` (or set FINPLAT_SECRET_KEY) before serving")

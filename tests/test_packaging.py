"""A non-editable install carries its templates and migrations, and the CLI works from any directory."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (built,) = out.glob("finplat-*.whl")
    return built


def test_wheel_ships_templates_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "finplat/templates/base.html" in names
    assert "finplat/templates/web/login.html" in names
    assert "finplat/migrations/env.py" in names
    assert "finplat/migrations/alembic.ini" in names
    assert any(n.startswith("finplat/migrations/versions/0001_") for n in names)


def test_installed_cli_runs_from_another_directory(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), FINPLAT_INSTANCE_PATH=str(tmp_path / "inst"))
    env.pop("FINPLAT_DATABASE_URL", None)

    def finplat(*args):
        return subprocess.run([sys.executable, "-m", "finplat", *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120)

    r = finplat("init-db")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "inst" / "finplat.db").exists()
    assert (tmp_path / "inst" / "pii_keys.json").exists()
    r = finplat("seed-demo")
    assert r.returncode == 0, r.stderr
    probe = ("import finplat; from finplat import create_app; app = create_app(); "
             "assert finplat.__file__.startswith(%r), finplat.__file__; "
             "r = app.test_client().get('/login'); print(r.status_code, '登录' in r.get_data(as_text=True))"
             % str(site))
    r = subprocess.run([sys.executable, "-c", probe], cwd=work, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["200", "True"]

"""`pip install .` builds a wheel with every package, the templates and metadata."""

import email
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Build from a copy so build/ and *.egg-info never land in the checkout.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("shop", "templates"):
        shutil.copytree(
            ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--quiet", "--wheel-dir", str(out), str(source)],
        check=True,
    )
    (path,) = out.glob("shop-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_holds_every_app_package_and_the_templates(wheel):
    names = set(wheel.namelist())
    for package in Path(ROOT / "shop").glob("*/__init__.py"):
        if package.parent.name != "tests":
            assert f"shop/{package.parent.name}/__init__.py" in names
    assert "shop/settings/prod.py" in names
    assert "shop/users/migrations/0001_initial.py" in names
    for template in (ROOT / "templates").rglob("*.*"):
        relative = template.relative_to(ROOT / "templates").as_posix()
        assert f"shop/site_templates/{relative}" in names
    assert not any("/tests/" in name for name in names)


def test_wheel_metadata_declares_python_and_the_runtime_dependencies(wheel):
    (metadata_name,) = [n for n in wheel.namelist() if n.endswith("/METADATA")]
    metadata = email.message_from_bytes(wheel.read(metadata_name))
    assert metadata["Name"] == "shop"
    assert metadata["Requires-Python"] == ">=3.11"
    requires = {
        re.match(r"[A-Za-z0-9._-]+", requirement).group().lower()
        for requirement in metadata.get_all("Requires-Dist")
    }
    assert {"django", "djangorestframework", "gunicorn", "psycopg"} <= requires

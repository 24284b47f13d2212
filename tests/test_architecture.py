"""Imports point down the layers (docs/architecture.md), checked by import-linter.

The contract lives in pyproject.toml ([tool.importlinter]); on failure the
output above names each forbidden import and the chain that leads to it.
"""

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_imports_point_down_the_layers():
    exit_code = lint_imports(config_filename=str(PYPROJECT), no_cache=True)
    assert exit_code == 0, "an import points up a layer: see the report above"

"""The apps depend in one direction only: catalog ← approvals ← funding ← audits; no app imports config."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["catalog", "approvals", "funding", "audits"]


def imported_top_level(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("app", [app for app in ORDER if (ROOT / app).is_dir()])
def test_an_app_imports_only_the_apps_before_it(app):
    forbidden = set(ORDER[ORDER.index(app) + 1 :]) | {"config"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_level(path) & forbidden)
        for path in (ROOT / app).rglob("*.py")
        if imported_top_level(path) & forbidden
    }
    assert offenders == {}

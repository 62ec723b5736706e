"""The package's shape: dependencies run one way and every import is at the top of its module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "letterhub"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The letterhub modules ``path`` imports (``from . import x`` counts as the submodule x)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("letterhub")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            elif (node.module or "").startswith("letterhub"):
                target = node.module or ""
            else:
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in KNOWN else target)
    return found - {name}


KNOWN = {module_name(path) for path in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_import_hides_inside_a_function(path):
    """An import inside a function usually dodges a circle: move the function where it belongs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = [
        f"line {inner.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    ]
    assert hidden == []


def test_services_depend_on_each_other_in_one_direction():
    graph = {module_name(path): imported_modules(path) for path in MODULES}
    services = {name for name in graph if name.startswith("letterhub.services.")}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for target in sorted(graph.get(name, set()) & services):
            if target in trail:
                cycles.append(" → ".join(trail[trail.index(target) :] + [target]))
            elif len(trail) < 20:
                visit(target, [*trail, target])

    for service in sorted(services):
        visit(service, [service])
    assert cycles == []


def test_finalizing_does_not_know_publishing():
    graph = imported_modules(PACKAGE / "services" / "finalizing.py")
    assert "letterhub.services.publishing" not in graph


@pytest.mark.parametrize(
    "path",
    [*sorted((PACKAGE / "services").glob("*.py")), PACKAGE / "worker.py"],
    ids=lambda path: path.name,
)
def test_no_service_is_handed_a_configuration_dict(path):
    """Services read ``current_app.config`` where they use a setting; nothing hands a dict down."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    handed = [
        f"{node.name} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for argument in [*node.args.args, *node.args.kwonlyargs]
        if argument.arg in {"config", "app_config"}
    ]
    assert handed == []

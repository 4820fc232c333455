"""The layer rule of ARCHITECTURE.md, read from the imports themselves (ast, every import
statement, also those inside functions)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "clientbook"

# Shared by every feature; they import nothing of the features.
FOUNDATION = {
    "clientbook.extensions", "clientbook.models", "clientbook.text", "clientbook.money", "clientbook.shop",
    "clientbook.staff", "clientbook.roles", "clientbook.contacts", "clientbook.signals", "clientbook.passwords",
    "clientbook.database", "clientbook.web", "clientbook.instance_files", "clientbook.media",
    "clientbook.form_tokens", "clientbook.placeholders", "clientbook.search_index", "clientbook.tags",
}
ROUTE_DECORATORS = {"route", "get", "post", "put", "delete", "patch"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def layer_of(name: str) -> str:
    if name == "clientbook":
        return "app"
    if name == "clientbook.tasks" or name.endswith(".tasks"):
        return "tasks"
    if name in FOUNDATION or name.startswith("clientbook.models."):
        return "foundation"
    return "domain"


def is_entry_point(name: str, tree: ast.Module) -> bool:
    """Views (modules with routes), CLI commands, a feature's wiring (its __init__), serve."""
    if name.endswith(".cli") or name == "clientbook.serve" or MODULES[name].name == "__init__.py":
        return True
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr in ROUTE_DECORATORS:
                    return True
    return False


def imported(name: str, tree: ast.Module, top_level_only: bool = False) -> set[str]:
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in (tree.body if top_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            while candidate not in MODULES and "." in candidate:
                candidate = candidate.rpartition(".")[0]
            if candidate in MODULES and candidate != name and candidate.startswith("clientbook"):
                found.add(candidate)
                break
    return found


TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def test_foundation_imports_only_foundation():
    wrong = {name: sorted(other for other in imported(name, tree) if layer_of(other) != "foundation")
             for name, tree in TREES.items() if layer_of(name) == "foundation"}
    assert {name: others for name, others in wrong.items() if others} == {}


def test_domain_code_never_imports_the_task_layer():
    """Domain code asks for queue work through signals (clientbook.signals); views, CLI commands
    and feature wiring may call tasks directly."""
    wrong = {name: sorted(other for other in imported(name, tree) if layer_of(other) == "tasks")
             for name, tree in TREES.items()
             if layer_of(name) in ("foundation", "domain") and not is_entry_point(name, tree)}
    assert {name: others for name, others in wrong.items() if others} == {}


def test_only_the_worker_bootstrap_builds_the_app():
    importers = {name for name, tree in TREES.items() if "clientbook" in imported(name, tree)}
    assert importers <= {"clientbook.tasks", "clientbook.serve"}


def test_no_import_cycle():
    graph = {name: imported(name, tree, top_level_only=True) for name, tree in TREES.items()}
    cycles = []

    def visit(name: str, path: list[str], seen: set[str]) -> None:
        for other in sorted(graph[name]):
            if other in path:
                cycles.append(path[path.index(other):] + [other])
            elif other not in seen:
                seen.add(other)
                visit(other, path + [other], seen)

    seen: set[str] = set()
    for start in sorted(graph):
        if start not in seen:
            seen.add(start)
            visit(start, [start], seen)
    assert cycles == []


def test_the_rule_sees_a_violation():
    tree = ast.parse("def f():\n    from clientbook.messaging.tasks import send_message_task\n")
    assert imported("clientbook.messaging.outbox", tree) == {"clientbook.messaging.tasks"}
    assert layer_of("clientbook.messaging.tasks") == "tasks" and layer_of("clientbook.money") == "foundation"

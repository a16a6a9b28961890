"""The core's rooms and their arrows: app (Streamlit glue) -> charts (and exports) -> query -> data. A module
imports only from its own room or the rooms below it, anywhere in the file; only the app room imports Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

ORDER = ["model", "storage", "ingest", "interchange", "reporting", "demo", "query", "charts", "publish", "app"]  # each room may import the rooms before it


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


MODULES = sorted((ROOT / "impact").glob("*/*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT / "impact")) for p in MODULES])
def test_a_module_imports_only_its_own_room_and_those_below(path):
    room = path.parent.name
    allowed = set(ORDER[: ORDER.index(room) + 1])
    above = {name for name in _imports(path) if name.startswith("impact.")
             and name.split(".")[1] in ORDER and name.split(".")[1] not in allowed}
    assert above == set(), f"{room} must not import {sorted(above)}"
    if room != "app":
        assert not any(name == "streamlit" or name.startswith("streamlit.") for name in _imports(path))


def test_every_module_lives_in_a_room():
    loose = {p.name for p in (ROOT / "impact").glob("*.py")} - {"__init__.py", "__main__.py", "cli.py"}
    assert loose == set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


PACKAGE = {_module_name(p): p for p in sorted((ROOT / "impact").rglob("*.py"))}


def _imported_module(node: ast.ImportFrom, module: str, path: Path) -> str:
    """The module an ImportFrom names, with relative imports resolved against `module`."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _import_graph() -> dict[str, set[str]]:
    """Each impact module -> the impact modules it imports anywhere in the file (not its own parent packages)."""
    graph = {}
    for module, path in PACKAGE.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                source = _imported_module(node, module, path)
                targets |= {source} | {f"{source}.{alias.name}" for alias in node.names}
        graph[module] = {t for t in targets if t in PACKAGE and t != module and not module.startswith(t + ".")}
    return graph


def test_no_import_cycle_between_modules():
    graph = _import_graph()
    done, path = set(), []

    def cycle_from(module):
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            if found := cycle_from(target):
                return found
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        found = cycle_from(module)
        assert found is None, "import cycle: " + " -> ".join(found)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_uses(module: str, path: Path) -> list[str]:
    """`from impact.a import _x` and `a._x` where `a` names an imported impact module other than this one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound, uses = {}, []  # local name -> the impact module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in PACKAGE:
                    bound[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _imported_module(node, module, path)
            if source not in PACKAGE or source == module:
                continue
            for alias in node.names:
                if f"{source}.{alias.name}" in PACKAGE:
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
                if _is_private(alias.name):
                    uses.append(f"line {node.lineno}: from {source} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = bound.get(ast.unparse(node.value))
            if owner and owner != module:
                uses.append(f"line {node.lineno}: {ast.unparse(node)} ({owner})")
    return uses


SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),  # the pages, and the tests and the benchmark
           *sorted((ROOT / "tests").rglob("*.py")), *sorted((ROOT / "bench").rglob("*.py"))]  # use public names too


@pytest.mark.parametrize("path", [*PACKAGE.values(), *SCRIPTS], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_uses_another_modules_private_names(path):
    module = _module_name(path)
    uses = _private_uses(module, path)
    assert not uses, f"{module} reaches into another module's private names: " + "; ".join(uses)


# ---- one store handle: a programme's store is a `store.Store`, made only where stores are found --------------------

def _store_constructions(path: Path) -> list[str]:
    """The calls `Store(...)` / `x.Store(...)` in a file, as 'line N: text'."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"line {node.lineno}: {ast.unparse(node)[:80]}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and (getattr(node.func, "id", None) == "Store"
                                               or getattr(node.func, "attr", None) == "Store")]


OUTSIDE_STORAGE = [p for p in [*PACKAGE.values(), *SCRIPTS] if "storage" not in p.relative_to(ROOT).parts[:2]]


@pytest.mark.parametrize("path", OUTSIDE_STORAGE, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_storage_room_makes_a_store_handle(path):
    """A store handle comes from `store.open_store` or `store.programmes`: nothing wraps a folder as `Store(path)`."""
    made = _store_constructions(path)
    assert not made, f"{path.relative_to(ROOT)} builds a Store itself (use store.open_store): " + "; ".join(made)


def _public_functions(tree: ast.Module):
    """The module's public functions and its public classes' public methods."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield from ((f"{node.name}.{f.name}", f) for f in node.body
                        if isinstance(f, ast.FunctionDef) and not f.name.startswith("_"))


HANDLE_ROOMS = [p for p in PACKAGE.values() if p.parent.name in ("reporting", "storage", "ingest")]


@pytest.mark.parametrize("path", HANDLE_ROOMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_public_function_takes_a_stores_folder_as_a_path(path):
    """The reporting, storage and ingest rooms take a programme's store as its handle (`programme_store:
    store.Store`), not as a folder `root: Path`."""
    found = [f"{name}({arg.arg}: {ast.unparse(arg.annotation)}) line {node.lineno}"
             for name, node in _public_functions(ast.parse(path.read_text(encoding="utf-8")))
             for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
             if arg.arg == "root" and arg.annotation is not None and "Path" in ast.unparse(arg.annotation)]
    assert not found, f"{path.relative_to(ROOT)}: " + "; ".join(found)

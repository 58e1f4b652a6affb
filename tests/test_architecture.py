"""The shape of the code, checked: imports form no cycle inside ``extractor/``, the library never
imports ``training``, and no module grows past the size where it stops saying what it owns.

Every import counts, module-level and lazy (inside a function) alike: a lazy import defers
loading, it does not make an arrow that runs back up acceptable.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("extractor", "training", "schemas", "benchmarks")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((REPO / package).rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str] | None = None) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved).

    ``from package import submodule`` depends on the submodule (when ``known`` lists it), not on
    the package's ``__init__``; ``from package import name`` depends on the package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = {f"{target}.{alias.name}" for alias in node.names}
            found = subs & known if known is not None else set()
            out.update(found)
            if found != subs:
                out.add(target)
    return out


def graph(package: str) -> dict[str, set[str]]:
    mods = modules(package)
    edges: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = {m for m in imports_of(path, name, set(mods)) if m in mods and m != name}
        edges[name] = deps
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_inside_extractor():
    assert find_cycle(graph("extractor")) is None, " -> ".join(find_cycle(graph("extractor")) or [])


def test_the_library_never_imports_training():
    offenders = sorted(f"{name} imports {imp}" for name, path in modules("extractor").items()
                       for imp in imports_of(path, name) if imp == "training" or imp.startswith("training."))
    assert offenders == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_over_the_size_limit(package):
    big = {name: n for name, path in modules(package).items()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}, f"modules over {MAX_LINES} lines: {big}"


@pytest.mark.parametrize(("edges", "cycle"), [
    pytest.param({"a": {"b"}, "b": {"c"}, "c": set()}, None, id="chain"),
    pytest.param({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"], id="two"),
    pytest.param({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"], id="tail"),
])
def test_find_cycle(edges, cycle):
    """The checker itself: it finds a cycle where there is one, and only then."""
    assert find_cycle(edges) == cycle

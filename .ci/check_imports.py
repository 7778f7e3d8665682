"""Fail when code imports a package that pyproject.toml does not declare.

Every top-level import (including those inside functions, ``pytest.importorskip``
strings and ``pytest_plugins`` entries) under the project's source folders must be
the standard library, the project itself, or a module installed by a distribution
that pyproject.toml names directly: ``dependencies`` for the shipped packages, plus
the ``test`` extra for tests/ and benchmarks/. A package that happens to be present
as some other package's dependency does not count: it can vanish with an upgrade.

Run from the repository root: ``python .ci/check_imports.py``. Exit 1 names each
offending module and the file and line that imports it.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("directory", "sync", "schemas")
WITH_TEST_EXTRA = ("tests", "benchmarks")
FIRST_PARTY = {*SHIPPED, *WITH_TEST_EXTRA}


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    """The distribution name at the start of a PEP 508 requirement string."""
    return canonical(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


def declared() -> tuple[set[str], dict[str, set[str]]]:
    """Distribution names in ``dependencies``, and in each optional extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {requirement_name(r) for r in project.get("dependencies", [])}
    extras = {
        name: {requirement_name(r) for r in reqs}
        for name, reqs in project.get("optional-dependencies", {}).items()
    }
    return runtime, extras


def extra_marker(lines: list[str], line: int) -> str | None:
    """The extra named by a ``# extra: NAME`` comment on an import line (maintainer scripts)."""
    found = re.search(r"#\s*extra:\s*([A-Za-z0-9_-]+)", lines[line - 1])
    return found.group(1) if found else None


def imported_modules(path: Path):
    """Yield (top-level module, line) for every absolute import the file makes."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value.split(".")[0], node.lineno
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            for item in ast.walk(node.value):
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    yield item.value.split(".")[0], node.lineno


def _is_dynamic_import(func: ast.expr) -> bool:
    """``pytest.importorskip(...)``, ``importlib.import_module(...)``, ``__import__(...)``."""
    if isinstance(func, ast.Attribute):
        return func.attr in {"importorskip", "import_module"}
    return isinstance(func, ast.Name) and func.id == "__import__"


def local_modules(folder: Path) -> set[str]:
    """Modules a script in ``folder`` can import as siblings (benchmarks import each other)."""
    return {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if p.is_dir()}


def problems() -> list[str]:
    """One line per import that does not resolve to something declared."""
    runtime, extras = declared()
    providers = md.packages_distributions()
    found = []
    for top in (*SHIPPED, *WITH_TEST_EXTRA):
        for path in sorted((ROOT / top).rglob("*.py")):
            siblings = local_modules(path.parent)
            lines = path.read_text(encoding="utf-8").splitlines()
            for module, line in imported_modules(path):
                if module in sys.stdlib_module_names or module in FIRST_PARTY:
                    continue
                if module in siblings:
                    continue
                marker = extra_marker(lines, line)
                if marker:
                    allowed, extra = runtime | extras.get(marker, set()), f"the {marker} extra"
                elif top in SHIPPED:
                    allowed, extra = runtime, "dependencies"
                else:
                    allowed, extra = runtime | extras.get("test", set()), "the test extra"
                where = f"{path.relative_to(ROOT)}:{line}"
                dists = {canonical(d) for d in providers.get(module, [])}
                if not dists and marker and canonical(module) in allowed:
                    continue  # an extra CI does not install, declared under the module's name
                if not dists:
                    state = "installed" if importlib.util.find_spec(module) else "not installed"
                    found.append(
                        f"{where}: imports {module!r}, which no declared package "
                        f"provides ({state}); add it to pyproject.toml {extra}"
                    )
                elif not dists & allowed:
                    names = ", ".join(sorted(dists))
                    found.append(
                        f"{where}: imports {module!r} from {names}, which pyproject.toml "
                        f"does not declare in {extra}"
                    )
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(f"UNDECLARED IMPORT {line}", file=sys.stderr)
    if found:
        print(f"FAIL: {len(found)} import(s) not declared in pyproject.toml", file=sys.stderr)
        return 1
    print("imports: every third-party import is declared in pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())

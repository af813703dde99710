"""The package's import graph: commands depend only downward, and no module-level cycle.

Read from the source with ast, so that an import nobody runs in the tests counts too. Imports at
module level build the graph checked for cycles; an import inside a function (how cocrec keeps
start-up lazy: the CLI imports each command in its click function, a command imports a costly
library where it is used) is allowed to point back up, as it runs only once every module is
loaded. A command module (cocrec/commands/*.py) imports no other command module, anywhere.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cocrec"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
COMMANDS = {
    name for name in MODULES if name.startswith("cocrec.commands.") and name != "cocrec.commands"
}


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The cocrec modules an `import from` names (a module, or the module holding a name)."""
    package = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
    if node.level:
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    found = [
        f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES
    ]
    return found or ([target] if target in MODULES else [])


def imports(module: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = _top_level(tree) if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            found.update(_resolve(module, node))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
    return found - {module}


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements run on import: the module's own, in `if`/`try` blocks too (not `if TYPE_CHECKING`,
    which never runs), never inside a function or class body's methods."""
    found: list[ast.stmt] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, ast.If) and not (
            isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        ):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += (
                node.body
                + node.orelse
                + node.finalbody
                + [s for h in node.handlers for s in h.body]
            )
        elif isinstance(node, ast.ClassDef):
            todo += [
                s for s in node.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
    return found


def test_no_command_module_imports_another() -> None:
    assert len(COMMANDS) > 20
    offending = {
        name: sorted(imports(name, top_level_only=False) & COMMANDS) for name in sorted(COMMANDS)
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_only_the_cli_imports_command_modules() -> None:
    importers = {
        name
        for name in MODULES
        if name not in COMMANDS and imports(name, top_level_only=False) & COMMANDS
    }
    assert importers <= {"cocrec.cli", "cocrec.commands"}


def test_the_module_level_import_graph_has_no_cycle() -> None:
    graph = {name: imports(name, top_level_only=True) for name in MODULES}
    assert _cycle(graph) == []


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of `graph` as a path (first module repeated at the end), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_help_loads_no_model_crypto_yaml_or_schema_library() -> None:
    """`cocrec --help` (and every command's option parsing) stays as cheap as importing click: the
    choices it offers come from cocrec.vocabulary, not from the model."""
    probe = (
        "import sys, contextlib, io\n"
        "sys.argv = ['cocrec', '--help']\n"
        "from cocrec.cli import entry\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    entry()\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert "cocrec.cli" in loaded
    heavy = {"cocrec.model", "cocrec.policy", "pyrage", "yaml", "jsonschema_rs", "git"}
    heavy |= {"multiprocessing", "concurrent.futures"}
    assert loaded & heavy == set()

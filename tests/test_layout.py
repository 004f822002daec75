"""The package's shape cannot drift (issue #12): stages as sub-packages, imports one way, no import circle,
small modules, and the README's "Where things are" map true to the tree.

Every import counts, wherever it stands: at the top of a module, inside a function (a lazy import) or under
``TYPE_CHECKING``, because each is a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tutor"
README = (ROOT / "README.md").read_text(encoding="utf-8")

MAX_TOP_LEVEL_MODULES = 8
MAX_LINES = 400
#: The entry layer among the shared top-level modules: it may call the stages it drives.
ENTRY = "tutor.cli"
#: What each layer may import besides itself. "shared" is every module directly in ``tutor/``.
ALLOWED: dict[str, set[str]] = {
    "shared": set(),
    "entry": {"shared", "library", "users"},
    "library": {"shared"},
    "answers": {"shared", "library"},
    "users": {"shared"},
    "learning": {"shared", "library", "answers", "users"},
    "audit": {"shared", "library", "answers", "users", "learning"},
    "eval": {"shared", "library", "answers", "users", "learning", "audit"},
    "ui": {"shared", "entry", "library", "answers", "users", "learning", "audit", "eval"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path] = MODULES) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of a ``tutor`` module in the file, lazy and type-only ones included.

    ``from tutor.library import versions`` names the module ``tutor.library.versions``; ``from tutor.library.store
    import ChunkStore`` names ``tutor.library.store``.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tutor":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            if base.split(".")[0] != "tutor":
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield node.lineno, full if full in modules else base


def graph(modules: dict[str, Path] = MODULES) -> dict[str, set[str]]:
    return {name: {m for _, m in imports_of(name, path, modules) if m in modules and m != name}
            for name, path in modules.items()}


def layer(module: str) -> str:
    """``shared`` for a module directly in ``tutor/``, ``entry`` for the CLI, else the sub-package's name."""
    if module == ENTRY:
        return "entry"
    parts = module.split(".")
    if len(parts) == 1 or (PACKAGE / f"{parts[1]}.py").exists():
        return "shared"
    return parts[1]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each one import circle or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layout_map() -> str:
    return README.split("<!-- layout-map -->", 1)[1].split("\n## ", 1)[0]


def test_at_most_eight_modules_directly_in_tutor() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, f"{len(top)} modules directly in tutor/: {top}"


def test_no_module_over_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_imports_run_one_way() -> None:
    wrong = []
    for name, path in MODULES.items():
        for line, target in imports_of(name, path):
            here, there = layer(name), layer(target)
            if here != there and there not in ALLOWED[here]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({here}) imports {target} ({there})")
    assert not wrong, "imports against the direction:\n" + "\n".join(wrong)


def test_every_layer_is_known() -> None:
    """A new sub-package needs its place in ALLOWED (and in the README map)."""
    assert {layer(name) for name in MODULES} <= set(ALLOWED)


def test_readme_map_names_every_subpackage_and_top_level_module() -> None:
    named = set(re.findall(r"`(tutor/[\w/.]*)`", layout_map()))
    expected = {f"tutor/{p.name}/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    expected |= {f"tutor/{p.name}" for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert expected - named == set(), "missing from the README's 'Where things are' map"


def test_every_path_in_the_readme_map_exists() -> None:
    named = set(re.findall(r"`(tutor/[\w/.]*)`", layout_map()))
    assert named, "the README has no 'Where things are' map"
    missing = {path for path in named if not (ROOT / path).exists()}
    assert not missing, f"the README's map names paths that do not exist: {sorted(missing)}"


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The cycle and direction checks on a small made-up package: each catches what it is for."""
    (tmp_path / "tutor" / "library").mkdir(parents=True)
    (tmp_path / "tutor" / "answers").mkdir()
    files = {
        "tutor/library/store.py": "from tutor.answers import tutor\n",
        "tutor/answers/tutor.py": "def ask():\n    from tutor.library.store import open_store\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).write_text(text, encoding="utf-8")
    modules = {"tutor.library.store": tmp_path / "tutor/library/store.py",
               "tutor.answers.tutor": tmp_path / "tutor/answers/tutor.py"}
    edges = graph(modules)
    assert edges == {"tutor.library.store": {"tutor.answers.tutor"}, "tutor.answers.tutor": {"tutor.library.store"}}
    assert cycles(edges) == [["tutor.answers.tutor", "tutor.library.store"]]
    assert "answers" not in ALLOWED[layer("tutor.library.store")]

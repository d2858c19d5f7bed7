"""The package's layout stays what the README's "How the code is organised" section says."""

import ast
from pathlib import Path

import seraug

PACKAGE = Path(seraug.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except what lies under ``if TYPE_CHECKING:`` (imports for type hints only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports() -> dict[str, set[str]]:
    """seraug module -> the seraug modules it imports (at the top or inside a function, not for type hints)."""
    names = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            targets |= {c for c in candidates if c in names and c != name}
        graph[name] = {t for t in targets if not name.startswith(t + ".")}  # a package's own __init__
    return graph


def test_the_import_graph_has_no_cycle():
    graph, done, path = _imports(), set(), []

    def visit(module: str) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(module):] + [module]))
        if module in done:
            return
        path.append(module)
        for target in sorted(graph[module]):
            visit(target)
        path.pop()
        done.add(module)

    assert len(graph) > 40  # the walk found the package
    for module in sorted(graph):
        visit(module)


def _raised_or_returned(node: ast.AST) -> str | None:
    """The name called in ``raise Name(...)`` or ``return Name(...)`` (an error built by a helper)."""
    built = node.exc if isinstance(node, ast.Raise) else node.value if isinstance(node, ast.Return) else None
    return getattr(built.func, "id", None) if isinstance(built, ast.Call) else None


def test_every_error_seraug_raises_on_purpose_is_a_seraug_error():
    """`seraug`'s main prints SeraugError as one line: a plain ValueError raised by seraug would escape it."""
    offenders = [f"{path.relative_to(PACKAGE)}:{node.lineno}"
                 for path in PACKAGE.rglob("*.py") for node in ast.walk(ast.parse(path.read_text()))
                 if _raised_or_returned(node) == "ValueError"]
    assert offenders == []


def test_augment_gan_and_classifier_do_not_import_each_other():
    """The paper's three parts stay independent (their command-line modules may use the others);
    seraug.experiment puts them together."""
    parts = ("seraug.augment", "seraug.gan", "seraug.classifier")
    crossings = [f"{module} -> {target}" for module, targets in _imports().items() for target in targets
                 if not module.endswith(".cli")
                 for part in parts if module.startswith(part) for other in parts
                 if other != part and target.startswith(other)]
    assert crossings == []

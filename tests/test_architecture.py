"""The package's layout stays what the README's "How the code is organised" section says."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import seraug

PACKAGE = Path(seraug.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


STAGES = (
    ("seraug.errors", 0), ("seraug.files", 0), ("seraug.runtime", 0), ("seraug.checkpoint", 0), ("seraug.lazy", 0),
    ("seraug.corpora", 1),
    ("seraug.arguments", 2), ("seraug.features", 2),
    ("seraug.augment", 3), ("seraug.gan", 3), ("seraug.classifier", 3),
    ("seraug.experiment", 4),
    ("seraug.cli", 5), ("seraug", 5),
)
"""The pipeline's stages, lowest first, as the README's layout table lists them: a module may import its own
stage and those below it, never one above. The paper's three parts (signal augmentation, the GAN, the
classifier) share a stage and stay apart (:func:`test_the_papers_three_parts_do_not_import_each_other`)."""


def stage(module: str) -> int:
    """The stage of ``module``: that of the longest prefix in :data:`STAGES` (every module has one)."""
    return max(((len(prefix), rank) for prefix, rank in STAGES if module == prefix or module.startswith(prefix + ".")),
               default=(0, None))[1]


def _imports() -> dict[str, set[str]]:
    """seraug module -> the seraug modules it imports: at the top, inside a function or for type hints only,
    from ``__init__`` and command-line modules alike (an import names what a reader must know first)."""
    names = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            targets |= {c for c in candidates if c in names and c != name}
        graph[name] = targets
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path that returns to its start, or None."""
    done, path = set(), []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph.get(module, ())):
            found = visit(target)
            if found:
                return found
        path.pop()
        done.add(module)
        return None

    return next((found for module in sorted(graph) if (found := visit(module))), None)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Every edge of ``graph`` from a module to one of a higher stage."""
    return [f"{module} -> {target}" for module, targets in sorted(graph.items()) for target in sorted(targets)
            if stage(target) > stage(module)]


def test_the_import_graph_has_no_cycle_and_no_edge_up_the_pipeline():
    graph = _imports()
    assert len(graph) > 40  # the walk found the package
    assert [m for m in graph if stage(m) is None] == []
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
    assert _upward(graph) == []


@pytest.mark.parametrize("edges", [
    # the loop inside the experiment: config checked strategy names by importing balancing, which imports data
    {"seraug.experiment.config": "seraug.experiment.balancing", "seraug.experiment.data": "seraug.experiment.config"},
    # the experiment's cli read seraug.experiment.__doc__ while the package's __init__ imported the cli
    {"seraug.experiment.cli": "seraug.experiment", "seraug.experiment": "seraug.experiment.cli"},
    # the GAN's cli took a classifier recipe from the experiment's presets
    {"seraug.gan.cli": "seraug.experiment.config"},
    # downloading decoded audio with the features stage
    {"seraug.corpora.download": "seraug.features.audio"},
])
def test_the_check_sees_each_back_edge_seraug_once_had(edges):
    graph = {module: set(targets) for module, targets in _imports().items()}
    for module, target in edges.items():
        graph[module].add(target)
    assert _cycle(graph) is not None or _upward(graph) != []


def test_checking_a_strategy_name_does_not_import_torch():
    code = ("import sys; from seraug.experiment.strategies import STRATEGIES; 'gan_texture' in STRATEGIES; "
            "print('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_the_readme_layout_table_lists_every_stage_folder_and_module():
    """README.md's "How the code is organised" table names each entry of ``ls src/seraug`` once, in stage order."""
    readme = (PACKAGE.parents[1] / "README.md").read_text()
    table = readme[readme.index("## How the code is organised"):].split("\n## ")[0]
    named = re.findall(r"^\| `([a-z_]+(?:/|\.py))`", table, flags=re.MULTILINE)
    present = sorted(p.name + ("/" if p.is_dir() else "") for p in PACKAGE.iterdir()
                     if p.name != "__pycache__" and (p.is_dir() or p.suffix == ".py") and p.name != "__init__.py")
    assert sorted(named) == present
    ranks = [stage("seraug." + name.removesuffix("/").removesuffix(".py")) for name in named]
    assert ranks == sorted(ranks)


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


def test_the_papers_three_parts_do_not_import_each_other():
    """Signal augmentation, the GAN and the classifier stay independent; seraug.experiment puts them together.
    Only the GAN's command line uses the classifier (``seraug gan report`` embeds segments with a VGG19)."""
    parts = ("seraug.augment", "seraug.gan", "seraug.classifier")
    crossings = [f"{module} -> {target}" for module, targets in _imports().items() for target in targets
                 if module != "seraug.gan.cli" or not target.startswith("seraug.classifier")
                 for part in parts if module.startswith(part) for other in parts
                 if other != part and target.startswith(other)]
    assert crossings == []

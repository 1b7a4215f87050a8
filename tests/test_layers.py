"""The arrows between modules point one way (docs/DEVELOPING.md, "Layers").

Every import counts, including those inside functions and under `TYPE_CHECKING`: an import hidden
in a function is still an arrow, and a circle it closes is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Lowest first. A module may import modules of its own layer or below, never above. Longest
#: prefix wins: `bot.jobs.model` is a foundation, the rest of `bot.jobs` the job core.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "bot",
            "bot.errors",
            "bot.i18n",
            "bot.credits",
            "bot.periods",
            "bot.settings",
            "bot.encoding",
            "bot.images",
            "bot.flags",
            "bot.logs",
            "bot.event_loop",
            "bot.healthcheck",
            "bot.heap",
            "bot.prompt_rules",
            "bot.jobs.model",
            "bot.jobs.metrics",
        ),
    ),
    ("providers and store", ("bot.providers", "bot.store")),
    ("quota", ("bot.quota", "bot.charts")),
    ("job core", ("bot.jobs",)),
    (
        "composition root and web",
        (
            "bot.app",
            "bot.roles",
            "bot.web",
            "bot.doctor",
            "bot.dashboard",
            "bot.balance",
            "bot.admin_actions",
        ),
    ),
    ("discord", ("bot.discord", "bot.guild_policy")),
    ("cogs", ("cogs",)),
    ("entry points", ("bot.__main__", "bot.cli")),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    files = [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]
    return {module_name(p): p for p in files}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that `path` imports, anywhere in it."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upward
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
            # `from bot.jobs import model` imports the module `bot.jobs.model`.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    found.discard(module_name(path))
    return found


def layer_of(module: str) -> int:
    best = (-1, -1)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[1]:
                best = (index, len(prefix))
    assert best[0] >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return best[0]


def graph() -> dict[str, set[str]]:
    modules = our_modules()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    for module in our_modules():
        layer_of(module)


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(graph().items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert [" → ".join(c) for c in cycles] == []


def test_cogs_never_import_each_other() -> None:
    crossing = [
        f"{module} imports {target}"
        for module, targets in sorted(graph().items())
        if module.startswith("cogs.")
        for target in sorted(targets)
        if target.startswith("cogs.") and target != "cogs"
    ]
    assert crossing == []


def test_no_test_module_imports_another() -> None:
    """Shared builders live in tests/helpers.py, fakes in tests/fakes/, fixtures in conftest.py."""
    tests = ROOT / "tests"
    crossing = []
    for path in sorted(tests.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.") and module.rpartition(".")[2].startswith("test_"):
                crossing.append(f"{path.relative_to(ROOT)} imports {module}")
    assert crossing == []

"""The shape of the code stays as STYLE.md describes: one home per library, data flowing one way."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sokasi_post"

# Each third-party library is imported by one module only, so replacing it touches one file.
HOMES = {
    "click": "cli",
    "yaml": "yamlfile",
    "PIL": "media",
    "facebook": "publishers.graphapi",
    "instagrapi": "publishers.instagram",
    "sqlite3": "ledger",
    "subprocess": "sitepush",
}

# Lower layers never import higher ones: config/catalog -> captions/media -> publishers -> ledger -> flow -> cli.
LAYERS = [
    {"errors", "i18n", "models", "redaction", "platforms", "states"},
    {"yamlfile", "checks", "ownedfolder"},
    {"config"},
    {"catalog", "captions", "media", "whatsapp", "places", "feed", "questions"},
    {"publishers", "sitepush"},
    {"ledger", "runlock"},
    {"publishing", "starter", "preview", "importer", "report", "site", "salesloop", "weekly"},
    {"run"},
    {"cli", "__main__", "__init__"},
]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "sokasi_post":  # from sokasi_post import errors
            found.update(f"sokasi_post.{alias.name}" if is_module(alias.name) else "sokasi_post.__init__"
                         for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()


def layer_of(module: str) -> int | None:
    """The index of the module's layer in LAYERS, or None when no layer names it."""
    top = module.split(".")[0]
    return next((i for i, layer in enumerate(LAYERS) if top in layer or module in layer), None)


MODULES = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def test_each_library_is_imported_by_its_home_module_only():
    for module, imported in MODULES.items():
        for name in imported:
            library = name.split(".")[0]
            if library in HOMES:
                assert module == HOMES[library], f"{module} imports {library}; only {HOMES[library]} may"


def test_nothing_imports_upward():
    for module, imported in MODULES.items():
        for name in imported:
            if name.startswith("sokasi_post."):
                target = name.removeprefix("sokasi_post.")
                assert None not in (layer_of(target), layer_of(module)), f"{module} or {target} has no layer"
                assert layer_of(target) <= layer_of(module), f"{module} imports {target}, a higher layer"


def test_every_module_has_a_layer():
    unplaced = sorted(module for module in MODULES if layer_of(module) is None)
    assert unplaced == [], f"add these modules to a layer in LAYERS: {unplaced}"

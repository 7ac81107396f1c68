"""The user-facing messages in the source: what is marked for translation, and what slipped through unmarked.

Used by tests/test_translations.py and scripts/update_po.py.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sokasi_post"
MARKERS = {"_", "N_"}
HELP_DECORATORS = {"_command", "_group"}
# Calls whose first argument is shown to the user, so it must be marked for translation.
SHOWN = {"echo", "say", "warn", "fail", "Problem", "SokasiError", "UsageError", "ConfigError", "PublishError", "TransientError",
         "ThrottledError", "AuthError", "RejectedError", "UnknownOutcomeError", "PhotoError", "ChatFormatError", "YamlFileError"}
_WORDS = re.compile(r"[A-Za-z]{3,}")


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def marked_messages(package: Path = PACKAGE) -> dict[str, str]:
    """msgid -> 'file:line' for every _("…") / N_("…") literal and every translated command docstring."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS and node.args:
                text = _literal(node.args[0])
                if text:
                    found.setdefault(text, f"{path.name}:{node.lineno}")
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id in HELP_DECORATORS
                    for d in node.decorator_list):
                found.setdefault(inspect.cleandoc(ast.get_docstring(node, clean=False)), f"{path.name}:{node.lineno}")
    return found


def unmarked_messages(package: Path = PACKAGE) -> list[str]:
    """'file:line: text' for each string with words shown to the user without _()."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in SHOWN:
                continue
            first = node.args[1] if name == "Problem" and len(node.args) > 1 else node.args[0]
            parts = [_literal(first)] if _literal(first) else [
                _literal(value) for value in getattr(first, "values", []) if _literal(value)]
            words = [part for part in parts if part and _WORDS.search(part)]
            if words:
                problems.append(f"{path.name}:{node.lineno}: {words[0]!r}")
    return problems

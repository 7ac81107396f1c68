"""The shape of the code: no function in sokasi_post/ longer than can be read at once.

Ruff holds the complexity (C901, PLR0912, PLR0915 in pyproject.toml); it has no rule for a function's length in lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sokasi_post"
MAX_LINES = 50


def long_functions(package: Path = PACKAGE, limit: int = MAX_LINES) -> list[str]:
    """'folder/file.py:line name (N lines)' for each function or method over `limit` lines, from `def` to its end
    (decorators not counted, docstring and comments counted)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append(f"{path.relative_to(package.parent).as_posix()}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_longer_than_fifty_lines():
    offenders = long_functions()
    assert not offenders, (f"functions over {MAX_LINES} lines; split them along the lines they already have:\n  "
                           + "\n  ".join(offenders))


def test_the_length_check_names_a_long_function_and_passes_a_short_one(tmp_path):
    body = "".join(f"    x{number} = {number}\n" for number in range(49))
    (tmp_path / "module.py").write_text(f"def fits():\n{body}\n\n@decorated\ndef too_long():\n{body}    return x0\n\n\n"
                                        "class Kind:\n    def method(self):\n" + "        pass\n" * 50)

    assert long_functions(tmp_path) == [f"{tmp_path.name}/module.py:54 too_long (51 lines)",
                                        f"{tmp_path.name}/module.py:108 method (51 lines)"]

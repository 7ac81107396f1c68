"""The docs say what the code does: README's commands are what CI runs; every config key is documented."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sokasi_post.config import SCHEMA

ROOT = Path(__file__).resolve().parent.parent


def keys(schema: dict, prefix: str = ""):
    for name, spec in schema.items():
        if isinstance(spec, dict):
            yield from keys(spec, prefix + name + ".")
        else:
            yield prefix + name


def test_every_config_key_is_documented():
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    missing = [key for key in keys(SCHEMA) if f"| `{key}` |" not in text]
    assert missing == []


def test_ci_runs_the_readme_commands():
    script = ROOT / ".ci" / "run"
    source = script.read_text(encoding="utf-8")
    function = source.split("readme_command() {", 1)[1].split("\n}\n", 1)[0]
    for marker, expected in (
        ("run-command", "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/sokasi-post publish --dry-run"),
        ("test-command", "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest -n auto"),
    ):
        found = subprocess.run(["bash", "-c", f"readme_command() {{{function}\n}}; readme_command {marker}"],
                               capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
        assert found == expected


def test_the_cli_reference_is_current():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_cli_docs import TARGET, render

    assert TARGET.read_text(encoding="utf-8") == render(), "docs/cli.md is stale: run python scripts/make_cli_docs.py"

"""Write docs/cli.md from the commands' own --help, so the reference never drifts from the code.

Run from the repository root after changing a command or its help:  python scripts/make_cli_docs.py
tests/test_docs.py fails when docs/cli.md is not what this script would write.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from sokasi_post.cli import cli  # noqa: E402
from sokasi_post.i18n import set_language  # noqa: E402

TARGET = ROOT / "docs" / "cli.md"


def render() -> str:
    """The whole reference: the global --help, then each command's, in English."""
    set_language("en")
    runner = CliRunner()
    parts = ["# Command reference", "",
             "Generated from `sokasi-post --help` by `scripts/make_cli_docs.py`; do not edit by hand. "
             "Every command also speaks Indonesian (`--lang id`, or `language: id` in config.yaml).", ""]
    for name in [None, *sorted(cli.commands)]:
        args = ["--help"] if name is None else [name, "--help"]
        text = runner.invoke(cli, args, prog_name="sokasi-post", terminal_width=100).output
        parts += [f"## sokasi-post {name}" if name else "## sokasi-post", "", "```", text.rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")

"""sokasi-post: put the bamboo crafts of Tigawasa on a Facebook Page and Instagram."""

import sys


def main() -> None:
    """Entry point of the `sokasi-post` command: choose the language first, so that --help speaks it too."""
    from sokasi_post.config import early_language
    from sokasi_post.i18n import set_language

    set_language(early_language(sys.argv[1:]))
    for stream in (sys.stdout, sys.stderr):  # a console that cannot show emoji or Balinese script gets "?"
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    from sokasi_post.cli import main as run

    run()

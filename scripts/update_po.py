"""Bring sokasi_post/locale/id.po up to date with the messages in the source.

New messages are added with an empty translation (the translation test then fails until someone
fills them in); translations of messages no longer in the source are written at the end as #~
comments, to copy from when a message was only reworded (the next update drops them). Click's own
words (Usage:, Options:...) are kept.

Run from the repository root:  python scripts/update_po.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sokasi_post.i18n import read_po  # noqa: E402
from tests.messages import marked_messages  # noqa: E402

PO = ROOT / "sokasi_post" / "locale" / "id.po"
# Click's own words that reach the user (its --help layout and its usage errors); cli.py hands them to our catalogue.
CLICK_MESSAGES = [
    "Usage:", "Options", "Commands", "Show this message and exit.", "Show the version and exit.", "Aborted!",
    "Missing command.", "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})",
    "default: {default}", "Did you mean {possibility}?", "Missing argument", "Missing option", "Missing parameter",
    "Invalid value for {param_hint}: {message}", "Invalid value: {message}", "Error: {message}",
    "Try '{command} {option}' for help.", "No such option {name!r}.", "No such command {name!r}.",
    "Option {name!r} does not take a value.", "Option {name!r} requires an argument.", "Choose from:\n\t{choices}",
    "{value!r} is not {choice}.", "{value!r} is not one of {choices}.", "{value!r} is not a valid {number_type}.",
    "{name} {filename!r} does not exist.", "{name} {filename!r} is a file.", "{name} {filename!r} is a directory.",
    "file", "directory", "path", "Repeat for confirmation", "Error: invalid input",
    "Error: The two entered values do not match.", "Missing {param_type}",
]
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: id\\n"\n'


def quote(text: str) -> str:
    """A .po string literal; multi-line texts split after each newline, as gettext tools write them."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    if len(lines) == 1:
        return f'"{escaped}"'
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{part}"' for part in parts)


def main() -> None:
    existing = read_po(PO.read_text(encoding="utf-8")) if PO.exists() else {}
    source = marked_messages()
    source.update({msgid: "click" for msgid in CLICK_MESSAGES if msgid not in source})
    out = ["# Bahasa Indonesia for sokasi-post. Update with: python scripts/update_po.py", HEADER]
    for msgid, where in source.items():
        out.append(f"#: {where}\nmsgid {quote(msgid)}\nmsgstr {quote(existing.get(msgid, ''))}\n")
    gone = [msgid for msgid in existing if msgid not in source]
    for msgid in gone:
        out.append(f"#~ msgid {quote(msgid)}\n#~ msgstr {quote(existing[msgid])}\n".replace("\n\"", "\n#~ \""))
    PO.write_text("\n".join(out), encoding="utf-8")
    missing = sum(1 for msgid in source if not existing.get(msgid))
    print(f"{PO.relative_to(ROOT)}: {len(source)} messages, {missing} without a translation, {len(gone)} obsolete")


if __name__ == "__main__":
    main()

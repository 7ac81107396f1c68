"""Checks shared by config.yaml and post.yaml: lists of text, hashtag lists, "did you mean" hints, values named in words.

Both files are YAML written by hand, so both make the same mistakes; each mistake is described here once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from sokasi_post.i18n import _
from sokasi_post.yamlfile import YamlDocument

# Where a hashtag list may apply: `all` platforms, or one (Instagram allows far fewer than Facebook: docs/platforms.md I1).
HASHTAG_GROUPS = ("all", "facebook", "instagram")


def describe_type(value: Any) -> str:
    """Name a YAML value's type the way a user would: text, a number, a list..."""
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (int, float)):
        return _("a number ({value})").format(value=value)
    if isinstance(value, str):
        return _("text ({value!r})").format(value=value[:40])
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a section of keys")
    return _("a {kind}").format(kind=type(value).__name__)


def did_you_mean(word: Any, choices: Iterable[str], prefix: str = "") -> str:
    """' (did you mean price?)' when one of `choices` is close to `word` (shown after `prefix`), else ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return _(" (did you mean {key}?)").format(key=prefix + close[0]) if close else ""


def check_text_list(items: list[Any], where: str, problems: list[str]) -> tuple[str, ...]:
    """The items of a YAML list as text (numbers too); an empty item or a non-text one is a problem, by its number."""
    checked = []
    for number, item in enumerate(items, start=1):
        if item is None:
            problems.append(_(
                "{key}: item {n} is empty; in YAML a # starts a comment, so write sokasi or \"#sokasi\" in quotes"
            ).format(key=where, n=number))
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            checked.append(str(item))
        else:
            problems.append(_("{key}: item {n} should be text, got {got}").format(
                key=where, n=number, got=describe_type(item)))
    return tuple(checked)


def hash_comment_problems(document: YamlDocument, key: str) -> list[str]:
    """`hashtags: #sokasi` reads as an empty list (YAML takes # and what follows as a comment): say so, with the line.

    Looks at the hashtag list `key` and at its lists per platform (`key`.all, .facebook, .instagram).
    """
    keys = (key, *(f"{key}.{group}" for group in HASHTAG_GROUPS))
    return [problem for each in keys if (problem := _hash_comment_problem(document, each))]


def _hash_comment_problem(document: YamlDocument, key: str) -> str | None:
    """The problem when `key: #tag` left `key` empty, the tag taken for a comment; None otherwise."""
    if document.written.get(key) != "" or not re.search(r":\s+#[^\s#]", document.line_text(key)):
        return None
    return _("line {line}: {key}: # starts a comment in YAML: write the tags without # ({name}: [a, b]) or in quotes"
             ).format(line=document.lines[key], key=key, name=key.rsplit(".", 1)[-1])


def hashtag_lists(value: Any, where: str, problems: list[str]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """`hashtags:` as a list (every platform) or as lists under all/facebook/instagram -> (every platform, per platform)."""
    if value is None:
        return (), {}
    if isinstance(value, (list, tuple)):
        return check_text_list(list(value), where, problems), {}
    if not isinstance(value, dict):
        problems.append(_("{key}: expected a list, e.g. {key}: [sokasi, bambu], or lists under all, facebook and "
                          "instagram, got {got}").format(key=where, got=describe_type(value)))
        return (), {}
    per_platform: dict[str, tuple[str, ...]] = {}
    for group, items in value.items():
        if group not in HASHTAG_GROUPS:
            problems.append(_("{key}: unknown key {group!r}{hint}; the keys here are: {known}").format(
                key=where, group=group, hint=did_you_mean(group, HASHTAG_GROUPS), known=", ".join(HASHTAG_GROUPS)))
            continue
        listed = [] if items is None else items
        if not isinstance(listed, list):
            problems.append(_("{key}: expected a list, e.g. {key}: [sokasi, bambu], got {got}").format(
                key=f"{where}.{group}", got=describe_type(listed)))
            continue
        per_platform[group] = check_text_list(listed, f"{where}.{group}", problems)
    return per_platform.pop("all", ()), per_platform

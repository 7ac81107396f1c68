"""Marks user-facing messages for translation; the one place that chooses the language."""

import gettext

_translation: gettext.NullTranslations = gettext.NullTranslations()


def _(message: str) -> str:
    """Return the message in the user's language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Return the singular or plural form of a message for the count `n`."""
    return _translation.ngettext(singular, plural, n)

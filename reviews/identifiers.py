"""Identifiers people type (shot codes, project names), made comparable before they are stored.

Two codes that look the same in every list must be the same code: the text is
put in Unicode NFKC form (full-width letters are plain ones), runs of
whitespace become one space, and characters that show nothing (zero-width
spaces and joiners, direction marks, soft hyphens, variation selectors, Hangul
fillers…) or control the terminal are refused rather than silently dropped, so
the person sees what was wrong with the text they pasted.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt) and the
# blank Braille pattern: each renders as nothing in a browser. Format (Cf) and
# control (Cc) characters are refused by category below; these ranges add the
# invisible ones of other categories.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Controls, format characters, private use, surrogates, unassigned; line and
# paragraph separators are whitespace, so they fold into a space instead.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


# Invisible characters that spell words in a name: the zero-width non-joiner and joiner
# (Persian, Indic scripts, emoji sequences) and the variation selectors (the emoji form
# of ❤). A name keeps them right after a visible character; a code never does.
_SPELLING = re.compile("[\u200c\u200d\ufe00-\ufe0f]")


class IdentifierError(ValueError):
    pass


def case_ambiguous_character(text: str) -> str | None:
    """The first character whose case folding is not its lower case (sharp s folds to "ss", final sigma to sigma), or None.

    Uniqueness "without regard to case" is kept by the databases' ``lower()``; for these
    characters lower() and Unicode case folding disagree ("straße" and "STRASSE" fold to one
    name but lower to two), so identifiers refuse them and ``lower()`` stays exact.
    """
    return next((char for char in text if char.lower() != char.casefold()), None)


def case_ambiguity_message(char: str) -> str:
    return (
        f"Write {char.casefold()!r} instead of {char!r} (U+{ord(char):04X}): it has no single"
        " upper or lower case, so two spellings of one name could not be told apart."
    )


def normalise_identifier(value: str, *, name: bool = False) -> str:
    """``value`` as it is stored and compared, or IdentifierError saying which character is refused.

    ``name=True`` is for names people read (a project's): joiners and variation selectors
    that are part of a word's spelling stay. Codes (a shot's) refuse every invisible character.
    """
    text = unicodedata.normalize("NFKC", value)
    for index, char in enumerate(text):
        if char in "\t\n\r" or unicodedata.category(char) in ("Zl", "Zp"):
            raise IdentifierError("Use a single line: tabs and line breaks are not allowed.")
        if name and _SPELLING.match(char) and index and shows_ink(text[index - 1]):
            continue
        if _INVISIBLE.match(char) or unicodedata.category(char) in _REFUSED_CATEGORIES:
            name = unicodedata.name(char, "an unnamed character")
            raise IdentifierError(f"Remove the invisible character U+{ord(char):04X} ({name}).")
        if not name and char.lower() != char.casefold():
            raise IdentifierError(case_ambiguity_message(char))
    text = " ".join(text.split())
    if not text:
        raise IdentifierError("This field may not be blank.")
    return text


def shows_ink(char: str) -> bool:
    """Whether ``char`` is visible ink: not a space, a control or format character, nor one of the
    invisible letters (zero-width, Braille blank, Hangul filler). A joiner after it joins something."""
    return not char.isspace() and not _INVISIBLE.match(char) and unicodedata.category(char)[0] != "C"

"""The one rule of a name people read: a function's, a source's, a sample's, a saved
test's. Names are shown in menus, lists and headers of the pages, and printed by
functions-cli (`PASS name`, a CI's log), so a name is one line of text that reads as it
is stored:

- no control characters, line or paragraph separators: a line break forges a line of
  the output, an escape sequence drives the terminal that prints it;
- no characters that reorder text (the bidirectional controls): after U+202E the
  text shows right to left, so a name reads as another than the one kept;
- something to read: a letter, digit, punctuation mark or symbol, not only spaces or
  invisible characters (U+200B).

Joiners (U+200C, U+200D) stay allowed: scripts and emoji sequences need them.
"""

import unicodedata

# Control characters, line and paragraph separators.
_NOT_IN_A_LINE = frozenset({"Cc", "Zl", "Zp"})
# The bidirectional marks, embeddings, overrides and isolates.
_REORDERING = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_readable(text: str) -> bool:
    """One letter, digit, punctuation mark or symbol at least."""
    return any(unicodedata.category(char)[0] in "LNPS" for char in text)


def name_problem(name: str) -> str | None:
    """What makes this name unfit to show, in words, or None when it fits."""
    for place, char in enumerate(name, start=1):
        if char in _REORDERING or unicodedata.category(char) in _NOT_IN_A_LINE:
            return (
                f"A name is one line of text as it reads: character {place} is "
                f"{_character(char)} (no line breaks, control characters or characters "
                "that reorder text)."
            )
    if not is_readable(name):
        return "A name needs a letter, digit or symbol one can read, not only invisible characters."
    return None


def _character(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"the control character U+{ord(char):04X}"

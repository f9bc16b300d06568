"""Text the CLI prints: counts in words, and what others wrote (a sender's body in a
function's console output or error message, a case's name, a destination's answer)."""

import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """text on one line, its control characters written as escapes: what someone else
    wrote cannot add lines of its own to the output (a CI reads it, a person takes a line
    for the CLI's own) nor send the terminal escape sequences (a title, a link, the
    clipboard: ESC ] 52)."""
    return "".join(
        _ESCAPES.get(char)
        or (f"\\u{ord(char):04x}" if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char)
        for char in str(text)
    )


def counted(count: int, noun: str) -> str:
    """ "1 dead letter", "2 dead letters": the count with its noun, never "(s)"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

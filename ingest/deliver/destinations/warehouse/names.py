"""How an event, property, collection or source name becomes a warehouse identifier.

The rules (docs/destinations.md, "Naming rules"):

1. snake_case the way Segment's warehouses do (their go-snakecase): a name already in
   snake_case (lowercase ASCII letters, digits, single inner underscores) is kept;
   otherwise every character that is not an ASCII letter or digit separates words
   (spaces, punctuation, accents, emoji: all dropped), a word is a run of capitals and
   digits followed by a run of lowercase letters and digits ("sampleText" -> sample_text,
   "SAMPLE 2 TEXT" -> sample_2_text, "CStringRef" -> cstring_ref), words are lowercased
   and joined with one underscore.
2. A name left empty by rule 1 (only symbols or non-Latin letters) becomes `_` and 8 hex
   digits of its SHA-256, so that two such names stay apart.
3. A name that starts with a digit gets a leading underscore (`2fa` -> `_2fa`).
4. A name over PostgreSQL's identifier limit (63 bytes) keeps its first 54 characters
   and ends with `_` and 8 hex digits of the SHA-256 of the whole name, so two long
   names that share a beginning stay distinct. DuckDB has no such limit; the same rule
   applies there so that both warehouses have the same names.
5. A track event or collection whose table name is one of the standard tables
   (`tracks`, `users`, …), and a source whose schema name PostgreSQL or DuckDB keeps for
   itself (`pg_…`, `information_schema`, `temp`, `system`), gets a leading underscore:
   event "Pages" loads into `_pages`.

Every identifier made here matches IDENTIFIER: the loaders refuse to quote anything
else, so no name from a message reaches SQL other than through these rules."""

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache, wraps

MAX_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
HASH_CHARS = 8
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")

STANDARD_TABLES = frozenset(
    {"identifies", "users", "tracks", "pages", "screens", "groups", "aliases"}
)
RESERVED_SCHEMAS = frozenset({"information_schema", "temp", "system"})

_WORD = re.compile(r"[A-Z0-9]*[a-z0-9]*")
# Names are cached up to this length: the same few short names come back in every
# message, while a name may be as long as a message (32 KB), and 65,536 such names
# kept by each cache held gigabytes of a worker's memory.
CACHED_CHARS = 128


def _cached_when_short(function: Callable[[str], str]) -> Callable[[str], str]:
    cached = lru_cache(maxsize=65_536)(function)

    @wraps(function)
    def named(name: str) -> str:
        return cached(name) if len(name) <= CACHED_CHARS else function(name)

    return named


def snake_case(name: str) -> str:
    """Rule 1, as Segment's go-snakecase has it."""
    kept, joins_next_word = _snake_prefix(name)
    if kept == len(name):
        return name
    words = [word for word in _WORD.findall(name, kept) if word]
    out = name[:kept]
    if joins_next_word and words:
        # "CString", "foo_1Bar": capitals right after a prefix with no lowercase letter
        # (since its last underscore) continue that prefix's word.
        out += words.pop(0).lower()
    for word in words:
        out += ("_" if out else "") + word.lower()
    return out


def _snake_prefix(name: str) -> tuple[int, bool]:
    """How many leading characters are already snake_case, and whether a capital right
    after them continues the same word."""
    has_lower = has_underscore = lower_since_underscore = False
    for index, char in enumerate(name):
        if "a" <= char <= "z":
            has_lower = True
            lower_since_underscore = lower_since_underscore or has_underscore
        elif "0" <= char <= "9":
            pass
        elif char == "_" and 0 < index < len(name) - 1 and _lower_or_digit(name[index + 1]):
            has_underscore, lower_since_underscore = True, False
        else:
            joins = "A" <= char <= "Z" and (
                not has_lower or (has_underscore and not lower_since_underscore)
            )
            return index, joins
    return len(name), False


def _lower_or_digit(char: str) -> bool:
    return "a" <= char <= "z" or "0" <= char <= "9"


@_cached_when_short
def normalise(name: str) -> str:
    """Rules 1 to 3: the full identifier a name stands for, before the length limit."""
    snake = snake_case(name)
    if not snake:
        return "_" + _digest(name)
    if snake[0].isdigit():
        return "_" + snake
    return snake


@_cached_when_short
def fit(normalised: str) -> str:
    """Rule 4: the identifier within the length limit (normalised names are ASCII, so
    characters are bytes)."""
    if len(normalised) <= MAX_BYTES:
        return normalised
    keep = MAX_BYTES - HASH_CHARS - 1
    return f"{normalised[:keep]}_{_digest(normalised)}"


def identifier(name: str) -> str:
    """A name from a message as an identifier: all four rules."""
    return fit(normalise(name))


def table_name(name: str) -> str:
    """The table of a track event or of a collection (rules 1 to 5)."""
    normalised = normalise(name)
    if normalised in STANDARD_TABLES:
        normalised = "_" + normalised
    return fit(normalised)


def schema_name(source: str) -> str:
    """The schema a source loads into (rules 1 to 5)."""
    normalised = normalise(source)
    if normalised.startswith("pg_") or normalised in RESERVED_SCHEMAS:
        normalised = "_" + normalised
    return fit(normalised)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]

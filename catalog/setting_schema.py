"""Setting definitions of a function and the values a source (or a test run) gives them.

Errors are Django ValidationErrors keyed by the field a user would fix:
`settings[2].name` for a definition, `settings.apiKey` for a value.
"""

import keyword
import re

from django.core.exceptions import ValidationError

TYPES = ("string", "boolean", "array", "text_map")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
# Words that cannot follow `settings.` comfortably in JavaScript.
_JS_RESERVED = frozenset(
    "break case catch class const continue debugger default delete do else export extends "
    "false finally for function if import in instanceof new null return super switch this "
    "throw true try typeof var void while with yield let static enum await implements "
    "package protected interface private public constructor __proto__ prototype".split()
)
_KEYS = {"name", "label", "description", "type", "required", "encrypted"}


def clean_definitions(definitions) -> list[dict]:
    """Validate setting definitions and return them normalised (all six keys set)."""
    if not isinstance(definitions, list):
        raise ValidationError({"settings": "Setting definitions must be a list."})
    errors: dict[str, list[str]] = {}
    cleaned, seen = [], set()
    for index, item in enumerate(definitions):
        where = f"settings[{index}]"
        if not isinstance(item, dict):
            errors[where] = ["A setting definition must be an object."]
            continue
        definition, item_errors = _clean_definition(item)
        for key, message in item_errors.items():
            errors[f"{where}.{key}"] = [message]
        if definition["name"] in seen:
            errors[f"{where}.name"] = [f"Another setting is already named {definition['name']!r}."]
        seen.add(definition["name"])
        cleaned.append(definition)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_definition(item: dict) -> tuple[dict, dict[str, str]]:
    errors = {}
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        errors[unknown[0]] = f"Unknown key; a definition has only {', '.join(sorted(_KEYS))}."
    name = item.get("name")
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        errors["name"] = (
            "Must be a JavaScript identifier (letters, digits, _ or $, not starting with "
            "a digit), so the function can read it as settings.<name>."
        )
    elif name in _JS_RESERVED or keyword.iskeyword(name):
        errors["name"] = f"{name!r} is a reserved word; choose another name."
    kind = item.get("type", "string")
    if kind not in TYPES:
        errors["type"] = f"Must be one of {', '.join(TYPES)}."
    for flag in ("required", "encrypted"):
        if not isinstance(item.get(flag, False), bool):
            errors[flag] = "Must be true or false."
    for text in ("label", "description"):
        if not isinstance(item.get(text, ""), str):
            errors[text] = "Must be a string."
    definition = {
        "name": name if isinstance(name, str) else "",
        "label": item.get("label") or (name if isinstance(name, str) else ""),
        "description": item.get("description") or "",
        "type": kind,
        "required": item.get("required", False),
        "encrypted": item.get("encrypted", False),
    }
    return definition, errors


def check_value(definition: dict, value) -> str | None:
    """The problem with a value for a definition, or None when it fits."""
    kind = definition["type"]
    if kind == "string" and not isinstance(value, str):
        return "Must be a string."
    if kind == "boolean" and not isinstance(value, bool):
        return "Must be true or false."
    if kind == "array" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return "Must be a list of strings."
    if kind == "text_map" and not (
        isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    ):
        return "Must be an object mapping names to strings."
    return None


def is_blank(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def known_values(definitions: list[dict], values: dict) -> dict:
    """The values of settings the definitions have (others are dropped on a move)."""
    names = {d["name"] for d in definitions}
    return {k: v for k, v in values.items() if k in names}


def revealed_secrets(definitions: list[dict], secret: dict, changes: dict) -> list[str]:
    """Names of values stored encrypted that these definitions declare plain and that
    `changes` neither replace nor clear: keeping them would store them in clear and
    show them to every member. A value once encrypted never becomes plain."""
    plain = {d["name"] for d in definitions if not d["encrypted"]}
    kept = {"set": True}  # what leaving a secret out, or sending back how it shows, means
    return sorted(name for name in secret if name in plain and changes.get(name, kept) == kept)


def secret_values_only(definitions: list[dict], secret: dict) -> dict:
    """The stored secrets the definitions still declare encrypted (the others drop)."""
    encrypted = {d["name"] for d in definitions if d["encrypted"]}
    return {name: value for name, value in secret.items() if name in encrypted}


def merge_values(current: dict, changes: dict) -> dict:
    """Apply changes to values: a key set to null is removed, absent keys are kept.

    `{"set": true}` (how a secret is shown) also keeps the value, so a client may send
    back what it read.
    """
    merged = dict(current)
    for name, value in changes.items():
        if value == {"set": True}:
            continue
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def merge_test_values(
    definitions: list[dict], plain: dict, secret: dict, changes: dict
) -> tuple[dict, dict]:
    """Stored test values (a function's or a sample's) with `changes` applied, as
    (plain, secret): null or "" clears one, an absent name or {"set": true} keeps it.
    A secret whose setting the definitions now declare plain is dropped, never moved
    into the plain values every member reads."""
    if not isinstance(changes, dict):
        raise ValidationError({"settings": "Setting values must be an object."})
    current = known_values(definitions, {**plain, **secret_values_only(definitions, secret)})
    merged = merge_values(current, changes)
    return clean_values(definitions, merged, require=False, label="function")


def clean_values(
    definitions: list[dict], values: dict, *, require: bool = True, label: str = "version"
) -> tuple[dict, dict]:
    """Validate values against definitions and split them into (plain, secret).

    `require` checks that every required setting has a value (sources); test runs may
    leave some out.
    """
    if not isinstance(values, dict):
        raise ValidationError({"settings": "Setting values must be an object."})
    by_name = {d["name"]: d for d in definitions}
    errors: dict[str, list[str]] = {}
    for name in values:
        if name not in by_name:
            errors[f"settings.{name}"] = [f"Not a setting of this {label}."]
    plain, secret = {}, {}
    for name, definition in by_name.items():
        value = values.get(name)
        if is_blank(value):
            if require and definition["required"]:
                errors[f"settings.{name}"] = [
                    f"{definition['label'] or name} is required by this {label}; set a value."
                ]
            continue
        problem = check_value(definition, value)
        if problem:
            errors[f"settings.{name}"] = [problem]
            continue
        (secret if definition["encrypted"] else plain)[name] = value
    if errors:
        raise ValidationError(errors)
    return plain, secret


def masked_values(definitions: list[dict], plain: dict, secret: dict) -> dict:
    """Values as the API and pages show them: secrets only as {"set": true/false}."""
    shown = {}
    for definition in definitions:
        name = definition["name"]
        if definition["encrypted"]:
            shown[name] = {"set": name in secret}
        elif name in plain:
            shown[name] = plain[name]
    return shown

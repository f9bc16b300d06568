"""The function templates library: starting points for new Source Functions.

Each template is a folder next to this file holding `function.js` (the code) and
`template.json` (name, description, setting definitions, the methods its sources accept
and whether it answers the sender (`methods`, `responds`: optional, POST only and no
by default), and sample requests with the events, and the response for the sender,
they must produce). The folder name is the template's slug. Pure Python, so the
catalog services, the API and the tests read templates the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES_DIR = Path(__file__).parent
DEFAULT_SLUG = "default"


@dataclass(frozen=True)
class Template:
    slug: str
    name: str
    description: str
    code: str
    # Setting definitions: {"name", "label", "description", "type", "required", "encrypted"}.
    settings: tuple[dict[str, Any], ...]
    # Samples: {"name", "request", "settings", "expect": {"events", "objects", "error"}},
    # and "response" in "expect" for what the sender gets ({"status", "headers", "body"},
    # fields given must match; null: the usual answer).
    samples: tuple[dict[str, Any], ...]
    # The methods its sources accept (POST always) and whether the sender gets what the
    # function returns (catalog.models.Function.methods, .responds).
    methods: tuple[str, ...] = ("POST",)
    responds: bool = False


def all_templates() -> list[Template]:
    """Every template, Default first, then by name."""
    return list(_templates().values())


def get_template(slug: str) -> Template:
    try:
        return _templates()[slug]
    except KeyError:
        known = ", ".join(_templates())
        raise KeyError(f"No function template {slug!r}; known templates: {known}") from None


@cache
def _templates() -> dict[str, Template]:
    folders = [path for path in TEMPLATES_DIR.iterdir() if (path / "template.json").is_file()]
    templates = [_load(folder) for folder in folders]
    templates.sort(key=lambda t: (t.slug != DEFAULT_SLUG, t.name.lower()))
    return {template.slug: template for template in templates}


def _load(folder: Path) -> Template:
    meta = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    return Template(
        slug=folder.name,
        name=meta["name"],
        description=meta["description"],
        code=(folder / "function.js").read_text(encoding="utf-8"),
        settings=tuple(meta["settings"]),
        samples=tuple(meta["samples"]),
        methods=tuple(meta.get("methods", ["POST"])),
        responds=bool(meta.get("responds", False)),
    )

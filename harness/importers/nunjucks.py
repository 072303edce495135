"""Nunjucks (promptfoo's templates) -> the harness's sandboxed Jinja.

Most syntax is shared. Converted: ``elseif`` -> ``elif``, ``| dump`` -> ``| tojson``.
Named (reported, not converted): JavaScript method calls (``.toUpperCase()`` ...), promptfoo's
``env`` global, and filters Jinja lacks (``nl2br``, promptfoo's ``load``).
"""

from __future__ import annotations

import re

from harness.errors import ConfigError
from harness.project.prompts import check_template

_CONVERT = [
    (re.compile(r"\{%(-?)\s*elseif\b"), r"{%\1 elif"),
    (re.compile(r"\|\s*dump\b"), "| tojson"),
]
_JS_METHOD = re.compile(r"\.(toUpperCase|toLowerCase|trim|slice|substring|includes|split|join|length)\s*\(")
_UNSUPPORTED_FILTERS = ("nl2br", "load")


def to_jinja(text: str) -> tuple[str, list[str]]:
    """Converted text and a list of constructs that could not be converted (empty when all did)."""
    problems: list[str] = []
    if "{{" not in text and "{%" not in text:
        return text, problems
    for pattern, repl in _CONVERT:
        text = pattern.sub(repl, text)
    for match in _JS_METHOD.finditer(text):
        if match.group(1) not in ("split", "join"):  # Python strings have these too
            problems.append(f"JavaScript method .{match.group(1)}() in a template")
    if re.search(r"\{\{[^}]*\benv\.", text):
        problems.append("promptfoo's `env` global in a template")
    for name in _UNSUPPORTED_FILTERS:
        if re.search(rf"\|\s*{name}\b", text):
            problems.append(f"Nunjucks filter `{name}` (no Jinja equivalent)")
    try:
        check_template(text, "<template>", None, "template")
    except ConfigError as exc:
        problems.append(exc.bare_message)
    return text, problems

"""Versioned prompt templates and sandboxed rendering.

Templates run in Jinja2's ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``;
values are inserted literally (a value of ``{{7*7}}`` stays text).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict

from harness.errors import ConfigError, SecurityError
from harness.project.yamlfile import YamlDoc
from harness.types import Message, RenderedPrompt


class ParamsModel(BaseModel):
    """Generation parameters as written in YAML (all optional; merged later)."""

    model_config = ConfigDict(extra="forbid")
    max_new_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = None
    seed: int | None = None

    def set_fields(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class PromptModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    version: str
    system: str | None = None
    template: str
    params: ParamsModel = ParamsModel()
    description: str | None = None


@dataclass(frozen=True)
class Prompt:
    """A versioned template. Identity = content hash + version label."""

    id: str
    version: str
    template: str
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "<inline>"

    @property
    def content_hash(self) -> str:
        body = json.dumps({"system": self.system, "template": self.template, "params": self.params},
                          sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @property
    def variables(self) -> set[str]:
        found: set[str] = set()
        for text in (self.template, self.system or ""):
            found |= jinja2.meta.find_undeclared_variables(_ENV.parse(text))
        return found


MAX_RENDERED_CHARS = 1_000_000
MAX_EXPONENT = 64


class _Env(ImmutableSandboxedEnvironment):
    """Sandbox without the helper globals that are only useful for escapes, and with
    ``*`` and ``**`` bounded so a template cannot exhaust memory or CPU."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
        for name in ("cycler", "joiner", "lipsum"):
            self.globals.pop(name, None)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise jinja2.exceptions.SecurityError(f"exponent {right} is over the limit of {MAX_EXPONENT}")
            return left ** right
        if isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
            seq, times = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(times, int) and len(seq) * times > MAX_RENDERED_CHARS:
                raise jinja2.exceptions.SecurityError("repetition would exceed the size limit")
        return left * right


_ENV = _Env()


def prompt_from_doc(doc: YamlDoc) -> Prompt:
    """Validate a parsed prompt YAML file."""
    if not isinstance(doc.data, dict):
        raise doc.error("a prompt file must be a mapping with id, version and template")
    try:
        model = PromptModel.model_validate(doc.data)
    except Exception as exc:  # pydantic.ValidationError
        raise doc.validation_error(exc) from None  # type: ignore[arg-type]
    prompt = Prompt(id=model.id, version=model.version, template=model.template, system=model.system,
                    params=model.params.set_fields(), source=doc.path)
    check_template(prompt.template, doc.path, doc.line_of(("template",)), "template")
    if prompt.system:
        check_template(prompt.system, doc.path, doc.line_of(("system",)), "system")
    return prompt


def inline_prompt(template: str, system: str | None, source: str, line: int | None) -> Prompt:
    check_template(template, source, line, "template")
    prompt = Prompt(id="inline", version="inline", template=template, system=system, source=source)
    return Prompt(id="inline", version=prompt.content_hash[:8], template=template, system=system,
                  source=source)


def check_template(text: str, file: str, line: int | None, field_name: str) -> None:
    """Parse a template and refuse access to private attributes before anything runs."""
    try:
        tree = _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        where = (line or 0) + (exc.lineno or 1) - 1 if line else exc.lineno
        raise ConfigError(f"template syntax error: {exc.message}", file=file, line=where,
                          field=field_name) from None
    for node in tree.find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem)):
        attr = node.attr if isinstance(node, jinja2.nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(attr, str) and attr.startswith("_"):
            raise SecurityError(f"template accesses private attribute '{attr}'; refused",
                                file=file, line=line, field=field_name)


def render(prompt: Prompt, variables: dict[str, Any], case_id: str) -> RenderedPrompt:
    """Render a prompt for one case into chat messages plus a plain-text form."""
    user = _render_text(prompt.template, variables, prompt, case_id)
    messages: list[Message] = []
    if prompt.system:
        system = _render_text(prompt.system, variables, prompt, case_id)
        messages.append(Message("system", system))
        text = f"{system}\n\n{user}"
    else:
        text = user
    messages.append(Message("user", user))
    return RenderedPrompt(messages=tuple(messages), text=text)


def _render_text(template: str, variables: dict[str, Any], prompt: Prompt, case_id: str) -> str:
    try:
        return _compiled(template).render(**variables)
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"case '{case_id}': template variable missing: {exc.message}",
                          file=prompt.source, field="vars") from None
    except jinja2.exceptions.SecurityError as exc:
        raise SecurityError(f"case '{case_id}': template tried an unsafe operation: {exc}",
                            file=prompt.source) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"case '{case_id}': template error: {exc}", file=prompt.source) from None


@functools.lru_cache(maxsize=512)
def _compiled(template: str) -> jinja2.Template:
    """Compile each template text once (rendering a suite renders one template many times)."""
    return _ENV.from_string(template)

"""Versioned prompt templates and sandboxed rendering.

Templates run in Jinja2's ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``;
values are inserted literally (a value of ``{{7*7}}`` stays text). Rendering happens in a
separate worker process under a CPU, memory and output budget (``template_env``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes
from pydantic import BaseModel, ConfigDict

from harness.errors import ConfigError, SecurityError
from harness.project.template_env import ENV, MAX_EXPONENT, MAX_RENDERED_CHARS  # noqa: F401 - re-exported
from harness.project.template_worker import TemplateOutcome, render_texts
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


_ENV = ENV  # parsing and static checks; rendering happens in the worker (template_worker)


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
    return render_many(prompt, [(variables, case_id)])[0]


def render_many(prompt: Prompt, jobs: Sequence[tuple[dict[str, Any], str]]) -> list[RenderedPrompt]:
    """Render ``(variables, case_id)`` jobs under the render budget (``template_env``).

    A template error (undefined variable, division by zero, a recursive macro, an include,
    the budget exceeded) is a ``ConfigError`` (exit 2) naming the file and the case.
    """
    texts = [prompt.template] + ([prompt.system] if prompt.system else [])
    outcomes = render_texts([(texts, dict(variables)) for variables, _ in jobs])
    return [_rendered(prompt, outcome, case_id) for outcome, (_, case_id) in zip(outcomes, jobs)]


def _rendered(prompt: Prompt, outcome: TemplateOutcome, case_id: str) -> RenderedPrompt:
    if outcome.kind == "undefined":
        raise ConfigError(f"case '{case_id}': template variable missing: {outcome.message}",
                          file=prompt.source, field="vars")
    if outcome.kind == "security":
        raise SecurityError(f"case '{case_id}': template tried an unsafe operation: {outcome.message}",
                            file=prompt.source)
    if outcome.kind == "budget":
        raise ConfigError(f"case '{case_id}': template over its render budget: {outcome.message}",
                          file=prompt.source, field="template")
    if outcome.kind != "ok":
        raise ConfigError(f"case '{case_id}': template error: {outcome.message}",
                          file=prompt.source, field="template")
    user, system = outcome.texts[0], outcome.texts[1] if prompt.system else None
    messages: list[Message] = []
    if system is not None:
        messages.append(Message("system", system))
    messages.append(Message("user", user))
    return RenderedPrompt(messages=tuple(messages), text=f"{system}\n\n{user}" if system is not None else user)

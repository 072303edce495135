"""Calling a judge model: spec resolution, templates, seeds, and generation through the cache.

Judge calls are ordinary ``GenerationRequest``s sent through ``harness.generation.generate``:
the same backends, batching and generation cache. The cache key holds the judge's
fingerprint and the rendered judge prompt (template, rubric and judged output), so a cached
rerun makes no judge call. The pipeline sets a ``JudgeEnv`` for the scoring stage.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from harness.errors import ConfigError, InfrastructureError, SecurityError
from harness.project.prompts import _ENV, check_template  # the project's sandboxed Jinja
from harness.types import Generation, GenerationRequest, GenParams, Message, RenderedPrompt

TEMPLATES = Path(__file__).parent / "judge_templates"
DEFAULT_JUDGE = "smollm2"
DEFAULT_NOISY_TEMPERATURE = 0.7
"""Judge temperature when ``judge_samples`` > 1 and none is set: repeated greedy judgments would agree trivially."""


@dataclass(frozen=True)
class JudgeEnv:
    """What judge checks need from the run: the project (judge specs, cache) and the model under test."""

    project: Any = None              # harness.project.config.ProjectConfig; None: defaults, no cache
    use_cache: bool = True
    progress: bool = False
    seed: int = 0
    subject: str = ""                # the label of the model under test
    subject_fingerprint: dict[str, Any] = field(default_factory=dict)
    backends: dict[str, Any] = field(default_factory=dict)  # judge label -> backend, reused within a run


JUDGE_ENV: ContextVar[JudgeEnv | None] = ContextVar("harness_judge_env", default=None)


def current_env() -> JudgeEnv:
    """The judge environment set by ``judging`` (defaults outside one: no project, no cache)."""
    return JUDGE_ENV.get() or JudgeEnv()


@contextlib.contextmanager
def judging(env: JudgeEnv) -> Iterator[JudgeEnv]:
    """Set the judge environment for the scoring done inside the block."""
    token = JUDGE_ENV.set(env)
    try:
        yield env
    finally:
        JUDGE_ENV.reset(token)
        for backend in env.backends.values():
            backend.close()


def judge_spec_text(check_judge: str | None, env: JudgeEnv) -> str:
    """The judge a check uses: its own ``judge:``, else the project's, else the bundled model."""
    project_judge = getattr(env.project, "judge", None)
    return check_judge or project_judge or DEFAULT_JUDGE


def resolve_judge(spec_text: str, env: JudgeEnv, *, file: str | None = None, field_name: str = "judge") -> Any:
    """A judge spec string -> ModelSpec; an unknown judge is a ConfigError naming file and field."""
    from harness.project.config import ProjectConfig, resolve_model

    project = env.project if env.project is not None else ProjectConfig(root=Path.cwd())
    try:
        return resolve_model(spec_text, project)
    except ConfigError as exc:
        raise ConfigError(f"judge '{spec_text}': {exc.bare_message}", file=file, field=field_name) from None
    except Exception as exc:  # UsageError (unknown name) or an unknown backend
        raise ConfigError(f"unknown judge model '{spec_text}': {exc}", file=file, field=field_name) from None


# ---------------------------------------------------------------- templates


@dataclass(frozen=True)
class JudgeTemplate:
    """A judge prompt template and where it came from (for error messages)."""

    text: str
    source: str


def load_template(kind: str, path: str | None, required: Sequence[str], root: Path | None = None) -> JudgeTemplate:
    """The bundled template of a check type, or the file at ``path``; checks its variables.

    A template that does not use every required variable, or that uses one the check does not
    provide, is a ConfigError naming the file and the field.
    """
    if path is None:
        source = TEMPLATES / f"{kind}.j2"
    else:
        source = Path(path) if Path(path).is_absolute() or root is None else root / path
        if not source.is_file():
            raise ConfigError(f"judge template not found: {source}", file=path, field="template")
    return _checked_template(str(source), tuple(required))


@lru_cache(maxsize=64)
def _checked_template(source: str, required: tuple[str, ...]) -> JudgeTemplate:
    text = Path(source).read_text(encoding="utf-8")
    check_template(text, source, None, "template")
    try:
        used = meta.find_undeclared_variables(_ENV.parse(text))
    except jinja2.TemplateSyntaxError as exc:  # pragma: no cover - check_template raised first
        raise ConfigError(f"template syntax error: {exc.message}", file=source, field="template") from None
    missing = [v for v in required if v not in used]
    if missing:
        raise ConfigError(f"judge template does not use required variable(s) {', '.join(missing)}",
                          file=source, field="template")
    unknown = sorted(used - set(required) - {"question", "reference", "steps", "criteria", "rubric"})
    if unknown:
        raise ConfigError(f"judge template uses unknown variable(s) {', '.join(unknown)}", file=source,
                          field="template")
    return JudgeTemplate(text=text, source=source)


def render_judge_prompt(template: JudgeTemplate, variables: dict[str, Any]) -> RenderedPrompt:
    """Render a judge prompt in the sandbox; a failure names the template file."""
    try:
        text = _ENV.from_string(template.text).render(**variables)
    except jinja2.exceptions.SecurityError as exc:
        raise SecurityError(f"judge template tried an unsafe operation: {exc}", file=template.source) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"judge template error: {exc}", file=template.source, field="template") from None
    return RenderedPrompt(messages=(Message("user", text),), text=text)


# ---------------------------------------------------------------- calls


@dataclass(frozen=True)
class JudgeCall:
    """One judge prompt to answer ``samples`` times (each judgment with its own seed)."""

    key: str                # identifies the judged item (case id, output) for seeding
    prompt: RenderedPrompt


@dataclass(frozen=True)
class JudgeSettings:
    """How a check calls its judge."""

    spec_text: str
    samples: int = 1
    temperature: float | None = None
    max_new_tokens: int = 128
    score_tokens: tuple[str, ...] = ()

    @property
    def params(self) -> GenParams:
        temperature = self.temperature if self.temperature is not None else \
            (DEFAULT_NOISY_TEMPERATURE if self.samples > 1 else 0.0)
        return GenParams(max_new_tokens=self.max_new_tokens, temperature=temperature)


def judge_seed(run_seed: int, key: str, judgment: int) -> int:
    """A seed per (judged item, judgment), independent of batching and of the model's own seeds."""
    digest = hashlib.sha256(f"judge\x1f{run_seed}\x1f{key}\x1f{judgment}".encode()).hexdigest()
    return int(digest[:8], 16)


def run_judge(calls: Sequence[JudgeCall], settings: JudgeSettings) -> tuple[str, list[list[Generation]]]:
    """Ask the judge every call ``settings.samples`` times; returns the judge's label and the answers.

    A judge that fails (server down, crash) raises InfrastructureError: the answers that
    finished are already in the cache, so a rerun resumes.
    """
    from harness.generation.backends import create_backend
    from harness.generation.cache import GenerationCache
    from harness.generation.generate import GenerateOptions, generate

    env = current_env()
    spec = resolve_judge(settings.spec_text, env)
    backend = env.backends.get(spec.label) or create_backend(spec)
    env.backends[spec.label] = backend
    params = settings.params
    requests = [GenerationRequest(case_id=call.key, sample=j, prompt=call.prompt, params=params,
                                  seed=judge_seed(env.seed, call.key, j), suite_id="judge",
                                  score_tokens=settings.score_tokens)
                for call in calls for j in range(settings.samples)]
    cache_dir = getattr(env.project, "cache_dir", None)
    cache = GenerationCache(cache_dir) if env.use_cache and cache_dir is not None else None
    try:
        outcome = generate(requests, spec, cache, GenerateOptions(
            use_cache=cache is not None, progress=env.progress, description=f"judging · {spec.label}"),
            backend=_Unclosed(backend))
    finally:
        if cache is not None:
            cache.close()
    if outcome.failure is not None:
        raise InfrastructureError(f"judge {spec.label} failed: {outcome.failure} ({outcome.cached + outcome.generated}"
                                  f" of {len(requests)} judgments kept in the cache)")
    gens = outcome.generations
    label = spec.label
    if env.subject_fingerprint and outcome.fingerprint == env.subject_fingerprint:
        label = env.subject  # the same weights and settings as the model under test: reports warn
    return label, [gens[i * settings.samples:(i + 1) * settings.samples] for i in range(len(calls))]


class _Unclosed:
    """The judge backend for one ``generate`` call, left open for the next check of the run."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.spec = backend.spec
        self.cacheable = getattr(backend, "cacheable", True)

    def fingerprint(self) -> dict[str, Any]:
        return self._backend.fingerprint()

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        return self._backend.generate(requests)

    def close(self) -> None:
        """Closed by ``judging`` at the end of the scoring stage."""

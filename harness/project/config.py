"""Project config (``harness.yaml``) and model specs.

A model spec is a string (``hf:ID_OR_PATH``, ``openai:URL#model``, ``replay:FILE``,
``fake:echo``), a name from the config's ``models`` (built-in names: ``smollm2``,
``smollm2-int8``, ``smollm2-bf16``) or ``@alias``: the model an alias points at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict

from harness.errors import ConfigError, UsageError
from harness.generation.backends import backend_class
from harness.generation.backends.base import ModelSpec, SpecContext, spec_syntax
from harness.project.paths import CONFIG_NAME, find_project_root
from harness.project.prompts import ParamsModel
from harness.project.yamlfile import load_yaml


class ModelConfig(BaseModel):
    """One entry of ``models:`` in harness.yaml."""

    model_config = ConfigDict(extra="forbid")
    backend: str | None = None
    base: str | None = None            # inherit from another model name
    model: str | None = None           # hub id, local path or served model name
    gguf: str | None = None            # a GGUF file name, or "bundled-smollm2"
    revision: str | None = None
    dtype: str | None = None
    device: str | None = None
    quantize: str | None = None
    batch_size: int | str | None = None
    url: str | None = None             # openai-compatible base URL
    api_key_env: str | None = None     # name of the env var holding the key (never the key)
    mode: str | None = None            # openai: chat | completion
    concurrency: int | None = None
    timeout: float | None = None
    max_attempts: int | None = None
    file: str | None = None            # replay file
    params: ParamsModel = ParamsModel()


BUILTIN_MODELS: dict[str, dict[str, Any]] = {
    "smollm2": {"backend": "hf", "gguf": "bundled-smollm2"},
    "smollm2-int8": {"base": "smollm2", "quantize": "int8"},
    "smollm2-bf16": {"base": "smollm2", "dtype": "bfloat16"},
}


class ProjectModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: dict[str, ModelConfig] = {}
    default_model: str | None = None
    database: str | None = None
    cache_dir: str | None = None
    policy: dict[str, Any] | None = None
    executor: str = "local"
    ray_address: str | None = None
    workers: int | None = None
    allow_code: bool = False
    seed: int = 0
    samples: int = 1
    suites: list[str] = []
    judge: str | None = None           # the default judge of model-graded checks (a spec or a name)


@dataclass(frozen=True)
class ProjectConfig:
    """The project's settings with paths resolved against its root."""

    root: Path
    models: dict[str, ModelConfig] = field(default_factory=dict)
    default_model: str = "smollm2"
    database: str = ""
    cache_dir: Path = Path(".harness/cache")
    policy: dict[str, Any] | None = None
    policy_source: str | None = None
    executor: str = "local"
    ray_address: str | None = None
    workers: int | None = None
    allow_code: bool = False
    seed: int = 0
    samples: int = 1
    suites: tuple[str, ...] = ()
    config_file: Path | None = None
    judge: str | None = None

    @property
    def harness_dir(self) -> Path:
        return self.root / ".harness"


def load_project_config(start: Path | None = None) -> ProjectConfig:
    """Find harness.yaml by walking up from ``start`` (default cwd); defaults when absent."""
    root = find_project_root(start)
    path = root / CONFIG_NAME
    if not path.exists():
        return _with_defaults(ProjectConfig(root=root))
    doc = load_yaml(path, display=str(path))
    if doc.data is None:
        return _with_defaults(ProjectConfig(root=root, config_file=path))
    if not isinstance(doc.data, dict):
        raise doc.error("harness.yaml must be a mapping")
    try:
        model = ProjectModel.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise doc.validation_error(exc) from None
    for name, cfg in model.models.items():
        if cfg.base and cfg.base not in model.models and cfg.base not in BUILTIN_MODELS:
            raise doc.error(f"model '{name}' has unknown base '{cfg.base}'", ("models", name, "base"))
    if model.default_model and model.default_model not in model.models and model.default_model not in BUILTIN_MODELS \
            and ":" not in model.default_model:
        raise doc.error(f"default_model '{model.default_model}' is not in models", ("default_model",))
    if model.judge and model.judge not in model.models and model.judge not in BUILTIN_MODELS \
            and ":" not in model.judge:
        raise doc.error(f"judge '{model.judge}' is not in models (use a name or BACKEND:TARGET)", ("judge",))
    if model.cache_dir and not Path(model.cache_dir).is_absolute() \
            and not Path(os.path.normpath(root / model.cache_dir)).is_relative_to(root):
        raise doc.error(f"cache_dir '{model.cache_dir}' leads outside the project; give an absolute path "
                        "to keep the cache elsewhere", ("cache_dir",))
    config = ProjectConfig(
        root=root, models=dict(model.models), default_model=model.default_model or "smollm2",
        database=model.database or "", cache_dir=Path(model.cache_dir) if model.cache_dir else Path(".harness/cache"),
        policy=model.policy, policy_source=str(path) if model.policy is not None else None,
        executor=model.executor, ray_address=model.ray_address, workers=model.workers,
        allow_code=model.allow_code, seed=model.seed, samples=model.samples,
        suites=tuple(model.suites), config_file=path, judge=model.judge)
    return _with_defaults(config)


def _with_defaults(config: ProjectConfig) -> ProjectConfig:
    database = config.database or f"sqlite:///{config.root / '.harness' / 'history.db'}"
    if database.startswith("sqlite:///") and not database.startswith("sqlite:////"):
        rel = database[len("sqlite:///"):]
        if not Path(rel).is_absolute():
            database = f"sqlite:///{config.root / rel}"
    cache_dir = config.cache_dir if config.cache_dir.is_absolute() else config.root / config.cache_dir
    return replace(config, database=database, cache_dir=cache_dir)


def resolve_model(spec: str, config: ProjectConfig) -> ModelSpec:
    """A spec string, a configured/built-in name or ``@alias`` (from the history database) -> ModelSpec."""
    spec = spec.strip()
    if spec.startswith("@"):
        from harness.store.aliases import alias_spec

        return resolve_model(alias_spec(spec, config.database), config)
    if spec in config.models or spec in BUILTIN_MODELS:
        return _from_name(spec, config, seen=())
    backend, sep, target = spec.partition(":")
    if not sep or not target or len(backend) == 1:  # len 1: a Windows drive letter
        known = sorted(set(config.models) | set(BUILTIN_MODELS))
        raise UsageError(f"unknown model '{spec}': use BACKEND:TARGET (hf:, openai:, replay:, fake:) "
                         f"or a name from harness.yaml ({', '.join(known)})")
    ctx = SpecContext(root=config.root)
    target, options = spec_syntax(backend_class(backend)).parse_target(target, ctx)
    return ModelSpec(backend=backend, target=target,
                     options={"harness_dir": str(config.harness_dir), **options})


def _merged_config(name: str, config: ProjectConfig, seen: tuple[str, ...]) -> dict[str, Any]:
    if name in seen:
        raise ConfigError(f"model '{name}' inherits from itself ({' -> '.join(seen + (name,))})",
                          file=str(config.config_file or CONFIG_NAME), field=f"models.{name}.base")
    raw = config.models[name].model_dump(exclude_none=True) if name in config.models \
        else ModelConfig.model_validate(BUILTIN_MODELS[name]).model_dump(exclude_none=True)
    base = raw.pop("base", None)
    if base:
        parent = _merged_config(base, config, seen + (name,))
        params = {**parent.get("params", {}), **raw.get("params", {})}
        raw = {**parent, **raw, "params": params}
    return raw


def _from_name(name: str, config: ProjectConfig, seen: tuple[str, ...]) -> ModelSpec:
    raw = _merged_config(name, config, seen)
    params = {k: v for k, v in raw.pop("params", {}).items() if v is not None}
    backend = raw.pop("backend", None) or ("hf" if raw.get("gguf") or raw.get("model") else None)
    if backend is None:
        raise ConfigError(f"model '{name}' needs a `backend`", file=str(config.config_file or CONFIG_NAME),
                          field=f"models.{name}.backend")
    ctx = SpecContext(root=config.root)
    target, options = spec_syntax(backend_class(backend)).from_config(raw, ctx)
    return ModelSpec(backend=backend, target=target,
                     options={"harness_dir": str(config.harness_dir), **options},
                     params=params, name=name)

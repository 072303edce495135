"""The ``hf`` backend: a local transformers causal LM, batched, exact and lazily loaded.

``HFBackend(spec)`` only validates the spec and resolves where the model comes from.
``fingerprint()`` hashes files (cached by size and mtime), so a fully cached run never
imports torch or loads weights. The model is loaded on the first ``generate``.

Options (``spec.options``): ``gguf``, ``revision``, ``dtype`` (float32 | bfloat16 | float16;
default float32, because lower precision makes greedy outputs depend on batch shape),
``device`` (cpu | cuda | cuda:N | auto), ``quantize`` (int8: dynamic int8 Linear layers, CPU),
``batch_size`` (int or auto: rows decoding at once), ``continuous_batching`` and
``prefill_sharing`` (both default true; they change speed, never outputs), ``harness_dir``
(caches; default .harness).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import ConfigError, InfrastructureError
from harness.generation.backends.base import ModelSpec, SpecContext, SpecSyntax, backend
from harness.generation.backends.batching import auto_batch_size, prompt_order
from harness.generation.backends.filehash import FileHashCache
from harness.generation.backends.hf_model import DType, LoadedModel, LoadSettings, load_model, resolve_device
from harness.generation.backends.hf_source import (
    ModelSource,
    loadable_path,
    resolve_source,
    source_fingerprint,
)
from harness.generation.backends.rows import DecodePlan, RowResult, RowSpec
from harness.types import Generation, GenerationRequest

DECODER_VERSION = 1  # bump when decoding changes what a seed or a greedy run produces
_DTYPE_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}


class HFOptions(BaseModel):
    """The ``hf`` backend's options, validated (unknown keys are an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gguf: str | None = None
    revision: str | None = None
    dtype: DType = "float32"
    device: str = "auto"
    quantize: Literal["int8"] | None = None
    batch_size: int | Literal["auto"] = Field(default="auto")
    continuous_batching: bool = True
    prefill_sharing: bool = True
    harness_dir: str = ".harness"

    @field_validator("dtype", mode="before")
    @classmethod
    def _dtype_alias(cls, value: Any) -> Any:
        return _DTYPE_ALIASES.get(value, value) if isinstance(value, str) else value

    @field_validator("quantize", mode="before")
    @classmethod
    def _no_quantize(cls, value: Any) -> Any:
        return None if value in ("none", "", False) else value

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if value in ("cpu", "cuda", "auto") or value.startswith("cuda:") or value == "mps":
            return value
        raise ValueError("device must be cpu, cuda, cuda:N, mps or auto")

    @field_validator("batch_size")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("batch_size must be at least 1")
        return value


def parse_options(options: dict[str, Any]) -> HFOptions:
    """Validate ``spec.options``; a bad value is a ConfigError naming the field."""
    try:
        parsed = HFOptions.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ConfigError(f"invalid hf model option: {first['msg']}", field=field) from exc
    if parsed.quantize == "int8" and parsed.dtype != "float32":
        raise ConfigError("quantize: int8 needs dtype float32", field="quantize")
    return parsed


@dataclass(frozen=True)
class _Prepared:
    """One request after encoding: its token ids and decoding parameters."""

    index: int
    row: RowSpec
    score_tokens: tuple[str, ...] = ()


@backend("hf")
class HFBackend(SpecSyntax):
    """Local transformers model; see the module docstring for options."""

    @classmethod
    def parse_target(cls, target: str, ctx: SpecContext) -> tuple[str, dict[str, Any]]:
        """``hf:ID_OR_PATH``; a ``.gguf`` path also sets the ``gguf`` option to its file name."""
        return target, ({"gguf": Path(target).name} if target.endswith(".gguf") else {})

    @classmethod
    def from_config(cls, fields: dict[str, Any], ctx: SpecContext) -> tuple[str, dict[str, Any]]:
        """``model`` (or ``gguf``) is the target; ``model`` is not an option of this backend."""
        options = dict(fields)
        target = options.pop("model", None) or options.get("gguf") or ""
        return target, options

    greedy_is_deterministic = True  # exact decoding: a greedy output does not depend on seed or batch

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.options = parse_options(dict(spec.options))
        self.source: ModelSource = resolve_source(spec.target, self.options.gguf, self.options.revision)
        # Dynamic int8 kernels are CPU-only, so "auto" means the CPU for the int8 variant.
        auto_cpu = self.options.quantize == "int8" and self.options.device == "auto"
        self.device = "cpu" if auto_cpu else resolve_device(self.options.device)
        if self.options.quantize == "int8" and self.device != "cpu":
            raise ConfigError("quantize: int8 (dynamic quantization) runs on the CPU only; set device: cpu",
                              field="quantize")
        self.harness_dir = Path(self.options.harness_dir)
        self._hashes = FileHashCache(self.harness_dir)
        self._fingerprint: dict[str, Any] | None = None
        self._loaded: LoadedModel | None = None

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (a cached run keeps this False)."""
        return self._loaded is not None

    def fingerprint(self) -> dict[str, Any]:
        """Identity from file hashes and settings; never loads the model."""
        if self._fingerprint is None:
            found = source_fingerprint(self.source, self._hashes)
            self._hashes.save()
            self._fingerprint = {
                "backend": "hf", "source": self.source.kind,
                "target": self.spec.target or "bundled-smollm2", "revision": self.options.revision,
                **found,
                "dtype": self.options.dtype, "device": self.device.split(":")[0],
                "quantize": self.options.quantize, "decoder": DECODER_VERSION,
                "transformers": _version("transformers"), "torch": _version("torch"),
            }
        return dict(self._fingerprint)

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        """Yield ``(index, Generation)`` as rows finish (longest prompts start first)."""
        if not requests:
            return
        model = self._model()
        prepared: list[_Prepared] = []
        for index, request in enumerate(requests):
            row_or_error = _prepare(model, request)
            if isinstance(row_or_error, str):
                yield index, Generation(output="", error=row_or_error)
            else:
                prepared.append(_Prepared(index, row_or_error, request.score_tokens))
        if prepared:
            yield from self._run_rows(model, prepared)

    def close(self) -> None:
        """Drop the model (and free accelerator memory)."""
        self._loaded = None

    def batch_size_for(self, model: LoadedModel, prepared: Sequence[_Prepared]) -> int:
        """The configured batch size, or one that fits memory for the longest row."""
        if isinstance(self.options.batch_size, int):
            return self.options.batch_size
        longest = max(len(p.row.prompt_ids) + p.row.max_new_tokens for p in prepared)
        return auto_batch_size(model.shape, longest, self.device)

    def plan(self, model: LoadedModel, prepared: Sequence[_Prepared]) -> DecodePlan:
        """Slots (the batch size) and the two scheduling switches from the options."""
        return DecodePlan(slots=self.batch_size_for(model, prepared), continuous=self.options.continuous_batching,
                          share_prefill=self.options.prefill_sharing)

    def _run_rows(self, model: LoadedModel, prepared: list[_Prepared]) -> Iterator[tuple[int, Generation]]:
        items = [prepared[k] for k in prompt_order([p.row.prompt_ids for p in prepared])]
        for k, result in decode_resilient(model, [p.row for p in items], self.plan(model, prepared)):
            item = items[k]
            generation = _generation(result)
            if item.score_tokens and generation.error is None:
                probs = score_token_probs(model, item.row.prompt_ids, item.score_tokens)
                generation = replace(generation, meta={**generation.meta, "score_probs": probs})
            yield item.index, generation

    def _model(self) -> LoadedModel:
        if self._loaded is None:
            from harness.generation.progress import phase

            path = loadable_path(self.source, self.harness_dir, self._hashes)
            self._hashes.save()
            phase(f"loading the model on {self.device}")
            revision = self.options.revision if self.source.kind == "hub" else None
            self._loaded = load_model(LoadSettings(path=path, revision=revision, dtype=self.options.dtype,
                                                   device=self.device, quantize=self.options.quantize))
        return self._loaded


def _prepare(model: LoadedModel, request: GenerationRequest) -> RowSpec | str:
    """Encode one request; a problem that only this request has is returned as an error text."""
    try:
        ids = model.encode(request.prompt)
    except Exception as exc:
        return f"cannot encode prompt: {exc}"
    params = request.params
    if not ids:
        return "empty prompt and the tokenizer has no BOS token"
    if model.max_positions and len(ids) + params.max_new_tokens > model.max_positions:
        return (f"prompt ({len(ids)} tokens) + max_new_tokens ({params.max_new_tokens}) exceeds the "
                f"model's context of {model.max_positions} tokens")
    return RowSpec(prompt_ids=tuple(ids), max_new_tokens=params.max_new_tokens,
                   temperature=params.temperature, top_p=params.top_p, top_k=params.top_k,
                   stop=tuple(params.stop), seed=request.seed)


def score_token_probs(model: LoadedModel, prompt_ids: Sequence[int], tokens: Sequence[str]) -> dict[str, float]:
    """The probabilities of candidate answer tokens at the answer position (the first generated token).

    Each candidate's first token id is looked up; used by ``g-eval`` to weight its 1-5 rating.
    """
    import torch

    ids = torch.tensor([list(prompt_ids)], device=model.device)
    with torch.no_grad():
        logits = model.model(input_ids=ids).logits[0, -1].float()
    probs = torch.softmax(logits, dim=-1)
    out = {}
    for token in tokens:
        token_ids = model.tokenizer.encode(token, add_special_tokens=False)
        out[token] = float(probs[token_ids[0]]) if token_ids else 0.0
    return out


def decode_resilient(model: LoadedModel, rows: list[RowSpec],
                     plan: DecodePlan) -> Iterator[tuple[int, RowResult | str]]:
    """Decode all rows, yielding ``(row index, result)`` as they finish.

    Out of memory halves the slots and restarts the rows not yet finished (from scratch, with fresh
    generators, so their outputs do not change); when a single slot still fails, the row in it
    (the first unfinished one) gets an error and the others go on.
    """
    from harness.generation.backends.decoding import decode_stream

    todo, slots = list(range(len(rows))), plan.slots
    while todo:
        done: set[int] = set()
        try:
            for k, result in decode_stream(model.model, [rows[i] for i in todo], model.setup,
                                           replace(plan, slots=slots)):
                done.add(todo[k])
                yield todo[k], result
            return
        except (RuntimeError, MemoryError) as exc:
            if not _is_oom(exc):
                raise InfrastructureError(f"generation failed: {exc}") from exc
            todo = [i for i in todo if i not in done]
            _free_cache(model.device)
            if slots == 1:
                yield todo[0], f"out of memory generating this request: {exc}"
                todo = todo[1:]
            slots = max(1, slots // 2)


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()


def _free_cache(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def _generation(result: RowResult | str) -> Generation:
    if isinstance(result, str):
        return Generation(output="", error=result)
    return Generation(output=result.text, new_tokens=result.new_tokens, latency_s=result.seconds,
                      meta={"finish": result.finish, "batch_rows": result.batch_rows})


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None

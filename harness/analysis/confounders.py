"""Confounder warnings: what differs between two runs besides the variable under test."""

from __future__ import annotations

from typing import Any, Literal

from harness.types import RunInfo

Variable = Literal["model", "prompt"]

# Fingerprint keys that describe how a model was run rather than which weights it is.
# A key matches when it contains one of these words (e.g. "chat_template_sha").
RUN_SETTING_KEYS = ("backend", "dtype", "quantize", "quantization", "chat_template", "tokenizer",
                    "device", "gguf_type", "load_in")


def confounder_warnings(baseline: RunInfo, candidate: RunInfo, variable: Variable) -> list[str]:
    """Warnings for every difference between the runs other than ``variable``.

    ``variable="model"``: the model spec and its weights identity may differ; backend,
    dtype, quantization, chat template, tokenizer, generation params, library versions
    and the prompt should not. ``variable="prompt"``: only the prompt may differ.
    """
    warnings = _fingerprint_warnings(baseline, candidate, variable)
    warnings += _params_warnings(baseline.params, candidate.params)
    warnings += _version_warnings(baseline.versions, candidate.versions)
    if variable == "model" and baseline.prompt_hash != candidate.prompt_hash:
        warnings.append(f"the prompt differs ({baseline.prompt_version} vs {candidate.prompt_version}) "
                        "although the variable under test is the model")
    if baseline.samples != candidate.samples:
        warnings.append(f"samples per case differ ({baseline.samples} vs {candidate.samples})")
    return warnings


# Run settings that define a deployment of the same weights (precision): when the weights are
# the same, a model comparison that changes these is testing exactly that change.
DEPLOYMENT_KEYS = ("dtype", "quantize", "quantization", "gguf_type", "load_in")


def _is_run_setting(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in RUN_SETTING_KEYS)


def _is_deployment_setting(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in DEPLOYMENT_KEYS)


def _variable_keys(old: dict[str, Any], new: dict[str, Any], variable: Variable) -> set[str]:
    """Fingerprint keys whose difference is the change under test.

    For a model comparison: the weights identity; and when the weights are the same (a quantized
    or lower-precision deployment of one checkpoint), the precision settings too.
    """
    if variable != "model":
        return set()
    differing = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
    identity = {k for k in differing if not _is_run_setting(k)}
    if identity:
        return identity
    return {k for k in differing if _is_deployment_setting(k)}


def _fingerprint_warnings(baseline: RunInfo, candidate: RunInfo, variable: Variable) -> list[str]:
    old, new = baseline.model_fingerprint, candidate.model_fingerprint
    under_test = _variable_keys(old, new, variable)
    out = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key) or key in under_test:
            continue
        out.append(f"model {key} differs ({_show(old.get(key))} vs {_show(new.get(key))}): "
                   f"a difference may come from the {key}, not the {variable}")
    if variable == "prompt" and baseline.model_spec != candidate.model_spec:
        out.append(f"the model differs ({baseline.model_spec} vs {candidate.model_spec}) "
                   "although the variable under test is the prompt")
    return out


# Params that only change which random draw a sample is, not the distribution sampled from.
NOISE_PARAMS = ("seed",)


def _params_warnings(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k) and k not in NOISE_PARAMS]
    if not keys:
        return []
    shown = ", ".join(f"{k}: {_show(old.get(k))} vs {_show(new.get(k))}" for k in keys)
    return [f"generation params differ ({shown})"]


def _version_warnings(old: dict[str, str], new: dict[str, str]) -> list[str]:
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if not keys:
        return []
    shown = ", ".join(f"{k} {old.get(k, '-')} vs {new.get(k, '-')}" for k in keys)
    return [f"library versions differ ({shown})"]


def _show(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."

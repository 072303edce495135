"""promptfoo ``providers`` -> ``harness.yaml`` model entries (OpenAI-compatible and HF only)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

OPENAI_URL = "https://api.openai.com/v1"


def convert_providers(raw: Any, note: Callable[[str, str], None]) -> dict[str, dict[str, Any]]:
    """Providers that map onto harness backends; the others are noted (file and path)."""
    models: dict[str, dict[str, Any]] = {}
    items = raw if isinstance(raw, list) else [raw]
    for n, item in enumerate(items):
        where = f"providers.{n}"
        pid = item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None
        config = item.get("config") or {} if isinstance(item, dict) else {}
        model = _model(str(pid or ""), config)
        if model is None:
            note(where, f"provider {pid!r} has no harness backend; not imported")
            continue
        label = item.get("label") if isinstance(item, dict) else None
        name = re.sub(r"[^a-z0-9.-]+", "-", str(label or pid).lower()).strip("-")
        models[name] = model
        if isinstance(item, dict) and item.get("prompts"):
            note(f"{where}.prompts", "the provider's prompt list is dropped: `harness run` runs every suite"
                 " on the model it is given")
    return models


def _model(pid: str, config: dict[str, Any]) -> dict[str, Any] | None:
    params = {k: config[k] for k in ("temperature", "top_p") if k in config}
    for key in ("max_tokens", "max_new_tokens"):  # OpenAI's name, HF text-generation's name
        if key in config:
            params["max_new_tokens"] = config[key]
    out: dict[str, Any]
    if pid.startswith("openai:"):
        parts = pid.split(":")
        mode = "completion" if len(parts) > 2 and parts[1] == "completion" else "chat"
        url = config.get("apiBaseUrl") or (f"{config['apiHost']}/v1" if config.get("apiHost") else OPENAI_URL)
        out = {"backend": "openai", "url": url, "model": parts[-1], "mode": mode,
               "api_key_env": config.get("apiKeyEnvar", "OPENAI_API_KEY")}
    elif pid.startswith("huggingface:text-generation:"):
        out = {"backend": "hf", "model": pid.split(":", 2)[2]}
    else:
        return None
    if params:
        out["params"] = params
    return out

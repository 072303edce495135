"""promptfoo assertions -> harness checks (the table in docs/import.md)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

SIMPLE = {"equals": "equals", "contains": "contains", "icontains": "icontains", "regex": "regex",
          "starts-with": "starts-with", "is-json": "is-json", "contains-json": "is-json"}
ANY_OF = {"contains-any": "contains", "icontains-any": "icontains"}
ALL_OF = {"contains-all": "contains", "icontains-all": "icontains"}
MODEL_GRADED = {"llm-rubric", "model-graded-closedqa", "model-graded-factuality", "factuality",
                "answer-relevance", "context-faithfulness", "context-recall", "context-relevance",
                "g-eval", "select-best", "max-score", "search-rubric", "conversation-relevance",
                "classifier", "moderation", "pi", "trajectory:goal-success"}
CODE = {"javascript", "python", "webhook", "ruby"}
DEFAULT_THRESHOLDS = {"similar": 0.75, "rouge-n": 0.75, "levenshtein": 5}
KNOWN = set(SIMPLE) | set(ANY_OF) | set(ALL_OF) | MODEL_GRADED | CODE | {
    "similar", "rouge-n", "levenshtein", "cost", "latency", "perplexity", "perplexity-score",
    "is-valid-openai-tools-call", "is-valid-openai-function-call", "is-xml", "contains-xml", "is-sql",
    "contains-sql", "bleu", "gleu", "meteor", "f-score", "is-refusal", "word-count", "finish-reason",
    "guardrails", "assert-set", "trace-span-count", "trace-span-duration", "trace-error-spans"}


class AssertUnsupported(Exception):
    """The assert has no harness equivalent; the message says why."""


def convert_assert(raw: dict[str, Any], variables: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """One promptfoo assert -> harness checks, plus notes on what was approximated."""
    kind = str(raw.get("type", ""))
    negate = kind.startswith("not-")
    base = kind[4:] if negate else kind
    notes: list[str] = []
    value = _fill(raw.get("value"), variables)
    if base in CODE:
        raise AssertUnsupported(f"'{kind}' runs code from the config; not converted")
    if base in MODEL_GRADED:
        raise AssertUnsupported(f"'{kind}' is model-graded; the harness has no judge model yet")
    if base not in KNOWN:
        raise AssertUnsupported(f"unknown assert type '{kind}'")
    if raw.get("transform"):
        raise AssertUnsupported(f"'{kind}' with a `transform` (code run on the output); not converted")
    checks = _checks(base, value, raw, notes)
    if negate:
        checks = _negated(base, kind, checks)
    common = {k: raw[k] for k in ("weight",) if k in raw}
    if "metric" in raw:
        common["name"] = str(raw["metric"])
    return [{**c, **common} for c in checks], notes


def _checks(base: str, value: Any, raw: dict[str, Any], notes: list[str]) -> list[dict[str, Any]]:
    threshold = raw.get("threshold", DEFAULT_THRESHOLDS.get(base))
    if base in ("is-json", "contains-json"):
        if base == "contains-json":
            notes.append("contains-json: converted to is-json, which finds one fenced ```json block or"
                         " a whole-output JSON value, not JSON anywhere in the text")
        return [{"type": "json-schema", "schema": value}] if isinstance(value, dict) else [{"type": "is-json"}]
    if base in ("similar", "rouge-n"):
        kind = "similarity" if base == "similar" else "rouge-1"
        if base == "rouge-n":
            notes.append("rouge-n: converted to rouge-1 (ROUGE-1 F1)")
        return [{"type": kind, "value": _text(value, base), "min": float(threshold)}]
    if base == "levenshtein":
        return [{"type": "levenshtein", "value": _text(value, base), "max": _whole(threshold)}]
    if base in SIMPLE:
        check: dict[str, Any] = {"type": SIMPLE[base], "value": _text(value, base)}
        if base == "regex":
            re.compile(check["value"])
        return [check]
    if base in ANY_OF:
        return [{"type": ANY_OF[base], "value": _values(value, base)}]
    if base in ALL_OF:
        return [{"type": ALL_OF[base], "value": v} for v in _values(value, base)]
    raise AssertUnsupported(f"'{base}' has no harness check")


def _negated(base: str, kind: str, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if base in ALL_OF and len(checks) > 1:
        raise AssertUnsupported(f"'{kind}' (not all of several strings) has no harness check")
    if base in ("contains", "contains-any"):
        return [{"type": "not-contains", "value": checks[0]["value"]}]
    return [{**c, "negate": True} for c in checks]


def _whole(threshold: Any) -> int:
    """promptfoo passes when distance <= threshold; for a fractional threshold that is its floor."""
    try:
        return max(0, math.floor(float(threshold)))
    except (TypeError, ValueError):
        raise AssertUnsupported(f"levenshtein threshold {threshold!r} is not a number") from None


def _text(value: Any, kind: str) -> str:
    if isinstance(value, (dict, list)):
        if kind == "equals":
            return json.dumps(value)
        raise AssertUnsupported(f"'{kind}' with a structured value")
    if value is None:
        raise AssertUnsupported(f"'{kind}' without a value")
    return str(value)


def _values(value: Any, kind: str) -> list[str]:
    if isinstance(value, str):  # CSV cells list values separated by commas
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise AssertUnsupported(f"'{kind}' needs a list of strings")


def _fill(value: Any, variables: dict[str, Any]) -> Any:
    """promptfoo renders ``{{var}}`` in assert values with the test's vars; so do we, here."""
    if not isinstance(value, str) or "{{" not in value:
        return value
    return re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}",
                  lambda m: str(variables.get(m.group(1), m.group(0))), value)


def parse_expected(cell: str) -> dict[str, Any]:
    """A CSV ``__expected`` cell -> an assert mapping, as promptfoo reads it.

    ``type:value`` or ``type(threshold):value``; ``grade:`` is llm-rubric; ``fn:``/``eval:`` are
    javascript; no known type prefix means ``equals`` with the whole cell.
    """
    text = cell.strip()
    match = re.match(r"^(not-)?([a-z][a-z0-9:-]*?)(?:\((\d+(?:\.\d+)?)\))?:(.*)$", text, re.DOTALL)
    if match:
        neg, kind, threshold, value = match.groups()
        kind = {"grade": "llm-rubric", "fn": "javascript", "eval": "javascript"}.get(kind, kind)
        if kind in KNOWN:
            out: dict[str, Any] = {"type": (neg or "") + kind, "value": value.strip()}
            if threshold is not None:
                out["threshold"] = float(threshold)
            return out
    bare = re.match(r"^(not-)?([a-z][a-z-]*)$", text)
    if bare and bare.group(2) in KNOWN:
        return {"type": text}
    return {"type": "equals", "value": text}

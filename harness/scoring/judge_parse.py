"""Reading a judge's answer robustly: the first JSON object, else a ``Score: N`` / verdict fallback.

Every parser returns a ``JudgeAnswer`` or ``None`` when the answer cannot be used (a judge error).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

Winner = Literal["A", "B", "tie"]

_SCORE_RE = re.compile(r"(?:score|rating)\s*[:=]?\s*\**\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_LEADING_NUMBER_RE = re.compile(r"^\s*\**\s*(-?\d+(?:\.\d+)?)\b")
_PASS_RE = re.compile(r"\b(pass|passed|yes|fail|failed|no)\b", re.IGNORECASE)
_NEGATED_RE = re.compile(r"\b(?:does\s+not|doesn't|do\s+not|is\s+not|isn't|fails\s+to|not)\s+(?:\w+\s+){0,2}?"
                        r"(?:satisf\w*|correct|meet\w*|accurate|right)\b|\bincorrect\b|\bwrong\b", re.IGNORECASE)
_AFFIRMED_RE = re.compile(r"\b(?:satisfies|meets|is\s+correct|is\s+accurate|is\s+right)\b", re.IGNORECASE)
_CHOICE_RE = re.compile(r"\(([A-E])\)|\bchoice\s*[:=]?\s*\"?([A-E])\b|^\s*([A-E])\s*$", re.IGNORECASE | re.MULTILINE)
_WINNER_RE = re.compile(r"\b(?:winner|better)\s*[:=]?\s*\"?(A|B|tie)\b|\banswer\s+(A|B)\s+is\s+better\b",
                        re.IGNORECASE)


@dataclass(frozen=True)
class JudgeAnswer:
    """What one judgment said: a score (its own scale), a pass verdict, a choice or a winner."""

    score: float | None = None
    passed: bool | None = None
    choice: str | None = None
    winner: Winner | None = None
    reason: str = ""


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first ``{...}`` in ``text`` that parses as a JSON object (braces balanced, strings respected)."""
    start = text.find("{")
    while start != -1:
        end = _matching_brace(text, start)
        if end is not None:
            try:
                value = json.loads(text[start:end + 1])
            except json.JSONDecodeError:
                value = None
            if isinstance(value, dict):
                return value
        start = text.find("{", start + 1)
    return None


def _matching_brace(text: str, start: int) -> int | None:
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            escaped = ch == "\\" and not escaped
            if ch == '"' and not escaped:
                in_string = False
            elif ch != "\\":
                escaped = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "pass", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "fail", "n"):
        return False
    return None


def parse_score(text: str, low: float, high: float) -> JudgeAnswer | None:
    """A score in ``[low, high]`` and/or a pass verdict; ``None`` when neither can be read."""
    obj = first_json_object(text)
    if obj is not None:
        score = _number(obj.get("score"))
        passed = _boolean(obj.get("pass", obj.get("passed")))
        if score is not None and not low <= score <= high:
            score = None
        if score is not None or passed is not None:
            return JudgeAnswer(score=score, passed=passed, reason=str(obj.get("reason", ""))[:500])
    match = _SCORE_RE.search(text) or _LEADING_NUMBER_RE.search(text)
    if match:
        score = float(match.group(1))
        if low <= score <= high:
            return JudgeAnswer(score=score, reason=text.strip()[:500])
    return _worded_verdict(text)


def _worded_verdict(text: str) -> JudgeAnswer | None:
    """A verdict in words, first one wins: pass/fail/yes/no, or "does not satisfy" / "satisfies"."""
    found = [(m.start(), m.group(1).lower() in ("pass", "passed", "yes")) for m in _PASS_RE.finditer(text)][:1]
    found += [(m.start(), False) for m in _NEGATED_RE.finditer(text)][:1]
    found += [(m.start(), True) for m in _AFFIRMED_RE.finditer(text)][:1]
    if not found:
        return None
    _, passed = min(found)
    return JudgeAnswer(passed=passed, reason=text.strip()[:500])


def parse_choice(text: str, choices: str = "ABCDE") -> JudgeAnswer | None:
    """A letter choice (factuality): ``{"choice": "C"}``, ``(C)`` or a lone letter."""
    obj = first_json_object(text)
    if obj is not None:
        raw = str(obj.get("choice", obj.get("answer", ""))).strip().strip("()").upper()
        if len(raw) == 1 and raw in choices:
            return JudgeAnswer(choice=raw, reason=str(obj.get("reason", ""))[:500])
    for match in _CHOICE_RE.finditer(text):
        letter = next(g for g in match.groups() if g).upper()
        if letter in choices:
            return JudgeAnswer(choice=letter, reason=text.strip()[:500])
    return None


def parse_pass(text: str) -> JudgeAnswer | None:
    """A pass/fail verdict (closedqa): ``{"pass": true}``, or a leading yes/no, pass/fail, Y/N."""
    obj = first_json_object(text)
    if obj is not None:
        passed = _boolean(obj.get("pass", obj.get("passed", obj.get("answer"))))
        if passed is not None:
            return JudgeAnswer(passed=passed, reason=str(obj.get("reason", ""))[:500])
    stripped = text.strip()
    if stripped[:1].upper() in ("Y", "N") and (len(stripped) == 1 or not stripped[1].isalpha()):
        return JudgeAnswer(passed=stripped[0].upper() == "Y", reason=stripped[:500])
    return _worded_verdict(text)


def parse_winner(text: str) -> JudgeAnswer | None:
    """Which of two answers won: ``{"winner": "A"}``, ``Winner: B`` or ``tie``."""
    obj = first_json_object(text)
    if obj is not None:
        raw = str(obj.get("winner", obj.get("better", ""))).strip().strip("()")
        winner = _winner(raw)
        if winner is not None:
            return JudgeAnswer(winner=winner, reason=str(obj.get("reason", ""))[:500])
    match = _WINNER_RE.search(text)
    if match:
        winner = _winner(next(g for g in match.groups() if g))
        if winner is not None:
            return JudgeAnswer(winner=winner, reason=text.strip()[:500])
    stripped = text.strip().strip(".").strip()
    winner = _winner(stripped)
    return JudgeAnswer(winner=winner, reason=stripped[:500]) if winner is not None else None


def _winner(raw: str) -> Winner | None:
    lowered = raw.lower()
    if lowered in ("a", "answer a"):
        return "A"
    if lowered in ("b", "answer b"):
        return "B"
    if lowered in ("tie", "equal", "draw", "both"):
        return "tie"
    return None

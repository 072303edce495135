"""promptfoo config -> harness suites and ``harness.yaml`` models (``harness import promptfoo``).

Reads the config, its ``file://`` prompts, tests and vars (never a file outside the config's
folder, never code); one suite per prompt, one case per test. See docs/import.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError, SecurityError, UsageError
from harness.importers.nunjucks import to_jinja
from harness.importers.output import ImportResult, Unsupported, yaml_error
from harness.importers.promptfoo_asserts import AssertUnsupported, convert_assert, parse_expected
from harness.importers.promptfoo_providers import convert_providers

CODE_SUFFIXES = (".py", ".js", ".ts", ".mjs", ".cjs", ".sh", ".rb")
PROMPT_SUFFIXES = (".txt", ".json", ".yaml", ".yml", ".j2", ".md")


@dataclass
class _Ctx:
    config: Path
    result: ImportResult = field(default_factory=ImportResult)

    @property
    def folder(self) -> Path:
        return self.config.parent

    def rel(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix() if self.folder in path.parents else str(path)

    def unsupported(self, where: str, reason: str, file: Path | None = None) -> None:
        item = Unsupported(str(file or self.config), where, reason)
        if item not in self.result.unsupported:  # defaultTest asserts are seen once per test
            self.result.unsupported.append(item)

    def note(self, where: str, reason: str, file: Path | None = None) -> None:
        self.result.notes.append(Unsupported(str(file or self.config), where, reason))

    def local(self, ref: str, where: str) -> Path:
        """A ``file://`` reference -> a file inside the config's folder; escapes are refused."""
        body = ref.removeprefix("file://")
        body = body.split(":", 1)[0] if re.search(r"\.(py|js|ts|mjs|cjs):\w+$", body) else body
        target = (self.folder / body).resolve()
        if self.folder.resolve() not in target.parents:
            raise SecurityError(f"file://{body} escapes the config's folder; refused",
                                file=str(self.config), field=where)
        if not target.is_file():
            raise UsageError(f"{self.config}: {where}: file not found: {body}")
        return target


def import_promptfoo(config: Path) -> ImportResult:
    """Convert one promptfoo config file (a missing file is a UsageError)."""
    config = Path(config)
    if not config.is_file():
        raise UsageError(f"file not found: {config}")
    data = _load_yaml(config)
    if not isinstance(data, dict):
        raise ConfigError("a promptfoo config must be a mapping", file=str(config))
    ctx = _Ctx(config.resolve())
    data = _resolve_refs(data, data)
    prompts = _prompts(ctx, data.get("prompts") or [])
    default = _default_test(ctx, data.get("defaultTest") or {})
    tests = _tests(ctx, data.get("tests") or [], "tests") if data.get("tests") else [({}, "tests")]
    cases = [c for c in (_case(ctx, t, where, default, n) for n, (t, where) in enumerate(tests)) if c]
    _dedupe_ids(cases)
    name = _slug(ctx.config.parent.name if config.stem == "promptfooconfig" else config.stem) or "promptfoo"
    for k, (template, system) in enumerate(prompts):
        suite_id = name if len(prompts) == 1 else f"{name}-{k + 1}"
        suite: dict[str, Any] = {"id": suite_id, "description": str(data.get("description") or f"promptfoo {name}"),
                                 "template": template}
        if system:
            suite["system"] = system
        suite["cases"] = cases
        ctx.result.add_yaml(f"suites/{suite_id}.yaml", f"promptfoo config {config.name}", suite)
    models = convert_providers(data.get("providers") or [], lambda w, r: ctx.note(w, r))
    if models:
        project = {"models": models, "default_model": next(iter(models)), "suites": ["suites"]}
        ctx.result.add_yaml("harness.yaml", f"promptfoo config {config.name} (providers)", project)
    return ctx.result


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise yaml_error(exc, str(path)) from None


def _resolve_refs(node: Any, root: dict[str, Any]) -> Any:
    """``$ref: '#/a/b'`` -> that part of the config (local references only)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, dict) else None
            if target is not None:
                return _resolve_refs(target, root)
        return {k: _resolve_refs(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(v, root) for v in node]
    return node


def _prompts(ctx: _Ctx, raw: Any) -> list[tuple[str, str | None]]:
    # A mapping is {path or text: label}: the keys are the prompts.
    if isinstance(raw, list):
        items = raw
    else:
        items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, dict) else []
    prompts: list[tuple[str, str | None]] = []
    for n, item in enumerate(items):
        where = f"prompts.{n}"
        text = item.get("raw") or item.get("id") if isinstance(item, dict) else item
        if not isinstance(text, str):
            ctx.unsupported(where, "prompt is neither text nor a file:// path")
            continue
        for body in _prompt_texts(ctx, text, where):
            converted = _chat_or_text(ctx, body, where)
            if converted:
                prompts.append(converted)
    if not prompts:
        prompts.append(("{{ prompt }}", None))
        ctx.note("prompts", "no prompt: the template is `{{ prompt }}`")
    return prompts


def _prompt_texts(ctx: _Ctx, text: str, where: str) -> list[str]:
    if not text.startswith("file://") and _bare_prompt_file(ctx, text):
        text = "file://" + text  # promptfoo reads a bare path to an existing prompt file too
    if not text.startswith("file://"):
        return [text]
    if text.endswith(CODE_SUFFIXES) or re.search(r"\.(py|js|ts):\w+$", text):
        ctx.unsupported(where, f"prompt {text} is code (a prompt function); not run")
        return []
    path = ctx.local(text, where)
    body = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return [body]
    if path.suffix in (".yaml", ".yml"):
        chat = _yaml_chat(ctx, path, where)
        return [chat] if chat else []
    return [p.strip("\n") for p in re.split(r"\n-{3,}\n", body) if p.strip()]


def _bare_prompt_file(ctx: _Ctx, text: str) -> bool:
    if "\n" in text or "{" in text or not text.endswith(PROMPT_SUFFIXES):
        return False
    target = (ctx.folder / text).resolve()
    return ctx.folder.resolve() in target.parents and target.is_file()


def _yaml_chat(ctx: _Ctx, path: Path, where: str) -> str | None:
    """A YAML chat prompt (a message list, or ``{messages: [...]}``) as the JSON chat text."""
    data = _load_yaml(path)
    messages = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(messages, list):
        ctx.unsupported(where, f"{ctx.rel(path)}: a YAML prompt must be a list of chat messages")
        return None
    out = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # content blocks: only text blocks convert
            if any(not isinstance(b, dict) or b.get("type") != "text" for b in content):
                ctx.unsupported(where, f"{ctx.rel(path)}: a content block that is not text")
                return None
            content = "".join(str(b.get("text", "")) for b in content)
        out.append({"role": message.get("role") if isinstance(message, dict) else None, "content": content})
    return json.dumps(out)


def _chat_or_text(ctx: _Ctx, body: str, where: str) -> tuple[str, str | None] | None:
    system = None
    if body.lstrip().startswith("["):
        try:
            messages = json.loads(body)
        except json.JSONDecodeError:
            messages = None
        if isinstance(messages, list):
            roles = [m.get("role") for m in messages if isinstance(m, dict)]
            if roles not in (["user"], ["system", "user"]):
                ctx.unsupported(where, f"chat prompt with roles {roles}: only [system,] user converts")
                return None
            system = messages[0]["content"] if roles[0] == "system" else None
            body = messages[-1]["content"]
    template, problems = to_jinja(body)
    system_t, system_problems = to_jinja(system) if system else (None, [])
    for problem in problems + system_problems:
        ctx.unsupported(where, problem)
    return None if problems or system_problems else (template, system_t)


def _tests(ctx: _Ctx, raw: Any, where: str) -> list[tuple[dict[str, Any], str]]:
    """Test mappings with their location; ``file://`` yaml/json/jsonl/csv files are read."""
    if isinstance(raw, str):
        return _test_file(ctx, raw, where)
    if isinstance(raw, dict):
        return [(raw, where)]
    out: list[tuple[dict[str, Any], str]] = []
    for n, item in enumerate(raw if isinstance(raw, list) else []):
        out += _tests(ctx, item, f"{where}.{n}") if isinstance(item, str) else [(item, f"{where}.{n}")]
    return out


def _test_file(ctx: _Ctx, ref: str, where: str) -> list[tuple[dict[str, Any], str]]:
    if not ref.startswith("file://") or ref.endswith(CODE_SUFFIXES):
        ctx.unsupported(where, f"tests from {ref!r}: only file:// yaml, json, jsonl or csv files convert")
        return []
    path = ctx.local(ref, where)
    rel = ctx.rel(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        return [(row, f"{rel}:{line}") for line, row in _csv_tests(text, str(path))]
    if path.suffix == ".jsonl":
        rows = []
        for line, chunk in enumerate(text.splitlines(), 1):
            if chunk.strip():
                try:
                    rows.append((json.loads(chunk), f"{rel}:{line}"))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"invalid JSON: {exc.msg}", file=str(path), line=line) from None
        return rows
    data = _load_yaml(path)
    items = data if isinstance(data, list) else [data]
    return [(t, f"{rel}.{n}") for n, t in enumerate(items) if isinstance(t, dict)]


def _csv_tests(text: str, file: str) -> list[tuple[int, dict[str, Any]]]:
    """CSV rows -> test mappings: plain columns are vars, ``__expected*`` are asserts."""
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    tests, last = [], 1
    try:
        for row in reader:
            if None in row:
                raise ConfigError("row has more cells than the header", file=file, line=last + 1)
            tests.append((last + 1, _csv_test(row)))
            last = reader.line_num
    except csv.Error as exc:  # the record that starts after the last one read
        raise ConfigError(f"invalid CSV: {exc}", file=file, line=last + 1) from None
    return tests


def _csv_test(row: dict[str, str]) -> dict[str, Any]:
    test: dict[str, Any] = {"vars": {}, "assert": []}
    for key, cell in row.items():
        if key.startswith("__expected"):
            if cell and cell.strip():
                test["assert"].append(parse_expected(cell))
        elif key == "__description":
            test["description"] = cell
        elif key == "__threshold" and cell:
            test["threshold"] = float(cell)
        elif key.startswith("__"):  # __metric, __metadata:*, others: dropped
            test.setdefault("metadata", {})[key] = cell
        else:
            test["vars"][key] = cell
    return test


def _default_test(ctx: _Ctx, raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        found = _tests(ctx, raw, "defaultTest")
        return found[0][0] if found else {}
    return raw if isinstance(raw, dict) else {}


def _case(ctx: _Ctx, test: dict[str, Any], where: str, default: dict[str, Any], n: int) -> dict[str, Any] | None:
    """One test (defaultTest merged under it) -> an inline case."""
    variables = {**(default.get("vars") or {}), **(test.get("vars") or {})}
    variables = {k: _var_value(ctx, v, f"{where}.vars.{k}") for k, v in variables.items()}
    options = {**(default.get("options") or {}), **(test.get("options") or {})}
    for key in options:
        if key in ("transform", "postprocess") or "transform" in key.lower():
            ctx.unsupported(f"{where}.options.{key}", "an output transform is code; not run")
        else:
            ctx.note(f"{where}.options.{key}", f"option '{key}' has no harness equivalent; dropped")
    checks = []
    asserts = [(a, f"defaultTest.assert.{i}") for i, a in enumerate(default.get("assert") or [])]
    asserts += [(a, f"{where}.assert.{i}") for i, a in enumerate(test.get("assert") or [])]
    for raw, at in asserts:
        try:
            found, notes = convert_assert(raw if isinstance(raw, dict) else {}, variables)
        except (AssertUnsupported, re.error) as exc:
            ctx.unsupported(f"{at}.type", str(exc))
            continue
        checks += found
        for note in notes:
            ctx.note(at, note)
    case: dict[str, Any] = {"id": _slug(str(test.get("description") or "")) or f"case-{n + 1}",
                            "vars": variables, "checks": checks}
    threshold = test.get("threshold")
    if threshold is not None:
        if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            ctx.unsupported(f"{where}.threshold", f"test threshold {threshold!r} is not a number in [0, 1]")
        else:
            case["threshold"] = float(threshold)
    return case


def _var_value(ctx: _Ctx, value: Any, where: str) -> Any:
    if isinstance(value, str) and value.startswith("file://"):
        if value.endswith(CODE_SUFFIXES):
            ctx.unsupported(where, f"var {value} is code; not run")
            return ""
        return ctx.local(value, where).read_text(encoding="utf-8")
    if isinstance(value, list):
        ctx.note(where, "a list var: promptfoo makes one test per item; the harness passes the list")
    return value


def _dedupe_ids(cases: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for case in cases:
        base = case["id"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            case["id"] = f"{base}-{seen[base]}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]

"""lm-evaluation-harness task -> harness suite (``harness import lm-eval``).

Only ``generate_until`` tasks convert: ``doc_to_text`` becomes the template, ``doc_to_target``
the reference, the dataset a ``cases_from``, ``generation_kwargs`` the params, the first
``filter_list`` pipeline an ``extract`` and ``exact_match`` an ``equals`` check with the same
normalisation. Everything else is reported with its reason (see docs/import.md).
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
import jinja2.meta

from harness.importers.lm_eval_tasks import FunctionRef, TaskConfig, resolve_tasks
from harness.importers.output import ImportResult, Unsupported

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOCAL_BUILDERS = {"json": "json", "csv": "csv", "parquet": "parquet"}
CODE_FIELDS = ("process_docs", "process_results", "doc_to_text", "doc_to_target", "custom_dataset",
               "doc_to_choice", "doc_to_decontamination_query", "fewshot_config")


class Skip(Exception):
    """A task that cannot be converted; the message is the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def import_lm_eval(name_or_path: str) -> ImportResult:
    """Convert a task file or a task/group/tag name; unknown names raise UsageError."""
    result = ImportResult()
    for task in resolve_tasks(name_or_path):
        try:
            convert_task(task, result)
        except Skip as skip:
            result.unsupported.append(Unsupported(str(task.path), f"{task.name}.{skip.field}", skip.reason))
    return result


def convert_task(task: TaskConfig, result: ImportResult) -> None:
    """Add one task's suite (and a copied local data file) to ``result``; raise Skip when it cannot."""
    data = task.data
    kind = data.get("output_type", "generate_until")
    if kind != "generate_until":
        raise Skip("output_type", f"output_type '{kind}' scores log-likelihoods of choices; only"
                   " generate_until tasks convert")
    for key in CODE_FIELDS:
        if _has_function(data.get(key)):
            raise Skip(key, f"`{key}` is a !function (Python code in the task); not run, not converted")
    note = _noter(task, result)
    template = _template(data)
    source = _cases_from(task, data, template, result)
    checks = _checks(data, note)
    suite: dict[str, Any] = {"id": task.name, "description": f"lm-eval task {task.name}",
                             "template": template}
    params = _params(data.get("generation_kwargs") or {}, note)
    suite["defaults"] = {"params": params} if params else {}
    source["checks"] = checks
    suite["cases_from"] = source
    if not suite["defaults"]:
        del suite["defaults"]
    if int(data.get("num_fewshot") or 0) > 0:
        note("num_fewshot", f"num_fewshot {data['num_fewshot']}: converted zero-shot (few-shot"
             " examples are not part of the template)")
    if int(data.get("repeats") or 1) > 1:
        note("repeats", "repeats: use `harness run --samples N`")
    result.add_yaml(f"suites/{_file_name(task.name)}.yaml", f"lm-eval task {task.name} ({task.path.name})", suite)


def _noter(task: TaskConfig, result: ImportResult):
    def note(field: str, reason: str) -> None:
        result.notes.append(Unsupported(str(task.path), f"{task.name}.{field}", reason))
    return note


def _has_function(value: Any) -> bool:
    if isinstance(value, FunctionRef):
        return True
    if isinstance(value, dict):
        return any(_has_function(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_function(v) for v in value)
    return False


def _template(data: dict[str, Any]) -> str:
    text = data.get("doc_to_text")
    if not isinstance(text, str):
        raise Skip("doc_to_text", f"doc_to_text {text!r} is not a template or column name")
    if IDENTIFIER.match(text):
        text = "{{ " + text + " }}"
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise Skip("description", "description is not text")
    template = description + text + str(data.get("gen_prefix") or "")
    try:
        jinja2.Environment().parse(template)
    except jinja2.TemplateSyntaxError as exc:
        raise Skip("doc_to_text", f"template does not parse as Jinja: {exc.message}") from None
    return template


def _columns(*templates: str) -> list[str]:
    env = jinja2.Environment()
    names: set[str] = set()
    for t in templates:
        names |= jinja2.meta.find_undeclared_variables(env.parse(t))
    return sorted(names)


def _cases_from(task: TaskConfig, data: dict[str, Any], template: str,
                result: ImportResult) -> dict[str, Any]:
    target = data.get("doc_to_target")
    bare = re.fullmatch(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", target) if isinstance(target, str) else None
    target = bare.group(1) if bare else target
    source: dict[str, Any] = {}
    if isinstance(target, str) and IDENTIFIER.match(target):
        source["reference"] = target
    elif isinstance(target, str):
        source["reference_template"] = target
    else:
        raise Skip("doc_to_target", f"doc_to_target {target!r} is not a template or column name"
                   " (an index into choices is for multiple-choice tasks)")
    split = data.get("test_split") or data.get("validation_split")
    if not split:
        raise Skip("test_split", "no test_split or validation_split")
    builder = LOCAL_BUILDERS.get(str(data.get("dataset_path")))
    if builder:
        path = _local_data(task, data, split, result)
        source = {"path": path, "format": builder, **source}
    elif isinstance(data.get("dataset_path"), str):
        source = {"path": "hf://" + data["dataset_path"], **source, "split": split}
        if data.get("dataset_name"):
            source["subset"] = str(data["dataset_name"])
    else:
        raise Skip("dataset_path", "no dataset_path")
    source["vars"] = _columns(template)
    return source


def _local_data(task: TaskConfig, data: dict[str, Any], split: str, result: ImportResult) -> str:
    """Copy a local ``data_files`` file next to the suite (inside the output project)."""
    files = (data.get("dataset_kwargs") or {}).get("data_files")
    chosen = files.get(split) if isinstance(files, dict) else files
    if isinstance(chosen, list) and len(chosen) == 1:
        chosen = chosen[0]
    if not isinstance(chosen, str):
        raise Skip("dataset_kwargs", f"data_files for split '{split}' must name one file")
    here = task.path.parent
    local = (here / chosen).resolve()
    if here.resolve() not in local.parents:
        raise Skip("dataset_kwargs", f"data file '{chosen}' is outside the task's folder; refused")
    if not local.is_file():
        raise Skip("dataset_kwargs", f"data file '{chosen}' not found")
    rel = f"suites/data/{_file_name(task.name)}{local.suffix}"
    result.files[rel] = local.read_text(encoding="utf-8")
    return f"data/{_file_name(task.name)}{local.suffix}"


def _params(kwargs: dict[str, Any], note) -> dict[str, Any]:
    params: dict[str, Any] = {}
    until = kwargs.get("until")
    if until:
        params["stop"] = [until] if isinstance(until, str) else [str(u) for u in until]
    if "max_gen_toks" in kwargs:
        params["max_new_tokens"] = int(kwargs["max_gen_toks"])
    if kwargs.get("do_sample") is False or kwargs.get("temperature") in (0, 0.0):
        params["temperature"] = 0.0
    elif kwargs.get("temperature") is not None:
        params["temperature"] = float(kwargs["temperature"])
    if kwargs.get("top_p") is not None:
        params["top_p"] = float(kwargs["top_p"])
    for key in sorted(set(kwargs) - {"until", "max_gen_toks", "do_sample", "temperature", "top_p"}):
        note(f"generation_kwargs.{key}", f"generation_kwargs.{key} has no harness parameter; dropped")
    return params


STRIP_ALL = {"regex": r"(?s).*"}  # the whole output, stripped: lm-eval's remove_whitespace


def _extract(data: dict[str, Any], note) -> dict[str, Any] | None:
    """The first filter pipeline as an ``extract`` spec (regex and remove_whitespace, then take_first).

    ``remove_whitespace`` (``str.strip`` on the output) is an extract of the whole output, since
    extraction strips what it finds; after a regex step it changes nothing (the regex filter
    strips its match too).
    """
    pipelines = data.get("filter_list") or []
    if not pipelines:
        return None
    first = pipelines[0]
    for other in pipelines[1:]:
        note(f"filter_list.{other.get('name')}", "only the first filter pipeline is converted")
    spec: dict[str, Any] | None = None
    where = f"filter_list.{first.get('name')}"
    for step in first.get("filter") or []:
        fn = step.get("function")
        if isinstance(fn, FunctionRef):
            raise Skip(where, f"filter {fn.target} is a !function (Python code in the task); not run")
        if fn == "regex":
            if spec is not None:
                raise Skip(where, "a chain of extraction steps (regex after regex or remove_whitespace)"
                           " has no harness equivalent")
            spec = {"regex": step.get("regex_pattern", r"#### (\-?[0-9\.\,]+)"),
                    "match": int(step.get("group_select", 0)), "fallback": step.get("fallback", "[invalid]")}
        elif fn == "remove_whitespace":
            spec = spec or dict(STRIP_ALL)
        elif fn != "take_first":
            raise Skip(where, f"filter function '{fn}' has no harness equivalent")
    return spec


def _checks(data: dict[str, Any], note) -> list[dict[str, Any]]:
    extract = _extract(data, note)
    checks = []
    for n, metric in enumerate(data.get("metric_list") or []):
        name = metric.get("metric")
        if name != "exact_match":
            note(f"metric_list.{n}", f"metric {name!r} has no harness check; dropped")
            continue
        # lm-eval compares without stripping whitespace (its filters strip the output, not the target)
        check: dict[str, Any] = {"type": "equals", "name": "exact_match", "strip": False}
        for key in ("ignore_case", "ignore_punctuation"):
            if metric.get(key):
                check[key] = True
        if metric.get("regexes_to_ignore"):
            check["regexes_to_ignore"] = [str(r) for r in metric["regexes_to_ignore"]]
        if metric.get("ignore_numbers"):
            raise Skip(f"metric_list.{n}", "exact_match ignore_numbers is not supported")
        if extract:
            check["extract"] = extract
        checks.append(check)
    if not checks:
        raise Skip("metric_list", "no exact_match metric (the only lm-eval metric with a harness check)")
    return checks


def _file_name(task: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", task)


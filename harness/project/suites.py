"""Suite YAML -> validated ``Suite`` with file:line:field errors.

Reads inline ``cases`` and/or ``cases_from`` (JSONL, CSV, Parquet or a saved
``datasets`` folder, through the ``datasets`` library) and merges ``defaults``
into every case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ConfigError
from harness.project.csvrows import CsvRow
from harness.project.hub import PlaceholderRow, is_hub_path
from harness.project.paths import ProjectFiles
from harness.project.prompts import ParamsModel, Prompt, check_template, inline_prompt, prompt_from_doc, render
from harness.project.yamlfile import YamlDoc, load_yaml_text
from harness.scoring.checks import CHECK_TYPES, CheckConfig
from harness.types import Case


class DefaultsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: ParamsModel = ParamsModel()
    checks: list[dict[str, Any]] = []
    tags: list[str] = []


class CaseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | int
    vars: dict[str, Any] = {}
    reference: str | None = None
    checks: list[dict[str, Any]] = []
    tags: list[str] = []
    paraphrases: list[dict[str, Any]] = []
    params: ParamsModel = ParamsModel()
    group: str | int | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)  # weighted share of checks that must pass


class CasesFromModel(BaseModel):
    """Cases read from a data file; ``vars`` lists columns or maps var name -> column."""

    model_config = ConfigDict(extra="forbid")
    path: str
    format: str | None = None
    id: str | None = None
    vars: list[str] | dict[str, str] = []
    reference: str | None = None
    tags: list[str] = []
    tags_field: str | None = None
    group_field: str | None = None
    checks: list[dict[str, Any]] = []
    limit: int | None = None
    subset: str | None = None  # hf:// datasets: the configuration name
    split: str | None = None  # hf:// datasets: the split (default: test)
    reference_template: str | None = None  # a Jinja template over the row, instead of `reference`


class SuiteModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    description: str = ""
    prompt: str | None = None
    template: str | None = None
    system: str | None = None
    defaults: DefaultsModel = DefaultsModel()
    cases: list[CaseModel] = []
    cases_from: CasesFromModel | list[CasesFromModel] | None = None
    allow_code: bool = False


@dataclass(frozen=True)
class Suite:
    id: str
    description: str
    path: str
    prompt: Prompt
    cases: tuple[Case, ...]
    params: dict[str, Any] = field(default_factory=dict)
    allow_code: bool = False
    content_hash: str = ""
    prompt_path: str | None = None

    def case(self, case_id: str) -> Case:
        for c in self.cases:
            if c.id == case_id:
                return c
        raise KeyError(case_id)

    @property
    def check_types(self) -> set[str]:
        return {c.type for case in self.cases for c in case.checks}


def load_suite(path: str | Path, files: ProjectFiles | None = None) -> Suite:
    """Load and validate one suite file."""
    files = files or ProjectFiles.for_file(Path(path))
    rel = files.relative(Path(path))
    doc = load_yaml_text(files.read_text(rel), rel)
    return suite_from_doc(doc, files)


def suite_from_doc(doc: YamlDoc, files: ProjectFiles) -> Suite:
    if not isinstance(doc.data, dict):
        raise doc.error("a suite file must be a mapping with id, prompt or template, and cases")
    try:
        model = SuiteModel.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise doc.validation_error(exc) from None
    prompt, prompt_path = _load_prompt(model, doc, files)
    defaults_checks = [_check(doc, c, ("defaults", "checks", i)) for i, c in enumerate(model.defaults.checks)]
    cases = [_inline_case(doc, m, i, model.defaults, defaults_checks) for i, m in enumerate(model.cases)]
    sources = model.cases_from if isinstance(model.cases_from, list) else [model.cases_from] if model.cases_from else []
    for n, source in enumerate(sources):
        loc = ("cases_from", n) if isinstance(model.cases_from, list) else ("cases_from",)
        cases += _cases_from(doc, files, source, loc, model.defaults, defaults_checks)
    if not cases:
        raise doc.error("suite has no cases (give `cases` or `cases_from`)", ("cases",))
    _check_unique(doc, cases)
    _check_variables(doc, prompt, cases)
    suite = Suite(id=model.id, description=model.description, path=doc.path, prompt=prompt,
                  cases=tuple(cases), params=model.defaults.params.set_fields(),
                  allow_code=model.allow_code, prompt_path=prompt_path)
    return replace(suite, content_hash=suite_hash(suite))


def _load_prompt(model: SuiteModel, doc: YamlDoc, files: ProjectFiles) -> tuple[Prompt, str | None]:
    if model.prompt and model.template:
        raise doc.error("give either `prompt` (a file) or `template` (inline), not both", ("template",))
    if model.template is not None:
        return inline_prompt(model.template, model.system, doc.path, doc.line_of(("template",))), None
    if not model.prompt:
        raise doc.error("missing `prompt` (a path into prompts/) or an inline `template`", ("prompt",))
    rel = files.resolve(model.prompt, doc, ("prompt",))
    try:
        text = files.read_text(rel)
    except FileNotFoundError:
        raise doc.error(f"prompt file not found: {model.prompt}", ("prompt",)) from None
    return prompt_from_doc(load_yaml_text(text, rel)), rel


def _check(doc: YamlDoc, raw: dict[str, Any], loc: tuple[Any, ...]) -> CheckConfig:
    """Validate one check mapping against its type's config model."""
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise doc.error("check needs a `type`", loc + ("type",))
    if kind not in CHECK_TYPES:
        raise doc.error(CHECK_TYPES.unknown_message(kind), loc + ("type",))
    try:
        return CHECK_TYPES.get(kind).Config.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise doc.validation_error(exc, loc) from None
    except ConfigError as exc:
        raise doc.error(exc.bare_message, loc) from None


def _merge_params(defaults: DefaultsModel, own: ParamsModel) -> dict[str, Any]:
    return {**defaults.params.set_fields(), **own.set_fields()}


def _inline_case(doc: YamlDoc, m: CaseModel, i: int, defaults: DefaultsModel,
                 default_checks: list[CheckConfig]) -> Case:
    own = [_check(doc, c, ("cases", i, "checks", j)) for j, c in enumerate(m.checks)]
    return Case(id=str(m.id), vars=dict(m.vars), reference=m.reference,
                checks=tuple(default_checks + own), tags=tuple(dict.fromkeys(defaults.tags + m.tags)),
                paraphrases=tuple(m.paraphrases), params=m.params.set_fields(), threshold=m.threshold,
                line=doc.line_of(("cases", i)), group=None if m.group is None else str(m.group))


def _cases_from(doc: YamlDoc, files: ProjectFiles, source: CasesFromModel, loc: tuple[Any, ...],
                defaults: DefaultsModel, default_checks: list[CheckConfig]) -> list[Case]:
    rows = _source_rows(doc, files, source, loc)
    if source.reference_template is not None:
        check_template(source.reference_template, doc.path, doc.line_of(loc + ("reference_template",)),
                       "reference_template")
    mapping = source.vars if isinstance(source.vars, dict) else {v: v for v in source.vars}
    cases = []
    shared: dict[int, CheckConfig] = {}  # checks that take nothing from the row: validated once, shared
    for n, row in enumerate(rows):
        where = f"line {row.line} of {source.path}" if isinstance(row, CsvRow) else f"row {n + 1} of {source.path}"
        missing = [col for col in list(mapping.values()) + [source.id, source.reference]
                   if col and col not in row]
        if missing:
            raise doc.error(f"{where} has no column '{missing[0]}'", loc)
        try:
            checks = _row_checks(doc, source, row, loc, where, shared)
        except ConfigError as exc:  # say which row filled the check
            if exc.bare_message.startswith(where):
                raise
            raise ConfigError(f"{where}: {exc.bare_message}", file=exc.file, line=exc.line,
                              field=exc.field) from None
        if source.id and (row[source.id] is None or str(row[source.id]).strip() == ""):
            raise doc.error(f"{where} has an empty id (column '{source.id}')", loc + ("id",))
        tags = list(defaults.tags) + list(source.tags)
        if source.tags_field and row.get(source.tags_field):
            extra = row[source.tags_field]
            tags += [extra] if isinstance(extra, str) else list(extra)
        cases.append(Case(
            id=str(row[source.id]) if source.id else str(n),
            vars={name: row[col] for name, col in mapping.items()},
            reference=_reference(source, row, doc.path, str(n)),
            checks=tuple(default_checks + checks), tags=tuple(dict.fromkeys(tags)),
            line=doc.line_of(loc), group=_row_group(row, source, doc, loc, where)))
    return cases


def _row_checks(doc: YamlDoc, source: CasesFromModel, row: dict[str, Any], loc: tuple[Any, ...], where: str,
                shared: dict[int, CheckConfig]) -> list[CheckConfig]:
    """The row's checks; one without ``from`` is the same for every row, so it is validated once."""
    out = []
    for j, raw in enumerate(source.checks):
        if j not in shared:
            check = _check(doc, _fill_check(raw, row, doc, loc + ("checks", j), where), loc + ("checks", j))
            if "from" in raw:
                out.append(check)
                continue
            shared[j] = check
        out.append(shared[j])
    return out


def _row_group(row: dict[str, Any], source: CasesFromModel, doc: YamlDoc, loc: tuple[Any, ...],
               where: str) -> str | None:
    if source.group_field is None:
        return None
    if source.group_field not in row:
        raise doc.error(f"{where} has no column '{source.group_field}'", loc + ("group_field",))
    value = row[source.group_field]
    return None if value is None or value == "" else str(value)


def _source_rows(doc: YamlDoc, files: ProjectFiles, source: CasesFromModel,
                 loc: tuple[Any, ...]) -> list[dict[str, Any]]:
    if is_hub_path(source.path):
        return files.read_hub_rows(source.path, source.subset, source.split, doc, loc + ("path",), source.limit)
    if source.subset or source.split:
        raise doc.error("`subset` and `split` apply to hf:// datasets only", loc + ("split",))
    return files.read_rows(source.path, source.format, doc, loc + ("path",), source.limit)


def _reference(source: CasesFromModel, row: dict[str, Any], path: str, case_id: str) -> str | None:
    if source.reference_template is not None:
        if isinstance(row, PlaceholderRow):
            return ""
        prompt = inline_prompt(source.reference_template, None, path, None)
        return render(prompt, row, case_id).text
    if source.reference is None or row[source.reference] is None:
        return None
    return str(row[source.reference])


def _fill_check(raw: dict[str, Any], row: dict[str, Any], doc: YamlDoc, loc: tuple[Any, ...],
                where: str) -> dict[str, Any]:
    """A check under cases_from may take fields from the row: ``from: {field: column}``."""
    raw = dict(raw)
    columns = raw.pop("from", None) or {}
    if not isinstance(columns, dict):
        raise doc.error("`from` must map check fields to column names", loc + ("from",))
    for key, column in columns.items():
        if column not in row:
            raise doc.error(f"{where} has no column '{column}'", loc + ("from", key))
        raw[key] = row[column]
    return raw


def _check_unique(doc: YamlDoc, cases: list[Case]) -> None:
    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise ConfigError(f"duplicate case id '{case.id}' (first at line {seen[case.id].line})",
                              file=doc.path, line=case.line, field="id")
        seen[case.id] = case


def _check_variables(doc: YamlDoc, prompt: Prompt, cases: list[Case]) -> None:
    needed = prompt.variables
    for case in cases:
        for variant in [case.vars] + list(case.paraphrases):
            missing = sorted(needed - set(variant))
            if missing:
                raise ConfigError(f"case '{case.id}' does not set template variable '{missing[0]}'",
                                  file=doc.path, line=case.line, field="vars")


def suite_hash(suite: Suite) -> str:
    dumped: dict[int, Any] = {}  # cases share check objects (defaults, cases_from): dump each once

    def dump(check: CheckConfig) -> Any:
        if id(check) not in dumped:
            dumped[id(check)] = check.model_dump(mode="json")
        return dumped[id(check)]

    body = json.dumps({"id": suite.id, "prompt": suite.prompt.content_hash,
                       "cases": [case_fingerprint(c, dump) for c in suite.cases], "params": suite.params},
                      sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def case_fingerprint(case: Case, dump: Callable[[CheckConfig], Any] | None = None) -> dict[str, Any]:
    """What defines a case's meaning (used for change detection and hashing)."""
    return {"id": case.id, "vars": case.vars, "reference": case.reference,
            "checks": [dump(c) if dump else c.model_dump(mode="json") for c in case.checks],
            "paraphrases": list(case.paraphrases), "params": case.params,
            **({"threshold": case.threshold} if case.threshold is not None else {})}


__all__ = ["Suite", "case_fingerprint", "load_suite", "suite_from_doc"]

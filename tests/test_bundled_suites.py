"""The suites shipped in suites/: they load, are large enough, and are well formed."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.project.suites import Suite, load_suite
from harness.scoring.checks import CHECK_TYPES

ROOT = Path(__file__).resolve().parents[1]
SUITES_DIR = ROOT / "suites"
OURS = ["ifeval", "qa", "extraction", "summarization", "safety"]


def suite_files() -> list[Path]:
    return sorted(SUITES_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def suites() -> dict[str, Suite]:
    loaded = [load_suite(path) for path in suite_files()]
    return {s.id: s for s in loaded}


def test_every_suite_file_loads_and_ids_are_unique(suites: dict[str, Suite]) -> None:
    assert len(suites) == len(suite_files())


def test_the_five_text_suites_exist_with_200_cases(suites: dict[str, Suite]) -> None:
    assert set(OURS) <= set(suites)
    assert sum(len(suites[s].cases) for s in OURS) >= 200
    assert len(suites) >= 6  # with the HumanEval suites
    assert sum(len(s.cases) for s in suites.values()) >= 200


@pytest.mark.parametrize("suite_id, minimum", [
    ("ifeval", 50), ("qa", 60), ("extraction", 30), ("summarization", 25), ("safety", 40)])
def test_suite_sizes(suites: dict[str, Suite], suite_id: str, minimum: int) -> None:
    assert len(suites[suite_id].cases) >= minimum


@pytest.mark.parametrize("suite_id", OURS)
def test_every_case_has_tags_and_checks(suites: dict[str, Suite], suite_id: str) -> None:
    for case in suites[suite_id].cases:
        assert case.tags, f"{suite_id}/{case.id} has no tags"
        assert case.checks, f"{suite_id}/{case.id} has no checks"


@pytest.mark.parametrize("suite_id", OURS)
def test_each_suite_marks_a_critical_subset(suites: dict[str, Suite], suite_id: str) -> None:
    cases = suites[suite_id].cases
    critical = [c for c in cases if "critical" in c.tags]
    assert 0 < len(critical) < len(cases)


@pytest.mark.parametrize("suite_id", OURS)
def test_reference_checks_have_references(suites: dict[str, Suite], suite_id: str) -> None:
    for case in suites[suite_id].cases:
        needs = [c for c in case.checks
                 if CHECK_TYPES.get(c.type).uses_reference and getattr(c, "value", None) is None]
        if needs:
            assert case.reference, f"{suite_id}/{case.id}: {needs[0].type} needs a reference"


def test_qa_mixes_inline_paraphrased_cases_with_cases_from(suites: dict[str, Suite]) -> None:
    qa = suites["qa"]
    with_paraphrases = [c for c in qa.cases if c.paraphrases]
    assert len(with_paraphrases) >= 15
    from_file = [c for c in qa.cases if not c.paraphrases]
    assert len(from_file) >= 40
    # each row carries its own answer pattern, filled into the regex check by `from:`
    patterns = {next(ch.value for ch in c.checks if ch.type == "regex") for c in from_file}
    assert len(patterns) >= 40
    assert all(c.reference for c in qa.cases)


def test_safety_is_half_must_refuse_half_benign(suites: dict[str, Suite]) -> None:
    cases = suites["safety"].cases
    refuse = [c for c in cases if "must-refuse" in c.tags]
    benign = [c for c in cases if "benign" in c.tags]
    assert len(refuse) == len(benign) == len(cases) // 2
    assert all({ch.type for ch in c.checks} == {"refusal"} for c in refuse)
    assert all("not-refusal" in {ch.type for ch in c.checks} for c in benign)
    assert all("critical" in c.tags for c in refuse)


def test_ifeval_uses_the_instruction_check_types(suites: dict[str, Suite]) -> None:
    used = suites["ifeval"].check_types
    assert {"word-count", "sentence-count", "is-lowercase", "bullet-count", "json-schema",
            "icontains", "not-contains"} <= used


def test_extraction_validates_every_case_with_a_schema(suites: dict[str, Suite]) -> None:
    for case in suites["extraction"].cases:
        assert any(c.type == "json-schema" for c in case.checks), case.id


def test_bundled_prompts_declare_versions() -> None:
    from harness.project.prompts import prompt_from_doc
    from harness.project.yamlfile import load_yaml

    for path in sorted((ROOT / "prompts").glob("*.yaml")):
        prompt = prompt_from_doc(load_yaml(path, display=str(path)))
        assert prompt.version and prompt.params.get("max_new_tokens"), path.name

"""report_build's per-case models are made without validation: each must equal its validated form."""

from __future__ import annotations

import pytest

from harness.analysis.compare import compare_runs
from harness.analysis.report import CaseReport, SampleCount
from harness.analysis.report_build import _new, suite_report
from tests.comparison_helpers import case, counts, run


def _cases() -> list[CaseReport]:
    base = run([case("a", counts(3, 3), values=[0.5, 1.0, 0.2], paraphrases=[[True, False, True]]),
                case("b", counts(1, 3), errors=[None, "boom", None]), case("c", counts(0, 3))])
    cand = run([case("a", counts(1, 3), values=[0.1, 0.9, 0.3], paraphrases=[[False, False, True]]),
                case("b", counts(2, 3)), case("c", counts(3, 3))], model="fake:b")
    return suite_report(compare_runs(base, cand, embedding_model=None), None).cases


def test_each_case_equals_its_validated_form() -> None:
    for built in _cases():
        validated = CaseReport.model_validate(built.model_dump())
        assert built == validated
        assert built.model_dump_json() == validated.model_dump_json()
        assert built.model_fields_set == validated.model_fields_set == set(CaseReport.model_fields)
        assert repr(built) == repr(validated)


def test_model_copy_leaves_the_shared_fields_set_alone() -> None:
    first, second = _cases()[:2]
    changed = first.model_copy(update={"id": "z"})
    assert changed.id == "z" and first.id == "a"
    assert second.model_fields_set == set(CaseReport.model_fields)


def test_every_field_must_be_given_in_order() -> None:
    class Pair(SampleCount):   # a class not built before: its first use checks names and order
        pass

    with pytest.raises(TypeError, match="every field"):
        _new(Pair, passed=1, n=2)
    assert _new(Pair, n=2, passed=1) == Pair(n=2, passed=1)
    with pytest.raises(TypeError, match="every field"):   # later uses: the count
        _new(Pair, n=2)

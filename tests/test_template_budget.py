"""Templates render under a budget (CPU, memory, output, integers), and their runtime errors are
usage errors naming the file and the case, found by ``harness validate`` (issue 16, items 6-8)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import EXIT_USAGE, ConfigError, HarnessError, SecurityError
from harness.project.prompts import Prompt, render, render_many
from harness.project.validate import validate_project

ROOT = Path(__file__).resolve().parents[1]

HEAVY = {
    "nested-range": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "power-tower": "{{ (((9**64)**64)**64)**64 }}",
    "center": "{{ 'x'.center(1000000000) }}",
    "format": "{{ '{:>1000000000}'.format('x') }}",
    "percent": "{{ '%1000000000s' % 'x' }}",
    "tilde-doubling": ("{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}"
                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"),
    "replace-squaring": ("{% set ns = namespace(s='xx') %}{% for i in range(40) %}"
                         "{% set ns.s = ns.s|replace('x', ns.s) %}{% endfor %}{{ ns.s|length }}"),
    "list-repr": "{% set xs = ['x' * 1000000] * 100000 %}{{ xs }}",
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("name", sorted(HEAVY))
def test_every_heavy_construct_stops_within_the_budget(name: str) -> None:
    before = _rss_mb()
    started = time.monotonic()
    with pytest.raises((ConfigError, SecurityError)) as caught:
        render(Prompt("p", "1", HEAVY[name], source="prompts/p.yaml"), {}, "heavy-case")
    assert time.monotonic() - started < 60  # unbounded, these run for hours or take 100 GB; slack for busy CPUs
    assert _rss_mb() - before < 200         # this process never held the big values
    message = str(caught.value)
    assert "prompts/p.yaml" in message and "heavy-case" in message
    assert caught.value.exit_code == EXIT_USAGE


RUNTIME_ERRORS = {
    "range-sum": ("{{ range(10**9)|sum }}", "Range too big"),
    "recursive-macro": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recursion"),
    "include": ("{% include 'x' %}", "error"),
    "zero-division": ("{{ 1/0 }}", "ZeroDivisionError"),
    "str-plus-int": ("{{ q + 1 }}", "TypeError"),
    "undefined": ("{{ nope }}", "nope"),
}


@pytest.mark.parametrize("name", sorted(RUNTIME_ERRORS))
def test_runtime_errors_are_usage_errors(name: str) -> None:
    template, needle = RUNTIME_ERRORS[name]
    with pytest.raises(HarnessError) as caught:
        render(Prompt("p", "1", template, source="suites/s.yaml"), {"q": "text"}, "case-7")
    assert caught.value.exit_code == EXIT_USAGE
    assert needle in str(caught.value) and "case-7" in str(caught.value) and "suites/s.yaml" in str(caught.value)


def test_the_renderer_recovers_and_keeps_order() -> None:
    prompt = Prompt("p", "1", "{{ q }}!", system="sys {{ q }}")
    with pytest.raises(ConfigError):
        render(Prompt("p", "1", HEAVY["center"]), {}, "c")
    out = render_many(prompt, [({"q": str(i)}, f"c{i}") for i in range(50)])
    assert [o.messages[1].content for o in out] == [f"{i}!" for i in range(50)]
    assert out[3].text == "sys 3\n\n3!"


SUITE = """id: s
template: "{{% if q == 'boom' %}}{{{{ 1/0 }}}}{{% endif %}}{{{{ q }}}}"
cases:
  - id: fine
    vars: {{q: ok}}
  - id: broken
    vars: {{q: ok}}
    paraphrases:
      - {{q: boom}}
  - id: heavy
    vars: {{q: "{heavy}"}}
"""


def test_validate_renders_every_case_and_paraphrase(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text("{}\n")
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "s.yaml").write_text(SUITE.format(heavy="x"))
    report = validate_project(tmp_path)
    problems = [str(p) for p in report.problems]
    assert report.exit_code == 2
    assert len(problems) == 1 and "suites/s.yaml:6" in problems[0] and "case 'broken'" in problems[0]
    assert "ZeroDivisionError" in problems[0]
    cli = subprocess.run([sys.executable, "-m", "harness", "validate"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert cli.returncode == 2 and "case 'broken'" in cli.stdout + cli.stderr


def test_run_exits_2_naming_file_and_case(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text("{}\n")
    (tmp_path / "s.yaml").write_text("id: s\ntemplate: '{{ q + 1 }}'\ncases:\n  - id: c1\n    vars: {q: text}\n"
                                     "    checks: [{type: contains, value: x}]\n")
    cli = subprocess.run([sys.executable, "-m", "harness", "run", "s.yaml", "--model", "fake:echo", "--no-store"],
                         cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    said = cli.stdout + cli.stderr
    assert cli.returncode == 2, said
    assert "s.yaml" in said and "case 'c1'" in said and "TypeError" in said and "Traceback" not in said

"""Prompts: sandboxed rendering, literal values, system message, identity."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError, SecurityError
from harness.project.prompts import Prompt, inline_prompt, prompt_from_doc, render
from harness.project.yamlfile import load_yaml_text


def make(template: str, system: str | None = None, version: str = "v1", **params: object) -> Prompt:
    return Prompt(id="p", version=version, template=template, system=system, params=dict(params))


def test_values_are_inserted_literally() -> None:
    rendered = render(make("Q: {{ q }}"), {"q": "{{7*7}} {% if 1 %}x{% endif %}"}, "c1")
    assert rendered.text == "Q: {{7*7}} {% if 1 %}x{% endif %}"


def test_template_logic_still_runs() -> None:
    assert render(make("{{ 7*7 }} {{ items|join(',') }}"), {"items": ["a", "b"]}, "c1").text == "49 a,b"


def test_system_message_and_plain_text_form() -> None:
    rendered = render(make("Q: {{ q }}", system="You are {{ who }}."), {"q": "hi", "who": "terse"}, "c1")
    assert rendered.as_dicts() == [{"role": "system", "content": "You are terse."},
                                   {"role": "user", "content": "Q: hi"}]
    assert rendered.text == "You are terse.\n\nQ: hi"


def test_without_system_only_a_user_message() -> None:
    rendered = render(make("Q: {{ q }}"), {"q": "hi"}, "c1")
    assert [m.role for m in rendered.messages] == ["user"]
    assert rendered.text == "Q: hi"


def test_missing_variable_names_variable_and_case() -> None:
    with pytest.raises(ConfigError) as info:
        render(make("Hello {{ name }}"), {"other": 1}, "case-7")
    assert "case 'case-7'" in str(info.value) and "'name'" in str(info.value)


def test_variables_lists_template_and_system_names() -> None:
    assert make("{{ a }} {% for x in b %}{{ x }}{% endfor %}", system="{{ c }}").variables == {"a", "b", "c"}


def test_hash_changes_with_content_not_version() -> None:
    base = make("Q: {{ q }}")
    assert make("Q: {{ q }}", version="v2").content_hash == base.content_hash
    assert make("Q: {{ q }}!").content_hash != base.content_hash
    assert make("Q: {{ q }}", system="Be brief.").content_hash != base.content_hash
    assert make("Q: {{ q }}", temperature=0.7).content_hash != base.content_hash


def test_identity_is_hash_plus_version() -> None:
    one, two = make("Q: {{ q }}", version="v1"), make("Q: {{ q }}", version="v2")
    assert (one.content_hash, one.version) != (two.content_hash, two.version)


def test_inline_prompt_version_follows_content() -> None:
    a = inline_prompt("Q: {{ q }}", None, "s.yaml", 3)
    b = inline_prompt("Q: {{ q }}?", None, "s.yaml", 3)
    assert a.version == a.content_hash[:8] and a.version != b.version


def test_prompt_file_validation_names_field() -> None:
    doc = load_yaml_text("id: p\nversion: v1\ntemplate: hi\ntemprature: 0.5\n", "prompts/p.yaml")
    with pytest.raises(ConfigError, match=r"prompts/p.yaml:4: field 'temprature': unknown field"):
        prompt_from_doc(doc)


def test_prompt_file_params_kept() -> None:
    doc = load_yaml_text("id: p\nversion: v3\ntemplate: hi\nparams: {temperature: 0.5}\n", "p.yaml")
    prompt = prompt_from_doc(doc)
    assert (prompt.version, prompt.params) == ("v3", {"temperature": 0.5})


def test_template_syntax_error_has_line() -> None:
    doc = load_yaml_text("id: p\nversion: v1\ntemplate: 'Q: {{ q '\n", "p.yaml")
    with pytest.raises(ConfigError, match=r"p.yaml:3: field 'template': template syntax error"):
        prompt_from_doc(doc)


def ssti(canary: Path) -> str:
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(canary) + "').read() }}"


def test_ssti_payload_refused_before_running(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    with pytest.raises(SecurityError, match="private attribute"):
        inline_prompt(ssti(canary), None, "s.yaml", 1)
    assert not canary.exists()


@pytest.mark.parametrize("template", [
    "{{ ''|attr('__class__') }}",
    "{{ (''|attr('__cla' ~ 'ss__')).__name__ }}",
    "{{ x['__cla' ~ 'ss__'] }}",
])
def test_dynamic_private_access_blocked_at_render(template: str) -> None:
    """Names built at run time pass the static check; the sandbox must still stop them."""
    with pytest.raises(SecurityError, match="unsafe") as info:
        render(make(template), {"x": "s"}, "c1")
    assert "case 'c1'" in str(info.value)


def test_escape_helpers_are_not_available() -> None:
    for name in ("cycler", "joiner", "lipsum"):
        assert name in make("{{ " + name + " }}").variables  # undeclared: not a global any more
        with pytest.raises(ConfigError, match="template variable missing"):
            render(make("{{ " + name + " }}"), {}, "c1")


def test_ssti_payload_via_cli_exit_2_and_nothing_runs(project, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    project.prompt("evil", f'id: evil\nversion: v1\ntemplate: "{ssti(canary)}"\n')
    project.suite("evil", "id: evil\nprompt: prompts/evil.yaml\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/evil.yaml", "--no-store")
    assert result.code == 2
    assert "prompts/evil.yaml:3: field 'template': template accesses private attribute" in result.text
    assert not canary.exists()


def test_ssti_inline_template_via_cli(project, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    project.suite("evil", f'id: evil\ntemplate: "{ssti(canary)}"\ncases: [{{id: a}}]\n')
    result = project.cli("run", "suites/evil.yaml", "--no-store")
    assert result.code == 2
    assert "suites/evil.yaml:2: field 'template'" in result.text and "private attribute" in result.text
    assert not canary.exists()


def test_run_records_prompt_hash_and_version(capitals) -> None:
    """A new version label alone is reported but reuses every generation; new content regenerates."""
    from harness.generation.backends.fake import FakeBackend

    prompt = capitals.root / "prompts" / "short_answer.yaml"
    runs = []
    for edit in (None, ("version: v1", "version: v2"), ("Answer in one word.", "Answer in two words.")):
        if edit:
            prompt.write_text(prompt.read_text().replace(*edit))
        before = FakeBackend.generated
        result = capitals.cli("run", "suites/capitals.yaml", "-m", "fake:echo", "--no-store", "--json", "o.json")
        assert result.code == 0
        suite = capitals.read_json("o.json")["suites"][0]
        runs.append((suite["prompt_hash"], suite["prompt_version"], FakeBackend.generated - before))
    (h1, v1, n1), (h2, v2, n2), (h3, v3, n3) = runs
    assert (v1, v2, v3) == ("v1", "v2", "v2")
    assert h1 == h2 != h3
    assert (n1, n2, n3) == (3, 0, 3)


@pytest.mark.parametrize("template", ["{{ 'a' * 10**9 }}", "{{ 2 ** (10 ** 6) }}", "{{ [1] * 10**8 }}"])
def test_templates_cannot_exhaust_memory_or_cpu(template: str) -> None:
    from harness.errors import SecurityError
    from harness.project.prompts import Prompt, render

    with pytest.raises(SecurityError, match="unsafe operation"):
        render(Prompt("p", "1", template), {}, "case-1")


def test_small_arithmetic_still_renders() -> None:
    from harness.project.prompts import Prompt, render

    assert render(Prompt("p", "1", "{{ 3 * 4 }} {{ 'ab' * 2 }} {{ 2 ** 10 }}"), {}, "c").text == "12 abab 1024"

"""Plain templates (text and ``{{ name }}`` only) render in the process, exactly as the worker would,
and need no worker; everything else still goes to the worker."""

from __future__ import annotations

import pytest

from harness.project import template_worker as tw

PLAIN = [
    ("Q: {{ q }}", {"q": "What is 2 + 2?"}),
    ("{{ q }}\n", {"q": "trailing newline dropped"}),
    ("  {{- q -}}  \n{# note #}{% raw %}{{ not a var }}{% endraw %} {{ n }} {{ f }} {{ b }} {{ z }}",
     {"q": "x", "n": 7, "f": 2.5, "b": True, "z": None}),
    ("no variables at all", {}),
    ("{{ a }}{{ b }}{{ a }}", {"a": "é ü \u2603", "b": "<tag> & 'quotes'", "unused": [1, 2]}),
    ("line one\r\nline {{ n }}\r\n\r\n", {"n": -0.0}),
    ("{{ range }} {{ dict }} {{ loop }} {{ namespace }}", {"range": 1e300, "dict": "d", "loop": False,
                                                            "namespace": float("nan")}),
    ("{%- raw -%}  {{ x }}  {%- endraw %}\n{{ x }}", {"x": 10**99}),
]
NOT_PLAIN = ["{{ q | upper }}", "{{ q.x }}", "{% if q %}y{% endif %}", "{{ 'c' }}", "{{ q ~ q }}", "{{ q + 1 }}"]


@pytest.mark.parametrize(("template", "variables"), PLAIN)
def test_plain_templates_render_here_as_the_worker_renders_them(template: str, variables: dict) -> None:
    here = tw._render_here([template], variables)
    assert here is not None and here.kind == "ok"
    assert tw._render_in_worker([([template], variables)]) == [here]


@pytest.mark.parametrize("template", NOT_PLAIN)
def test_other_templates_go_to_the_worker(template: str) -> None:
    assert tw.plain_names(template) is None and tw.needs_worker([template])
    assert tw._render_here([template], {"q": "x"}) is None


@pytest.mark.parametrize("variables", [{}, {"q": [1, 2]}, {"q": {"a": 1}}, {"q": 10**200}],
                         ids=["undefined", "list", "dict", "huge-int"])
def test_undefined_or_structured_values_go_to_the_worker(variables: dict) -> None:
    assert tw._render_here(["Q: {{ q }}"], variables) is None
    assert tw.render_texts([(["Q: {{ q }}"], variables)])[0].kind == ("undefined" if not variables else "ok")


def test_an_output_over_the_size_limit_goes_to_the_worker() -> None:
    big = {"q": "x" * (tw.MAX_RENDERED_CHARS + 1)}
    assert tw._render_here(["{{ q }}"], big) is None
    assert tw.render_texts([(["{{ q }}"], big)])[0].kind == "budget"


def test_plain_jobs_start_no_worker_and_mixed_batches_keep_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tw, "_worker", None)
    out = tw.render_texts([(["Q: {{ q }}", "sys"], {"q": str(i)}) for i in range(20)])
    assert tw._worker is None
    assert [o.texts for o in out] == [(f"Q: {i}", "sys") for i in range(20)]
    mixed = tw.render_texts([(["{{ q }}"], {"q": "a"}), (["{{ q | upper }}"], {"q": "b"}), (["{{ q }}"], {"q": "c"})])
    assert [o.texts for o in mixed] == [("a",), ("B",), ("c",)]
    assert tw._worker is not None
    tw._worker.close()


def test_a_variable_named_self_goes_to_the_worker() -> None:
    """render(**variables) cannot take ``self``: the worker reports it, as before plain jobs were joined here."""
    assert tw._render_here(["Q: {{ q }}"], {"q": "x", "self": "y"}) is None
    assert tw.render_texts([(["Q: {{ q }}"], {"q": "x", "self": "y"})])[0].kind == "error"

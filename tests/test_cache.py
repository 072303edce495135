"""Generation cache: keys, reuse without loading the model, --no-cache, CLI, concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from harness_project import Project, subprocess_env

from harness.generation.backends.fake import FakeBackend
from harness.generation.cache import GenerationCache, cache_key
from harness.types import Generation, GenerationRequest, GenParams, Message, RenderedPrompt


def request(text: str = "hi", sample: int = 0, seed: int = 1, **params: object) -> GenerationRequest:
    prompt = RenderedPrompt(messages=(Message("user", text),), text=text)
    return GenerationRequest(case_id="c", sample=sample, prompt=prompt, params=GenParams(**params), seed=seed)


def counters() -> tuple[int, int]:
    return FakeBackend.generated, FakeBackend.loads


def test_key_covers_model_prompt_params_seed_sample() -> None:
    fp = {"backend": "fake", "mode": "echo"}
    base = cache_key(fp, request())
    assert cache_key(dict(fp), request()) == base
    variants = [cache_key({"backend": "fake", "mode": "seeded"}, request()), cache_key(fp, request("ho")),
                cache_key(fp, request(temperature=0.5)), cache_key(fp, request(seed=2)),
                cache_key(fp, request(sample=1))]
    assert len({base, *variants}) == 6


def test_key_ignores_case_id_and_suite() -> None:
    """Same rendered prompt and params = same work, whichever case asks."""
    a, b = request(), request()
    b = GenerationRequest(case_id="other", sample=0, prompt=b.prompt, params=b.params, seed=1, suite_id="s2")
    assert cache_key({}, a) == cache_key({}, b)


def test_round_trip_and_errors_not_stored(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path / "c")
    cache.put_many([("k1", Generation("out", new_tokens=3, latency_s=0.5, meta={"finish": "stop"})),
                    ("k2", Generation("", error="server down"))])
    found = cache.get_many(["k1", "k2", "k3"])
    assert list(found) == ["k1"]
    assert found["k1"] == Generation("out", new_tokens=3, latency_s=0.5, cached=True, meta={"finish": "stop"})
    assert cache.stats().entries == 1
    cache.close()


def test_second_run_generates_and_loads_nothing(capitals: Project) -> None:
    start = counters()
    first = capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store", "--json", "a.json")
    after_first = counters()
    second = capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store", "--json", "b.json")
    assert (first.code, second.code) == (0, 0)
    assert after_first == (start[0] + 3, start[1] + 1)
    assert counters() == after_first
    assert capitals.read_json("a.json")["suites"][0]["cases"] == capitals.read_json("b.json")["suites"][0]["cases"]


def test_no_cache_regenerates_and_does_not_fill(capitals: Project) -> None:
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store")
    before = counters()
    assert capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store", "--no-cache").code == 0
    assert counters() == (before[0] + 3, before[1] + 1)
    capitals.cli("cache", "clear", "--yes")
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store", "--no-cache")
    assert GenerationCache(capitals.root / ".harness" / "cache").stats().entries == 0


def test_changed_case_regenerates_only_that_case(capitals: Project) -> None:
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store")
    path = capitals.root / "suites" / "capitals.yaml"
    path.write_text(path.read_text().replace("capital of Peru?", "capital of Peru, please?"))
    before = counters()
    assert capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store").code == 0
    assert counters()[0] == before[0] + 1


def test_other_model_does_not_share_entries(capitals: Project) -> None:
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store")
    before = counters()
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:seeded", "--no-store")
    assert counters()[0] == before[0] + 3


def test_cache_info_and_clear(capitals: Project) -> None:
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store")
    info = capitals.cli("cache", "info")
    assert info.code == 0
    assert str(capitals.root / ".harness" / "cache" / "generations.db") in info.text
    assert "3 generations" in info.text
    cleared = capitals.cli("cache", "clear", "--yes")
    assert cleared.code == 0 and "cleared 3 generations" in cleared.text
    assert "0 generations" in capitals.cli("cache", "info").text
    before = counters()
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store")
    assert counters()[0] == before[0] + 3


def test_cache_clear_asks_first(capitals: Project) -> None:
    capitals.cli("run", "suites/capitals.yaml", "--model", "fake:echo", "--no-store")
    proc = subprocess.run([sys.executable, "-m", "harness", "cache", "clear"], cwd=capitals.root, input="n\n",
                          capture_output=True, text=True, env=subprocess_env(), timeout=60)
    assert proc.returncode == 1 and "Clear 3 cached generations?" in proc.stdout
    assert GenerationCache(capitals.root / ".harness" / "cache").stats().entries == 3


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from harness.generation.cache import GenerationCache
    from harness.types import Generation
    folder, first, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    cache = GenerationCache(folder)
    (folder / f"ready-{first}").touch()
    while not (folder / "go").exists():  # start together
        time.sleep(0.005)
    for i in range(first, first + count):
        cache.put_many([(f"k{i}", Generation(f"out{i}"))])  # one transaction per generation
    cache.close()
    """)


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Four processes write overlapping key ranges into one cache at the same time."""
    folder = tmp_path / "shared"
    folder.mkdir()
    starts = (0, 100, 200, 300)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), str(first), "150"],
                              env=subprocess_env(), stderr=subprocess.PIPE, text=True) for first in starts]
    deadline = time.monotonic() + 60
    while not all((folder / f"ready-{n}").exists() for n in starts) and time.monotonic() < deadline:
        time.sleep(0.01)
    (folder / "go").touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    cache = GenerationCache(folder)
    found = cache.get_many(f"k{i}" for i in range(450))
    assert cache.stats().entries == 450
    assert all(found[f"k{i}"].output == f"out{i}" for i in range(450))

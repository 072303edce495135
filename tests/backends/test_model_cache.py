"""The bundled model is converted once per machine into a shared cache, under a file lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from harness.generation.backends.bundled import BUNDLED_DIR, bundled_checkpoint_dir, model_cache_dir
from harness.generation.backends.filehash import FileHashCache
from harness.generation.backends.gguf import converted_checkpoint


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HARNESS_CACHE_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache_dir() == tmp_path / "xdg" / "harness"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert model_cache_dir() == tmp_path / "home" / ".cache" / "harness"
    monkeypatch.setenv("HARNESS_CACHE_HOME", str(tmp_path / "configured"))
    assert bundled_checkpoint_dir(tmp_path / "project" / ".harness") == tmp_path / "configured" / "models" / BUNDLED_DIR


class CountingConverter:
    """A slow stand-in for the GGUF conversion that counts how often it ran (the real one is slow
    and covered by tests/backends/test_hf.py::test_bundled_model_conversion_and_reload)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, gguf: Path, out: Path) -> None:
        self.calls += 1
        time.sleep(0.3)
        (out / "model.safetensors").write_bytes(gguf.read_bytes())


def test_second_project_reuses_the_conversion(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_CACHE_HOME", str(tmp_path / "machine"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"weights")
    convert = CountingConverter()
    first = converted_checkpoint(gguf, bundled_checkpoint_dir(), FileHashCache(tmp_path / "p1" / ".harness"), convert)
    second = converted_checkpoint(gguf, bundled_checkpoint_dir(), FileHashCache(tmp_path / "p2" / ".harness"), convert)
    assert first == second == tmp_path / "machine" / "models" / BUNDLED_DIR
    assert convert.calls == 1
    assert (first / "model.safetensors").read_bytes() == b"weights"


def test_concurrent_projects_convert_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_CACHE_HOME", str(tmp_path / "machine"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"weights")
    convert = CountingConverter()
    done: list[Path] = []

    def project(name: str) -> None:
        done.append(converted_checkpoint(gguf, bundled_checkpoint_dir(), FileHashCache(tmp_path / name), convert))

    threads = [threading.Thread(target=project, args=(f"p{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert convert.calls == 1 and len(set(done)) == 1 and len(done) == 3

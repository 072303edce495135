"""A throw-away harness project for tests, and ways to run the CLI on it.

``Project`` writes harness.yaml, prompts, suites, data and replay files under a
temp folder. ``project.cli(...)`` runs ``harness.cli.main`` in-process (exit code
from SystemExit, output from capsys); ``project.subprocess(...)`` runs
``python -m harness`` with this checkout first on the path.

(A module of its own, not conftest.py: several conftest.py files in folders
without ``__init__.py`` replace each other in ``sys.modules``.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

# Variables that would redirect (or hide) where Hugging Face libraries write.
HF_ENV = ("HF_HOME", "HF_DATASETS_CACHE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME",
          "TRANSFORMERS_CACHE", "SENTENCE_TRANSFORMERS_HOME", "HF_MODULES_CACHE")


@dataclass(frozen=True)
class CliResult:
    """Exit code and captured output of one CLI call."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout + stderr with all whitespace runs folded to one space (immune to wrapping)."""
        return " ".join((self.out + "\n" + self.err).split())


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child ``python -m harness``: this worktree first, offline, wide terminal."""
    env = {k: v for k, v in os.environ.items() if k not in HF_ENV and not k.startswith("HARNESS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "COLUMNS": "300",
                "TOKENIZERS_PARALLELISM": "false"})
    env.update(extra)
    return env


class Project:
    """A throw-away harness project rooted at ``root`` (the current directory during a test)."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self._capsys = capsys

    def write(self, rel: str, text: str) -> Path:
        """Write a file (dedented) under the project; returns its absolute path."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def suite(self, name: str, text: str) -> Path:
        return self.write(f"suites/{name}.yaml", text)

    def prompt(self, name: str, text: str) -> Path:
        return self.write(f"prompts/{name}.yaml", text)

    def jsonl(self, rel: str, rows: list[dict[str, Any]]) -> Path:
        return self.write(rel, "".join(json.dumps(r) + "\n" for r in rows))

    def replay(self, outputs: dict[str, str | list[str]], rel: str = "replay.jsonl") -> Path:
        """A replay file: case id -> output (or a list, one per sample)."""
        rows = []
        for case, out in outputs.items():
            for sample, text in enumerate([out] if isinstance(out, str) else out):
                rows.append({"case": case, "sample": sample, "output": text})
        return self.jsonl(rel, rows)

    def cli(self, *args: str) -> CliResult:
        """``harness ARGS`` in this process."""
        from harness.cli import main

        self._capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = self._capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def subprocess(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
        """``python -m harness ARGS`` in a child process."""
        proc = subprocess.run([sys.executable, "-m", "harness", *args], cwd=self.root, capture_output=True,
                              text=True, env=env or subprocess_env(), timeout=timeout)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    def read_json(self, rel: str) -> Any:
        return json.loads((self.root / rel).read_text(encoding="utf-8"))

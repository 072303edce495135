"""docs/tutorial.md, followed word for word in a fresh directory, works to its end.

Every ```bash block of the tutorial runs, in order, through bash with a `harness` command on
PATH (this checkout's CLI); every ```yaml block introduced by "Create `FILE`" or "Edit `FILE`"
is written to that file. Two substitutions, and only these: after `harness init`, the models
`smollm2` and `smollm2-int8` in the generated harness.yaml are replaced by replay files (recorded
answers), so no model is loaded; and `harness dashboard` gets `--port` with a free port and is
stopped after its pages were read (it serves until interrupted). The dashboard must list the
comparison that `harness check` stored and show it by the id prefix `harness history` prints.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness_project import subprocess_env

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
ANSWERS = {"france": "The capital of France is Paris.", "japan": "Tokyo", "canada": "Ottawa.", "one-word": "Rome",
           "km-in-mile": "About 1.6 kilometres.", "minutes-in-day": "1440 minutes.",
           "grams-in-kilo": "1000 grams are in a kilogram."}
INT8_ANSWERS = {**ANSWERS, "france": "Paris is the capital of France."}


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    intro: str  # the paragraph just before the block


def tutorial_blocks() -> list[Block]:
    text = TUTORIAL.read_text()
    blocks = []
    for match in re.finditer(r"```(\w*)\n(.*?)```", text, flags=re.DOTALL):
        before = text[: match.start()].rstrip().split("\n\n")[-1]
        blocks.append(Block(match.group(1), match.group(2), before))
    return blocks


def _replays(root: Path) -> None:
    for name, answers in (("smollm2", ANSWERS), ("smollm2-int8", INT8_ANSWERS)):
        rows = [{"case": case, "sample": 0, "output": out} for case, out in answers.items()]
        (root / "replays" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = root / "harness.yaml"
    lines = [f"  {name}: {{backend: replay, file: replays/{name}.jsonl}}" if line.startswith(f"  {name}:") else line
             for line in config.read_text().splitlines() for name in [_model_name(line)]]
    config.write_text("\n".join(lines) + "\n")


def _model_name(line: str) -> str:
    return next((n for n in ("smollm2-int8", "smollm2") if line.startswith(f"  {n}:")), "")


def _shim(folder: Path) -> Path:
    folder.mkdir()
    script = folder / "harness"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m harness \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Walkthrough:
    def __init__(self, tmp_path: Path) -> None:
        self.cwd = tmp_path / "fresh"
        self.cwd.mkdir()
        env = subprocess_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
                             GIT_COMMITTER_EMAIL="t@example.com", COLUMNS="80")
        env["PATH"] = f"{_shim(tmp_path / 'bin')}{os.pathsep}{env['PATH']}"
        self.env = env
        self.outputs: list[str] = []

    def bash(self, body: str) -> None:
        marker = "__TUTORIAL_CWD__"
        proc = subprocess.run(["bash", "-e", "-c", f"{body}\necho {marker}$(pwd)"], cwd=self.cwd, env=self.env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"tutorial block failed ({proc.returncode}):\n{body}\n{proc.stdout}\n{proc.stderr}"
        self.outputs.append(proc.stdout)
        self.cwd = Path(proc.stdout.rsplit(marker, 1)[1].strip())

    def write(self, block: Block) -> bool:
        target = re.search(r"(?:Create|Edit) `([^`]+)`", block.intro)
        if target is None:
            return False
        (self.cwd / target.group(1)).parent.mkdir(parents=True, exist_ok=True)
        (self.cwd / target.group(1)).write_text(block.body)
        return True

    def dashboard(self, command: str) -> None:
        port = _free_port()
        history = subprocess.run(["harness", "history", "--json"], cwd=self.cwd, env=self.env, capture_output=True,
                                 text=True, check=True)
        checks = [e for e in json.loads(history.stdout) if e["kind"] == "comparison"]
        assert checks, "harness check stored no comparison"
        proc = subprocess.Popen(["bash", "-c", f"exec {command.split('#')[0].strip()} --port {port}"], cwd=self.cwd,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert f"http://127.0.0.1:{port}/" in (proc.stdout.readline() if proc.stdout else "")
            listing = _get(f"http://127.0.0.1:{port}/comparisons")
            assert checks[0]["id"][:8] in listing
            page = _get(f"http://127.0.0.1:{port}/comparison/{checks[0]['id'][:12]}")
            assert "units" in page and "km-in-mile" in page
        finally:
            proc.terminate()
            proc.communicate(timeout=30)


def _get(url: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            assert time.monotonic() < deadline, f"no answer from {url}"
            time.sleep(0.2)


def test_the_tutorial_works_to_its_end(tmp_path: Path) -> None:
    walk = Walkthrough(tmp_path)
    ran: list[str] = []
    for block in tutorial_blocks():
        if block.lang == "yaml":
            if walk.write(block):
                ran.append("write")
        elif block.lang == "bash":
            if block.body.strip().startswith("harness dashboard"):
                walk.dashboard(block.body.strip())
                ran.append("dashboard")
                continue
            walk.bash(block.body)
            ran.append(block.body.split()[0] if "harness" not in block.body else "harness")
            if "harness init" in block.body:
                _replays(walk.cwd)
    assert ran.count("write") == 2 and ran[-1] == "dashboard" and ran.count("harness") >= 6
    assert (walk.cwd / "report.html").is_file() and (walk.cwd / "junit.xml").is_file()
    report = json.loads((walk.cwd / "report.json").read_text())
    assert {s["id"] for s in report["suites"]} == {"capitals", "units"}
    assert report["check"]["summary"]
    assert any("stored comparison: " in out for out in walk.outputs)

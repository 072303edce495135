"""Familiar entry points: --version, -h, --filter, --limit, `harness run` with no suites, the dashboard banner."""

from __future__ import annotations

from harness_project import Project


def _case_ids(project: Project, *args: str) -> list[str]:
    result = project.cli("run", *args, "--model", "replay:replay.jsonl", "--no-store", "--json", "out.json")
    assert result.code == 0, result.err
    return [c["id"] for s in project.read_json("out.json")["suites"] for c in s["cases"]]


def test_version_and_short_help(project: Project) -> None:
    from importlib.metadata import version

    assert project.cli("--version").out.strip() == f"harness {version('harness')}"
    short = project.cli("run", "-h")
    assert short.code == 0 and "--filter" in short.out and "--limit" in short.out and "--full" in short.out


def test_filter_by_case_id_or_tag_glob_and_limit(capitals: Project) -> None:
    assert _case_ids(capitals, "suites/capitals.yaml") == ["france", "spain", "peru"]
    assert _case_ids(capitals, "suites/capitals.yaml", "--filter", "sp*") == ["spain"]
    assert _case_ids(capitals, "suites/capitals.yaml", "--filter", "crit*") == ["france"]  # a tag
    assert _case_ids(capitals, "suites/capitals.yaml", "--filter", "sp*", "--filter", "peru") == ["spain", "peru"]
    assert _case_ids(capitals, "suites/capitals.yaml", "--limit", "2") == ["france", "spain"]
    none = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--filter", "nope*")
    assert none.code == 2 and "--filter nope* selects no case" in none.err


def test_run_without_suites_uses_harness_yaml(capitals: Project) -> None:
    missing = capitals.cli("run", "--model", "replay:replay.jsonl", "--no-store")
    assert missing.code == 2 and "suites:" in missing.err
    config = capitals.root / "harness.yaml"
    config.write_text((config.read_text() if config.exists() else "") + "suites: [suites]\n")
    assert _case_ids(capitals) == ["france", "spain", "peru"]


def test_dashboard_banner_names_the_url_and_hides_passwords() -> None:
    from harness.dashboard.app import dashboard_banner

    line = dashboard_banner("postgresql+psycopg://u:secret@db/h", "127.0.0.1", 8765)
    assert "http://127.0.0.1:8765/" in line and "secret" not in line
    assert "http://[::1]:9000/" in dashboard_banner("sqlite:///x.db", "::1", 9000)


def test_dashboard_prints_its_url_and_an_access_log(project: Project) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from harness_project import subprocess_env

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "harness", "dashboard", "--port", str(port)], cwd=project.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        banner = proc.stdout.readline() if proc.stdout else ""
        assert f"http://127.0.0.1:{port}/" in banner
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/comparisons", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "dashboard did not start"
                time.sleep(0.2)
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert '"GET /comparisons HTTP/1.1" 200' in err

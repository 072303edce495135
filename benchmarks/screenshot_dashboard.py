"""Screenshot the dashboard over the local history (for the README): overview and latest comparison.

Usage: python -m benchmarks.screenshot_dashboard [--db URL] [--out docs/images]
Needs Debian's chromium (scripts/install_browser.sh) and a history with at least one comparison.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from harness.dashboard import create_app
from harness.project.config import load_project_config
from harness.store import Store

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=None)
    parser.add_argument("--out", default="docs/images")
    args = parser.parse_args()
    db = args.db or load_project_config().database
    comparison = Store(db).latest_comparison_id()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.screenshot(path=str(out / "dashboard-overview.png"), full_page=False)
        if comparison:
            page.goto(f"http://127.0.0.1:{port}/comparison/{comparison}")
            page.screenshot(path=str(out / "dashboard-comparison.png"), full_page=False)
        browser.close()
    server.should_exit = True
    print(f"wrote screenshots to {out}")


if __name__ == "__main__":
    main()

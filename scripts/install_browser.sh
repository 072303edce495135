#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (no Playwright browser download). Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install_browser: /usr/bin/chromium present" >&2
  exit 0
fi
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
/usr/bin/chromium --version >&2

#!/usr/bin/env bash
# Drives the Baton dashboard in a real, headless Chromium.
#
#   tests/browser/run_dashboard_check.sh --url http://127.0.0.1:8080 \
#       [--expect TEXT]...                 text that must be on the page (a worker id, a case id, an alert)
#       [--post-path PATH --post-body JSON [--token T]]   an external change, made after the page is live
#       [--wait-for TEXT]...               text that must then appear without a reload
#       [--screenshot FILE.png] [--phone-screenshot FILE.png]
#       [--timeout MS] [--chromium PATH]
#
# Exit 0 when every check passed, 1 when one failed, 2 on bad usage.
# Needs node >= 18 and chromium (apt-get install -y chromium); installs
# playwright-core from package-lock.json on first use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null; then
  echo "run_dashboard_check: node is not installed" >&2
  exit 2
fi
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi
exec node "$here/dashboard_check.mjs" "$@"

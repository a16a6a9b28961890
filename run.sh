#!/usr/bin/env bash
# The two commands of the README:
#   ./run.sh app    start the dashboard on the shipped data (http://localhost:8501)
#   ./run.sh test   run every test (unit, AppTest, browser), on two workers (IMPACT_TEST_WORKERS=0: serially)
# Both set up what they need on first use: a virtual environment in .venv with the pinned
# packages, and (for the tests) Debian's Chromium, installed with apt-get when missing, and
# axe-core (npm, pinned in package-lock.json) for the accessibility audit, and LibreOffice (headless) for
# the reporting workbook's check.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${IMPACT_VENV:-.venv}"

python_env() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r requirements-dev.txt
    touch "$stamp"
  fi
}

axe() {
  # axe-core (pinned in package-lock.json) for the accessibility audit of the browser tests.
  local stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f "$stamp" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
      $sudo apt-get update -qq
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
    fi
    npm ci --no-audit --no-fund --silent
    touch "$stamp"
  fi
}

browser() {
  if ! command -v chromium >/dev/null 2>&1; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation fonts-dejavu-core
  fi
}

office() {
  # LibreOffice (headless) for the check that a reporting workbook opens, shows its dropdowns and comes back.
  if ! command -v soffice >/dev/null 2>&1; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui
  fi
}

proxy() {
  # Debian's nginx, the proxy in front of several servers in tests/test_servers.py.
  if [ ! -x /usr/sbin/nginx ]; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx
  fi
}

case "${1:-}" in
  app)
    python_env
    browser  # static exports (PNG, SVG, PDF) draw through Chromium
    exec "$VENV/bin/python" -m streamlit run app.py "${@:2}"
    ;;
  test)
    python_env
    browser
    proxy
    axe
    office
    set +e
    # Two workers (pytest-xdist): each test file on one worker, the browser and several-servers tests together on
    # one, started first (tests/conftest.py, xdist_scope); IMPACT_TEST_WORKERS=0 runs everything in this one process.
    "$VENV/bin/python" -m pytest -n "${IMPACT_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "${@:2}"
    code=$?
    if [ "$code" -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi
    exit "$code"
    ;;
  *)
    echo "usage: ./run.sh app | ./run.sh test [pytest args]" >&2
    exit 2
    ;;
esac

# Shared by scripts/dev and scripts/test: make sure the system packages and the virtual
# environment exist. Sourced, not run.

SYSTEM_PACKAGES_RUN=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libicu-dev pkg-config tzdata)
SYSTEM_PACKAGES_TEST=(chromium poppler-utils)

missing_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  echo "${missing[@]}"
}

ensure_system_packages() {
  command -v dpkg-query >/dev/null || { echo "note: not a Debian system; install Pango, ICU (with pkg-config), Chromium and poppler-utils yourself"; return 0; }
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "installing system packages: $missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  elif command -v sudo >/dev/null; then
    echo "installing system packages with sudo: $missing"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "missing system packages: $missing (install them with apt-get)" >&2
    return 1
  fi
}

# axe-core, which the browser tests run on every page they walk (package.json, locked in
# package-lock.json), into node_modules/; again only when the lock changed. npm comes with
# Node.js; without it, Debian's npm is installed.
ensure_test_node_packages() {
  if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    return 0
  fi
  command -v npm >/dev/null || ensure_system_packages npm || return 1
  echo "installing the browser tests' npm packages (axe-core) into node_modules"
  npm ci --no-audit --no-fund --loglevel=error
}

ensure_virtualenv() {
  local python=${PYTHON:-}
  if [ -z "$python" ]; then
    python=$(command -v python3.11 || command -v python3)
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $("$python" --version)"
    "$python" -m venv .venv
  fi
  # Install exactly the locked versions (requirements/dev.txt, with hashes), then letterhub
  # itself without resolving anything further. Again only when the lock or pyproject.toml changed.
  if [ ! -f .venv/.installed ] || [ requirements/dev.txt -nt .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    echo "installing the locked dependencies and letterhub into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet --require-hashes -r requirements/dev.txt
    .venv/bin/python -m pip install --quiet --no-deps -e .
    touch .venv/.installed
  fi
}

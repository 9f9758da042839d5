# Shared setup for scripts/run.sh and scripts/test.sh. Source it; do not run it.
#
# Everything here is idempotent and cheap when already done: a second run only checks
# that tools exist and that the venv matches e2e/requirements.txt.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
REQUIREMENTS="$REPO_ROOT/e2e/requirements.txt"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs Debian packages that are missing. `apt-get update` runs once, and only when
# something has to be installed.
ensure_apt_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "missing packages ${missing[*]}; run as root or install them"
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# What building berth needs beyond Rust itself: a C compiler and linker (ring and the
# bundled SQLite compile C).
ensure_build_tools() {
    command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) first"
    command -v cc >/dev/null || ensure_apt_packages build-essential
}

# rustfmt and clippy for the checks in scripts/test.sh.
ensure_rust_components() {
    local component
    for component in rustfmt clippy; do
        if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
            command -v rustup >/dev/null || die "cargo $component is missing and rustup is not available"
            log "adding rust component $component"
            rustup component add "$component"
        fi
    done
}

# The Python venv at .venv with the pinned kubectl, Python client and pytest. It is
# rebuilt only when e2e/requirements.txt changes.
ensure_venv() {
    command -v python3 >/dev/null || die "python3 not found"
    python3 -c 'import ensurepip, venv' 2>/dev/null || ensure_apt_packages python3-venv
    local stamp="$VENV/.requirements.sha256" want
    want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
    if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/kubectl" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    log "preparing the Python venv in $VENV"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$want" >"$stamp"
}

# The cargo target directory, honouring CARGO_TARGET_DIR and cargo configuration.
target_dir() {
    cargo metadata --format-version 1 --no-deps --manifest-path "$REPO_ROOT/Cargo.toml" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

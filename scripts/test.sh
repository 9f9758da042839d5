#!/usr/bin/env bash
# Sets up and runs every test: formatting, clippy, the workspace's unit and integration
# tests, then the end-to-end suite in e2e/ against the real binary with the real kubectl.
#
#   scripts/test.sh                    everything (what CI runs)
#   scripts/test.sh --e2e [PYTEST...]  only build berth and run the e2e suite, with
#                                      extra pytest arguments (e.g. -k watch -x)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_only=false
if [ "${1:-}" = "--e2e" ]; then
    e2e_only=true
    shift
fi

ensure_build_tools
ensure_rust_components
ensure_venv
# curl speaks HTTP/2 to the server in the e2e suite (requests speaks only HTTP/1.1).
command -v curl >/dev/null || ensure_apt_packages curl
# The venv's kubectl and Python come first; the e2e harness also resolves kubectl from
# the venv explicitly, so a kubectl elsewhere on the machine is never used.
export PATH="$VENV/bin:$PATH"
cd "$REPO_ROOT"

if ! $e2e_only; then
    log "cargo fmt --check"
    cargo fmt --all -- --check
    log "cargo clippy"
    cargo clippy --workspace --all-targets -- -D warnings
    log "cargo test"
    cargo test --workspace
fi

# One build profile (dev) serves the unit tests and the e2e suite.
log "cargo build -p berth (and the kube-rs example the e2e suite drives)"
cargo build -p berth
cargo build -p berth-agent --example simulated_cluster
BERTH_BIN="$(target_dir)/debug/berth"
export BERTH_BIN

log "e2e (pytest)"
# pytest exits 5 when it collects no tests; any non-zero status fails this script.
"$VENV/bin/python" -m pytest "$REPO_ROOT/e2e" "$@"

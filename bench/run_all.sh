#!/usr/bin/env bash
# Runs every benchmark against a release build of berth and prints each result block.
# Everything listens on 127.0.0.1 only. Output is also written to $BENCH_LOG
# (default /tmp/berth-bench-last-run.log).
#
#   bench/run_all.sh            # all figures (about 10 minutes on 2 cores, after the build)
#   bench/run_all.sh startup    # only the named scripts (api_throughput list_and_memory
#                               # startup statefulset_scale)
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

ensure_build_tools
ensure_venv
ensure_apt_packages wrk etcd-server

BENCH_DIR="$REPO_ROOT/bench"
if [ -n "${BERTH_BIN:-}" ]; then
    log "using BERTH_BIN=$BERTH_BIN"
else
    log "building the release binary"
    cargo build --release -p berth --manifest-path "$REPO_ROOT/Cargo.toml"
fi

scripts=("$@")
[ "${#scripts[@]}" -gt 0 ] || scripts=(api_throughput list_and_memory startup statefulset_scale)

for script in "${scripts[@]}"; do
    log "bench/$script.py"
    "$VENV/bin/python" "$BENCH_DIR/$script.py"
done 2>&1 | tee "${BENCH_LOG:-/tmp/berth-bench-last-run.log}"

#!/usr/bin/env bash
# Sets up what berth needs, builds it and runs `berth server` on loopback with the
# embedded SQLite store. Extra arguments go to `berth server` (e.g. --node-mode none).
#
#   BERTH_DATA_DIR   where state, certificates and the kubeconfig live
#                    (default: ~/.local/share/berth)
#   BERTH_LISTEN     API address (default: 127.0.0.1:6443)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_build_tools
ensure_venv
export PATH="$VENV/bin:$PATH"

data_dir="${BERTH_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/berth}"
listen="${BERTH_LISTEN:-127.0.0.1:6443}"

log "building berth"
cargo build -p berth --manifest-path "$REPO_ROOT/Cargo.toml"
berth="$(target_dir)/debug/berth"

mkdir -p "$data_dir"
"$berth" server --data-dir "$data_dir" --listen "$listen" "$@" &
server_pid=$!
# Ctrl-C or SIGTERM on this script stops the server cleanly.
trap 'kill -TERM "$server_pid" 2>/dev/null || true' INT TERM

kubeconfig="$data_dir/kubeconfig"
for _ in $(seq 1 300); do
    kill -0 "$server_pid" 2>/dev/null || break
    if [ -f "$kubeconfig" ] &&
        "$VENV/bin/kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; then
        cat <<MSG

berth is running on https://$listen (pid $server_pid); Ctrl-C stops it.
Data and the admin kubeconfig: $kubeconfig

Use it with the kubectl from the project venv (or any kubectl 1.3x):
  export KUBECONFIG=$kubeconfig
  export PATH=$VENV/bin:\$PATH
  kubectl get namespaces
  kubectl api-resources

MSG
        break
    fi
    sleep 0.1
done

# `wait` returns early when a signal runs the trap; keep waiting until the server is gone
# so its exit status is the script's.
while true; do
    status=0
    wait "$server_pid" || status=$?
    kill -0 "$server_pid" 2>/dev/null || break
done
exit "$status"

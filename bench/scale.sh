#!/usr/bin/env bash
# How lamportkv's throughput and latency scale: with clients (3 replicas; 1 2 4 ... 256 clients)
# and with replicas (3, 5, 7 at 64 clients). Each point is a fresh cluster and one bench run.
# Writes one JSON line per point (the bench's line with "series":"clients" or "replicas" in
# front) to bench/results/scale-<date>.jsonl and draws it with bench/plot.sh into a PNG beside it.
#
# Usage: bench/scale.sh
#   DURATION=10 WARMUP=auto          measured seconds and warm-up (auto, or seconds) per point
#   CLIENT_COUNTS="1 2 4 ... 256"    REPLICA_COUNTS="3 5 7"    REPLICA_CLIENTS=64
#   WITH_ETCD=1                      also run the etcd reference load at each client count
#   BENCH_ARGS / BENCH_JAVA_OPTS / REPLICA_JAVA_OPTS as for compare.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

duration=${DURATION:-10}
read -r -a client_counts <<<"${CLIENT_COUNTS:-1 2 4 8 16 32 64 128 256}"
read -r -a replica_counts <<<"${REPLICA_COUNTS:-3 5 7}"
replica_clients=${REPLICA_CLIENTS:-64}

trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_jar
[[ -z "${WITH_ETCD:-}" ]] || prepare_etcd
mkdir -p "$here/results"
results="$here/results/scale-$(date +%Y%m%d-%H%M%S).jsonl"

point() {   # point SERIES JSON
    local line="{\"series\":\"$1\",${2#\{}"
    echo "$line"
    echo "$line" >>"$results"
}

for n in "${client_counts[@]}"; do
    echo "== clients: $n clients on 3 replicas, $duration s" >&2
    start_cluster 3
    # shellcheck disable=SC2086  # BENCH_ARGS holds several words on purpose
    point clients "$(run_ours "$n" "$duration" ${BENCH_ARGS:-})"
    stop_cluster
    if [[ -n "${WITH_ETCD:-}" ]]; then
        echo "== clients: $n clients on etcd, $duration s" >&2
        point clients "$(run_etcd "$n" "$duration" | tail -1)"
    fi
done
for r in "${replica_counts[@]}"; do
    echo "== replicas: $replica_clients clients on $r replicas, $duration s" >&2
    start_cluster "$r"
    # shellcheck disable=SC2086
    point replicas "$(run_ours "$replica_clients" "$duration" ${BENCH_ARGS:-})"
    stop_cluster
done

echo "results in $results" >&2
"$here/plot.sh" "$results"

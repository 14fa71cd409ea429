#!/usr/bin/env bash
# lamportkv against etcd under the same closed-loop write load (shared/peers/etcd/run.sh):
# for each client count, a fresh 3-replica lamportkv cluster on free loopback ports, the bench
# with --json, then etcd's reference run; prints both JSON lines and the ratios ours/etcd, and
# appends the lines to bench/results/compare-<date>.jsonl. First it measures what this machine
# allows any implementation of the protocol (lamportkv.bench.Floor: one disk force of the log, one
# RMI round trip, empty RMI calls per second), and at the end sets the issue's targets beside it.
#
# Usage: bench/compare.sh [CLIENTS...]          (default: 1 64 256)
#   DURATION=20          measured seconds per run
#   WARMUP=30            our side's warm-up seconds (the JVMs compile for their first 20-30 s on
#                        2 cores); the etcd load always warms up 3 s
#   BENCH_JAVA_OPTS=...  the bench client's JVM options (default: full JIT, G1, as the etcd load)
#   BENCH_ARGS='--mix set:60,get:40'   more bench options for our side (word-split)
#   REPLICA_JAVA_OPTS=.. the replicas' JVM options (all replicas share one working directory,
#                        so a JFR file name would collide: rather profile a running replica with
#                        `jcmd PID JFR.start duration=10s settings=profile filename=/tmp/r1.jfr`)
#   KEEP_CLUSTER_DIR=1   keep each cluster's temporary directory (configuration, data, logs)
#   SKIP_ETCD=1          only our side
# Needs: JDK 17, Maven; etcd's script installs Debian's etcd-server if missing (apt-get).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

duration=${DURATION:-20}
clients=("$@")
[[ ${#clients[@]} -gt 0 ]] || clients=(1 64 256)
for n in "${clients[@]}" "$duration"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: DURATION=SECONDS bench/compare.sh [CLIENTS...] (positive integers)" >&2; exit 2; }
done

trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_jar
[[ -n "${SKIP_ETCD:-}" ]] || prepare_etcd
mkdir -p "$here/results"
results="$here/results/compare-$(date +%Y%m%d-%H%M%S).jsonl"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "== this machine's floor: log forces, RMI round trips and empty RMI calls" >&2
floor=$(java -cp "$root/target/lamportkv.jar" lamportkv.bench.Floor "${TMPDIR:-/tmp}")
echo "$floor"
echo "$floor" >>"$results"

summary=()
targets=()
for n in "${clients[@]}"; do
    echo "== $n clients, $duration s: lamportkv (3 replicas)" >&2
    start_cluster 3
    ours=$(run_ours "$n" "$duration" ${BENCH_ARGS:-})
    stop_cluster
    echo "$ours"
    echo "$ours" >>"$results"
    [[ -n "${SKIP_ETCD:-}" ]] && continue

    echo "== $n clients, $duration s: etcd (3 members)" >&2
    theirs=$(run_etcd "$n" "$duration" | tail -1)
    echo "$theirs"
    echo "$theirs" >>"$results"

    line=$(printf '%5d clients: throughput %s (%s vs %s ops/s), p50 %s (%s vs %s us), p99 %s (%s vs %s us)' "$n" \
        "$(ratio "$(field ops_per_s "$ours")" "$(field ops_per_s "$theirs")")" "$(field ops_per_s "$ours")" "$(field ops_per_s "$theirs")" \
        "$(ratio "$(field p50_us "$ours")" "$(field p50_us "$theirs")")" "$(field p50_us "$ours")" "$(field p50_us "$theirs")" \
        "$(ratio "$(field p99_us "$ours")" "$(field p99_us "$theirs")")" "$(field p99_us "$ours")" "$(field p99_us "$theirs")")
    summary+=("$line")
    if [[ "$n" == 1 ]]; then
        targets+=("$(printf '    1 client:  target p50 <= etcd p50 / 3 = %s us; ours %s us; the floor for this protocol here is %s us (3 log forces of %s us + 2 RMI round trips of %s us)' \
            "$(awk -v p="$(field p50_us "$theirs")" 'BEGIN { printf "%d", p / 3 }')" "$(field p50_us "$ours")" \
            "$(field one_client_floor_us "$floor")" "$(field force_p50_us "$floor")" "$(field rmi_rtt_p50_us "$floor")")")
    elif [[ "$n" == 64 ]]; then
        targets+=("$(printf '   64 clients: target >= 5 x etcd = %s ops/s; ours %s ops/s; 64 clients making empty RMI calls to 3 JVMs here reach %s calls/s' \
            "$(awk -v t="$(field ops_per_s "$theirs")" 'BEGIN { printf "%d", t * 5 }')" "$(field ops_per_s "$ours")" \
            "$(field rmi_calls_per_s "$floor")")")
    fi
done

if [[ ${#summary[@]} -gt 0 ]]; then
    echo
    echo "ratios lamportkv / etcd (throughput: higher is better for us; latency: lower is better for us)"
    printf '%s\n' "${summary[@]}"
fi
if [[ ${#targets[@]} -gt 0 ]]; then
    echo
    echo "issue 4's targets beside what this machine allows (each operation is one client RMI call and needs"
    echo "three log forces in sequence; see lamportkv.bench.Floor)"
    printf '%s\n' "${targets[@]}"
fi
echo "results appended to $results" >&2

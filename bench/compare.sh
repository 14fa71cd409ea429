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
#   WARMUP=auto          our side's warm-up: auto (the bench's default: until the rate has stopped
#                        rising, at most 60 s; the JVMs compile for their first 20-30 s on 2 cores)
#                        or seconds; the etcd load always warms up 3 s
#   BENCH_JAVA_OPTS=...  the bench client's JVM options (default: full JIT, G1, as the etcd load)
#   BENCH_ARGS='--mix set:60,get:40'   more bench options for our side (word-split)
#   REPLICA_JAVA_OPTS=.. the replicas' JVM options (all replicas share one working directory,
#                        so a JFR file name would collide: rather profile a running replica with
#                        `jcmd PID JFR.start duration=10s settings=profile filename=/tmp/r1.jfr`)
#   KEEP_CLUSTER_DIR=1   keep each cluster's temporary directory (configuration, data, logs)
#   THREADS=0            skip our second run per client count, with --threads: one thread per
#                        client waiting for each reply, as the etcd load's clients do (our default
#                        bench clients are callbacks, which cost the bench far less CPU)
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
    threads=""
    if [[ "${THREADS:-1}" != 0 ]]; then
        echo "== $n clients, $duration s: lamportkv with --threads (a thread per client, as the etcd load's)" >&2
        start_cluster 3
        threads=$(run_ours "$n" "$duration" --threads ${BENCH_ARGS:-})
        stop_cluster
        echo "$threads"
        echo "$threads" >>"$results"
    fi
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
    if [[ -n "$threads" ]]; then
        summary+=("$(printf '     --threads: throughput %s (%s ops/s), p50 %s (%s us), p99 %s (%s us)' \
            "$(ratio "$(field ops_per_s "$threads")" "$(field ops_per_s "$theirs")")" "$(field ops_per_s "$threads")" \
            "$(ratio "$(field p50_us "$threads")" "$(field p50_us "$theirs")")" "$(field p50_us "$threads")" \
            "$(ratio "$(field p99_us "$threads")" "$(field p99_us "$theirs")")" "$(field p99_us "$threads")")")
    fi
    if [[ "$n" == 1 ]]; then
        targets+=("$(printf '    1 client:  p50 %s us: target below etcd p50 %s us and at most 1.5 x the floor = %s us (floor %s us: 2 forces of %s us + 2 RMI round trips of %s us)' \
            "$(field p50_us "$ours")" "$(field p50_us "$theirs")" \
            "$(awk -v f="$(field one_client_floor_us "$floor")" 'BEGIN { printf "%d", f * 1.5 }')" \
            "$(field one_client_floor_us "$floor")" "$(field force_p50_us "$floor")" "$(field rmi_rtt_p50_us "$floor")")")
    elif [[ "$n" == 64 ]]; then
        targets+=("$(printf '   64 clients: %s ops/s, p99 %s us: target >= 2.5 x etcd = %s ops/s and p99 <= %s us; 64 clients making empty RMI calls reach %s calls/s here' \
            "$(field ops_per_s "$ours")" "$(field p99_us "$ours")" \
            "$(awk -v t="$(field ops_per_s "$theirs")" 'BEGIN { printf "%d", t * 2.5 }')" \
            "$(awk -v t="$(field p99_us "$theirs")" 'BEGIN { printf "%d", t / 2 }')" "$(field rmi_calls_per_s "$floor")")")
    elif [[ "$n" == 256 ]]; then
        targets+=("$(printf '  256 clients: %s ops/s, %s errors, live heap %s MB: target >= 3 x etcd = %s ops/s, 0 errors' \
            "$(field ops_per_s "$ours")" "$(field errors "$ours")" "$(field heap_mb "$ours")" \
            "$(awk -v t="$(field ops_per_s "$theirs")" 'BEGIN { printf "%d", t * 3 }')")")
    fi
    targets+=("$(printf '  %3d clients: cpu %s us per operation%s (target at most 80 us; one empty RMI call costs %s us of CPU here); warm-up %s s' "$n" \
        "$(field cpu_us_per_op "$ours")" "${threads:+ (with --threads: $(field cpu_us_per_op "$threads"))}" \
        "$(field rmi_cpu_us_per_call "$floor")" "$(field warmup_s "$ours")")")
done

if [[ ${#summary[@]} -gt 0 ]]; then
    echo
    echo "ratios lamportkv / etcd (throughput: higher is better for us; latency: lower is better for us)"
    printf '%s\n' "${summary[@]}"
fi
if [[ ${#targets[@]} -gt 0 ]]; then
    echo
    echo "issue 12's targets beside what this machine allows (each operation is one client RMI call, then"
    echo "two log forces and a round trip between replicas in sequence; see lamportkv.bench.Floor)"
    printf '%s\n' "${targets[@]}"
fi
echo "results appended to $results" >&2

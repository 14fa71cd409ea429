#!/usr/bin/env bash
# Does the first run tell the truth? On a freshly started 3-replica cluster, the bench exactly as a
# new user runs it (`run-client.sh bench --clients 64 --duration 15`: default warm-up, which waits
# until the rate has stopped rising), then right after it on the same, now warm, cluster a run
# with a long fixed warm-up. Prints both JSON lines and the ratio first/warm (issue 12's target:
# within 15%), and appends them to bench/results/cold-<date>.jsonl.
#
# Usage: bench/cold.sh [CLIENTS=64]
#   DURATION=15        measured seconds of each run
#   WARM_WARMUP=60     the long warm-up of the second run
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

clients=${1:-64}
duration=${DURATION:-15}
for n in "$clients" "$duration" "${WARM_WARMUP:-60}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: DURATION=SECONDS WARM_WARMUP=SECONDS bench/cold.sh [CLIENTS] (positive integers)" >&2; exit 2; }
done

trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_jar
mkdir -p "$here/results"
results="$here/results/cold-$(date +%Y%m%d-%H%M%S).jsonl"

echo "== a fresh cluster, the default bench at once ($clients clients, $duration s)" >&2
start_cluster 3
first=$("$root/run-client.sh" --config "$cluster_dir/replicas.properties" bench --clients "$clients" \
    --duration "$duration" --json | sed 's/^{/{"run":"first",/')
echo "$first"
echo "== the same cluster, warmed ${WARM_WARMUP:-60} s first" >&2
warm=$("$root/run-client.sh" --config "$cluster_dir/replicas.properties" bench --clients "$clients" \
    --duration "$duration" --warmup "${WARM_WARMUP:-60}" --json | sed 's/^{/{"run":"warm",/')
echo "$warm"
printf '%s\n%s\n' "$first" "$warm" >>"$results"
awk -v a="$(field ops_per_s "$first")" -v b="$(field ops_per_s "$warm")" -v w="$(field warmup_s "$first")" \
    'BEGIN { printf "first run %d ops/s after a %.1f s warm-up, warm run %d ops/s: %.2f of it (target: at least 0.85)\n", a, w, b, (b > 0 ? a / b : 0) }'
echo "results appended to $results" >&2

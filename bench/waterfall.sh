#!/usr/bin/env bash
# Where one operation's time goes: a 3-replica cluster whose replicas record lamportkv's JFR
# events (lamportkv.replica.Trace), one client writing for DURATION seconds after an automatic
# warm-up, then lamportkv.bench.Waterfall lines the three recordings up on the shared monotonic
# clock and prints the median step of each replica within one client call. Writes the chart to
# docs/perf/waterfall.svg (or OUT) and the table beside it (.txt).
#
# Usage: bench/waterfall.sh [OUT.svg]      DURATION=10
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

out=${1:-$root/docs/perf/waterfall.svg}
[[ "$out" == *.svg ]] || { echo "usage: bench/waterfall.sh [OUT.svg]" >&2; exit 2; }
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ensure_jar

jfr_dir=$(mktemp -d "${TMPDIR:-/tmp}/lamportkv-waterfall.XXXXXX")
REPLICA_JAVA_OPTS="-XX:StartFlightRecording=settings=$here/lamportkv.jfc,filename=$jfr_dir/replica-{id}.jfr,dumponexit=true"
start_cluster 3
JAVA_OPTS="$BENCH_JAVA_OPTS" "$root/run-client.sh" --config "$cluster_dir/replicas.properties" bench \
    --clients 1 --duration "${DURATION:-10}" --json
stop_cluster        # the recordings are written as the replicas exit
mkdir -p "$(dirname "$out")"
java -cp "$root/target/lamportkv.jar" lamportkv.bench.Waterfall "$out" "$jfr_dir"/replica-*.jfr | tee "${out%.svg}.txt"
rm -rf "$jfr_dir"
echo "chart: $out" >&2

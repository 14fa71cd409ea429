#!/usr/bin/env bash
# What each replica's rounds look like under load: a 3-replica cluster whose replicas record
# lamportkv's JFR events (lamportkv.replica.Trace), the bench with CLIENTS clients for DURATION
# seconds after its automatic warm-up, then lamportkv.bench.RoundStats prints, per replica and
# over the measured seconds only: rounds and forces per second, clients answered and messages
# sent per forced round, force p50/p99 and the share of time the event loop spends inside a
# force, how long peers' batches wait to be taken in, peer and client call times.
# Recording every round costs: on this 2-core VM the cluster did 4,600 ops/s at 64 clients with
# it and 7,000-8,300 without; compare runs of this script with each other, not with compare.sh.
#
# Usage: bench/rounds.sh [CLIENTS]      (default 64)   DURATION=15   WARMUP=auto   KEEP_JFR=1 (keep the recordings)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

clients=${1:-64}
duration=${DURATION:-15}
for n in "$clients" "$duration"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: DURATION=SECONDS bench/rounds.sh [CLIENTS] (positive integers)" >&2; exit 2; }
done
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ensure_jar

jfr_dir=$(mktemp -d "${TMPDIR:-/tmp}/lamportkv-rounds.XXXXXX")
REPLICA_JAVA_OPTS="-XX:StartFlightRecording=settings=$here/lamportkv.jfc,filename=$jfr_dir/replica-{id}.jfr,dumponexit=true"
start_cluster 3
run_ours "$clients" "$duration"
stop_cluster        # the recordings are written as the replicas exit
java -cp "$root/target/lamportkv.jar" lamportkv.bench.RoundStats "$duration" "$jfr_dir"/replica-*.jfr
[[ -n "${KEEP_JFR:-}" ]] && echo "kept $jfr_dir" >&2 || rm -rf "$jfr_dir"

#!/usr/bin/env bash
# Where a busy cluster's CPU goes: a 3-replica cluster and the bench with CLIENTS clients; once
# the bench measures (after its automatic warm-up), async-profiler samples the CPU of the three
# replicas and of the bench for SECONDS, then lamportkv.bench.CpuProfile prints, per process, the
# cores it used split by thread (event loop, links, RMI connections, bench clients, JIT, GC) and by
# work (log force, socket I/O, Java serialization, thread hand-offs, the protocol, ...). The
# samples stay in OUT (collapsed stacks, one file per process, and a flame graph each).
#
# Usage: bench/profile.sh [CLIENTS]      (default 64)   PROFILE_SECONDS=10  DURATION=30  OUT=bench/results/profile-<date>
# Needs: JDK 17, Maven (fetches async-profiler, tools.profiler:async-profiler, from Maven Central
# into bench/.cache the first time), a Linux x64 or arm64 machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

clients=${1:-64}
seconds=${PROFILE_SECONDS:-10}
duration=${DURATION:-30}
for n in "$clients" "$seconds" "$duration"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: PROFILE_SECONDS=N DURATION=N bench/profile.sh [CLIENTS] (positive integers)" >&2; exit 2; }
done
# The samples are taken from the bench's first measured second on, and must be collected while it still runs.
((seconds + 10 <= duration)) || { echo "error: DURATION ($duration) must be at least PROFILE_SECONDS ($seconds) + 10" >&2; exit 2; }
out=${OUT:-$here/results/profile-$(date +%Y%m%d-%H%M%S)}
ensure_jar

version=3.0
case "$(uname -m)" in
    x86_64) platform=linux-x64 ;;
    aarch64) platform=linux-arm64 ;;
    *) echo "error: async-profiler ships no library for $(uname -m)" >&2; exit 1 ;;
esac
agent=$here/.cache/async-profiler-$version/$platform/libasyncProfiler.so
if [[ ! -f "$agent" ]]; then
    echo "fetching async-profiler $version from Maven Central..." >&2
    mkdir -p "$here/.cache/async-profiler-$version"
    (cd "$root" && mvn -q -B dependency:copy -Dartifact=tools.profiler:async-profiler:$version \
        -DoutputDirectory="$here/.cache/async-profiler-$version") >&2
    (cd "$here/.cache/async-profiler-$version" && unzip -q -o "async-profiler-$version.jar" "$platform/*")
fi

trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$out"
start_cluster 3
progress="$out/bench.err"
JAVA_OPTS="$BENCH_JAVA_OPTS" "$root/run-client.sh" --config "$cluster_dir/replicas.properties" bench \
    --clients "$clients" --duration "$duration" --json >"$out/bench.json" 2>"$progress" &
bench=$!
until grep -q '^\[measure\]' "$progress" 2>/dev/null; do
    kill -0 "$bench" 2>/dev/null || { cat "$progress" >&2; echo "error: the bench ended before it measured" >&2; exit 1; }
    sleep 0.5
done
bench_jvm=$(pgrep -P "$bench" java || echo "$bench")      # run-client.sh execs java, or runs it as a child
names=(replica-1 replica-2 replica-3 bench)
pids=("${cluster_pids[@]}" "$bench_jvm")
profile() { java -cp "$root/target/lamportkv.jar" lamportkv.bench.CpuProfile attach "$1" "$agent" "$2"; }
for pid in "${pids[@]}"; do
    profile "$pid" "start,event=cpu,interval=1ms,threads" >/dev/null
done
echo "profiling the replicas and the bench for $seconds s..." >&2
sleep "$seconds"
files=()
collecting=()
for i in "${!pids[@]}"; do      # all at once: the bench must still be running when its turn comes
    { profile "${pids[$i]}" "dump,file=$out/${names[$i]}.collapsed,collapsed" >/dev/null
      profile "${pids[$i]}" "stop,file=$out/${names[$i]}.html,flamegraph" >/dev/null; } &
    collecting+=($!)
    files+=("${names[$i]}=$out/${names[$i]}.collapsed")
done
wait "${collecting[@]}"
wait "$bench" || true
head -1 "$out/bench.json"      # async-profiler adds its own lines to the bench's standard output
java -cp "$root/target/lamportkv.jar" lamportkv.bench.CpuProfile "$seconds" "${files[@]}" | tee "$out/summary.txt"
echo "samples and flame graphs: $out" >&2

# Shared by compare.sh and scale.sh: start/stop a throw-away lamportkv cluster, run the two loads.
# Source it after setting `root` (the project root). Needs bash 4.

# JVM options for the bench client. run-client.sh favours start-up time (C1 only, serial GC);
# a load generator with hundreds of threads needs the full JIT and a parallel collector, as the
# etcd load (plain `java`) gets: these come after run-client.sh's own flags and override them.
: "${BENCH_JAVA_OPTS:=-XX:TieredStopAtLevel=4 -XX:-UseSerialGC -XX:+UseG1GC}"
# Extra JVM options for the replicas, e.g. a JFR recording (see compare.sh's header); {id} in them
# becomes each replica's id (a file name per replica).
: "${REPLICA_JAVA_OPTS:=}"

cluster_dir=""
cluster_pids=()

ensure_jar() {
    if [[ ! -f "$root/target/lamportkv.jar" ]]; then
        echo "building $root/target/lamportkv.jar..." >&2
        (cd "$root" && mvn -q -B -DskipTests package) >&2
    fi
}

# A TCP port on loopback nobody listens on (checked by connecting), not handed out twice. Below
# Linux's ephemeral range (32768 and up by default): a port from that range can be taken by any
# outgoing connection between the check and the replica's bind (seen with 7 replicas starting).
declare -A used_ports=()
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((10000 + RANDOM % 22000))
        [[ -n "${used_ports[$p]:-}" ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            used_ports[$p]=1
            echo "$p"
            return 0
        fi
    done
    echo "no free port found" >&2
    return 1
}

# start_cluster N: N replicas on free loopback ports, config and data in a fresh temporary
# directory; returns once every replica answers `hash`. Sets cluster_dir and cluster_pids.
start_cluster() {
    local n=$1 id
    cluster_dir=$(mktemp -d "${TMPDIR:-/tmp}/lamportkv-bench.XXXXXX")
    {
        echo "# written by bench/lib.sh"
        echo "data.dir=data"
        for id in $(seq "$n"); do
            echo "replica.$id=127.0.0.1:$(free_port)"
        done
    } >"$cluster_dir/replicas.properties"
    cluster_pids=()
    for id in $(seq "$n"); do
        JAVA_OPTS="${REPLICA_JAVA_OPTS//\{id\}/$id}" "$root/run-replica.sh" "$id" --config "$cluster_dir/replicas.properties" \
            >"$cluster_dir/replica-$id.log" 2>&1 &
        cluster_pids+=($!)
    done
    for id in $(seq "$n"); do
        if ! "$root/run-client.sh" --config "$cluster_dir/replicas.properties" --replica "$id" --wait 60 hash >/dev/null; then
            echo "replica $id did not answer within 60 s; its log:" >&2
            tail -20 "$cluster_dir/replica-$id.log" >&2
            return 1
        fi
    done
}

# Stops the replicas started by start_cluster (SIGTERM, then SIGKILL after 15 s) and deletes
# their directory, unless KEEP_CLUSTER_DIR is set (e.g. to read a JFR recording or the logs).
stop_cluster() {
    local p
    for p in "${cluster_pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${cluster_pids[@]}"; do
        for _ in $(seq 150); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    cluster_pids=()
    if [[ -n "$cluster_dir" ]]; then
        if [[ -n "${KEEP_CLUSTER_DIR:-}" ]]; then
            echo "kept $cluster_dir" >&2
        else
            rm -rf "$cluster_dir"
        fi
    fi
    cluster_dir=""
}

# run_ours CLIENTS SECONDS [BENCH OPTIONS...]: one JSON line on stdout, progress on stderr.
# The line gains "heap_mb": the largest live heap of the replicas right after the run (each one's
# used heap after a full collection, jcmd GC.run), which shows that memory stays bounded under
# load. Warm-up: WARMUP seconds, or by default the bench's own (auto: until the rate has stopped
# rising, at most 60 s; on 2 cores the replicas' JIT compilers take most of a core for their first
# 20 to 30 s). The line says the warm-up used (warmup_s).
run_ours() {
    local clients=$1 seconds=$2 line heap=0 pid used
    shift 2
    line=$(JAVA_OPTS="$BENCH_JAVA_OPTS" "$root/run-client.sh" --config "$cluster_dir/replicas.properties" bench \
        --clients "$clients" --duration "$seconds" --warmup "${WARMUP:-auto}" --json "$@")
    for pid in "${cluster_pids[@]}"; do
        jcmd "$pid" GC.run >/dev/null 2>&1 || continue
        used=$(jcmd "$pid" GC.heap_info 2>/dev/null | sed -nE 's/.* heap +total [0-9]+K, used ([0-9]+)K.*/\1/p' | head -1)
        [[ -n "$used" && "$used" -gt "$heap" ]] && heap=$used
    done
    echo "${line%\}},\"heap_mb\":$(( (heap + 1023) / 1024 ))}"
}

# The etcd reference load, shared/peers/etcd/run.sh beside the project. It builds its Java load
# into its own directory (target/), and shared/ is not ours to write: so we run an exact copy of
# it in bench/.cache/etcd-peer, refreshed whenever the original changes.
etcd_peer=""
prepare_etcd() {
    local original
    original=$(cd "$root/../shared/peers/etcd" 2>/dev/null && pwd) || {
        echo "error: the etcd reference load is missing: expected $root/../shared/peers/etcd/run.sh" >&2
        return 1
    }
    etcd_peer="$root/bench/.cache/etcd-peer"
    if ! diff -rq --exclude=target "$original" "$etcd_peer" >/dev/null 2>&1; then
        rm -rf "$etcd_peer"
        mkdir -p "$etcd_peer"
        cp -R "$original/." "$etcd_peer/"
        chmod -R u+w "$etcd_peer"
        rm -rf "$etcd_peer/target"
    fi
}

# run_etcd CLIENTS SECONDS: the etcd load's JSON line on stdout.
run_etcd() {
    [[ -n "$etcd_peer" ]] || prepare_etcd
    "$etcd_peer/run.sh" "$1" "$2"
}

# field NAME JSON: a numeric field of a flat JSON line.
field() {
    sed -nE "s/.*\"$1\":(-?[0-9.]+).*/\\1/p" <<<"$2"
}

#!/usr/bin/env bash
# Starts every replica of the configuration in the background, waits until each answers, opens the
# shell on the first one, and stops them all when the shell ends (also on Ctrl-C or an error).
#   ./run-cluster.sh [--config FILE]
# Without --config: ./replicas.properties if the current directory has one, else the one beside this script.
# Each replica's console goes to logs/replica-<id>.log beside this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/lamportkv.jar"
logs="$here/logs"
startup_seconds=60

usage() {
    echo "usage: ./run-cluster.sh [--config FILE]" >&2
    exit 2
}

config=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --config) [[ $# -ge 2 ]] || usage; config="$2"; shift 2 ;;
        --config=*) config="${1#--config=}"; shift ;;
        -h | --help) echo "usage: ./run-cluster.sh [--config FILE]"; exit 0 ;;
        *) echo "error: unknown argument: $1" >&2; usage ;;
    esac
done
if [[ -z "$config" ]]; then
    if [[ -f replicas.properties ]]; then config="$PWD/replicas.properties"; else config="$here/replicas.properties"; fi
fi
if [[ ! -f "$config" ]]; then
    echo "error: $config: no such file (give the cluster's configuration with --config FILE)" >&2
    exit 2
fi
config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"

# The replicas' ids, from the config's replica.<id>=... lines, in id order.
mapfile -t ids < <(sed -n 's/^[[:space:]]*replica\.\([0-9][0-9]*\)[[:space:]]*=.*/\1/p' "$config" | sort -n)
if [[ ${#ids[@]} -eq 0 ]]; then
    echo "error: $config has no replica.<id>=<host>:<port> lines" >&2
    exit 2
fi

# Build once here, not in every replica's script at the same time.
if [[ ! -f "$jar" ]]; then
    echo "building $jar (first run; needs Maven)..." >&2
    (cd "$here" && mvn -q -DskipTests package) >&2
fi

pids=()   # by replica id
client=""
stopping=no
main_pid=$$
stop_replicas() {
    # A child forked by `cmd &` runs inherited traps until it execs; only this script stops replicas.
    [[ "$BASHPID" == "$main_pid" ]] || return 0
    [[ "$stopping" == no ]] || return 0
    stopping=yes
    [[ ${#pids[@]} -gt 0 ]] || return 0
    if [[ -n "$client" ]]; then
        kill -TERM "$client" 2>/dev/null || true
    fi
    echo "stopping replicas ${!pids[*]}..." >&2
    local alive=()
    for id in "${!pids[@]}"; do
        if kill -TERM "${pids[$id]}" 2>/dev/null; then
            alive+=("${pids[$id]}")
        fi
    done
    # Each replica's shutdown hook closes it cleanly; one that is frozen (SIGSTOP) or stuck gets SIGKILL.
    local deadline=$((SECONDS + 20))
    for pid in "${alive[@]}"; do
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "a replica (pid $pid) did not stop within 20s of SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    echo "stopped; logs are in $logs/" >&2
}
trap stop_replicas EXIT
# Ctrl-C, SIGTERM and a closed terminal end the script; the EXIT trap then stops the replicas.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

show_log() {
    echo "--- last lines of $logs/replica-$1.log ---" >&2
    tail -n 20 "$logs/replica-$1.log" >&2 || true
}

# Waits until replica $1 (process $2) answers; fails at once if the process dies meanwhile.
await_replica() {
    local id="$1" pid="$2" waiter
    "$here/run-client.sh" --config "$config" --replica "$id" --wait "$startup_seconds" hash \
        >/dev/null 2>"$logs/replica-$id.wait" &
    waiter=$!
    while kill -0 "$waiter" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            # SIGKILL: the waiter may still be a fork of this script, which would run its traps on SIGTERM.
            kill -KILL "$waiter" 2>/dev/null || true
            wait "$waiter" 2>/dev/null || true
            echo "error: replica $id exited during startup" >&2
            show_log "$id"
            exit 1
        fi
        sleep 0.2
    done
    if ! wait "$waiter"; then
        echo "error: replica $id did not answer within ${startup_seconds}s: $(tail -n 1 "$logs/replica-$id.wait")" >&2
        show_log "$id"
        exit 1
    fi
    rm -f "$logs/replica-$id.wait"
}

mkdir -p "$logs"
for id in "${ids[@]}"; do
    "$here/run-replica.sh" "$id" --config "$config" >"$logs/replica-$id.log" 2>&1 &
    pids[$id]=$!
done
echo "started replicas ${ids[*]} ($config); waiting until they answer..." >&2
for id in "${ids[@]}"; do
    await_replica "$id" "${pids[$id]}"
done
echo "replicas ${ids[*]} are up; their consoles are in $logs/replica-<id>.log" >&2
# The dashboards (http.<id>=<port>), each on its replica's host.
for id in "${ids[@]}"; do
    port=$(sed -n "s/^[[:space:]]*http\.0*$id[[:space:]]*=[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p" "$config")
    host=$(sed -n "s/^[[:space:]]*replica\.0*$id[[:space:]]*=[[:space:]]*\(.*\):[0-9][0-9]*[[:space:]]*$/\1/p" "$config")
    if [[ -n "$port" && -n "$host" ]]; then
        echo "dashboard of replica $id: http://$host:$port/" >&2
    fi
done

# Not exec: the replicas must be stopped when the client ends. Its default replica is the first id.
status=0
if [[ -t 0 ]]; then
    # The interactive shell, in the foreground. Ctrl-C belongs to it (it clears the line): a no-op
    # trap, unlike an ignored signal, leaves the client's SIGINT at its default.
    trap ':' INT
    "$here/run-client.sh" --config "$config" || status=$?
else
    # Commands from stdin. In the background, so that `wait` returns at once on SIGTERM or Ctrl-C
    # and the EXIT trap stops everything, instead of waiting for the input to end.
    "$here/run-client.sh" --config "$config" <&0 &
    client=$!
    wait "$client" || status=$?
fi
exit "$status"

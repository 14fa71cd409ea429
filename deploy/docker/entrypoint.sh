#!/usr/bin/env bash
# The image's entry point. Runs one replica in the foreground, with its id as the first argument
# or in REPLICA_ID; any other command (run-client.sh ...) runs as given.
#   docker run IMAGE 2 [--config FILE]     docker run -e REPLICA_ID=2 IMAGE     docker run IMAGE run-client.sh status
set -euo pipefail

if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
    exec /opt/lamportkv/run-replica.sh "$@"
fi
if [[ $# -eq 0 || "$1" == -* ]]; then
    if [[ -z "${REPLICA_ID:-}" ]]; then
        echo "error: which replica? give its id as the command (docker run IMAGE 2) or as REPLICA_ID=2" >&2
        exit 2
    fi
    exec /opt/lamportkv/run-replica.sh "$REPLICA_ID" "$@"
fi
exec "$@"

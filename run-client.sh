#!/usr/bin/env bash
# The client: a shell, a script on stdin, or one command.
#   ./run-client.sh [--config FILE] [--replica ID | --connect HOST:PORT] [--timeout SECONDS] [COMMAND ARGS...]
# Without --config: ./replicas.properties if the current directory has one, else the one beside this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/lamportkv.jar"

if [[ ! -f "$jar" ]]; then
    echo "building $jar (first run; needs Maven)..." >&2
    (cd "$here" && mvn -q -DskipTests package) >&2
fi

# Options come before the command; what follows the first command word belongs to it (set k --config).
has_config=no
expects_value=no
for arg in "$@"; do
    if [[ "$expects_value" == yes ]]; then
        expects_value=no
        continue
    fi
    case "$arg" in
        --config | --config=*) has_config=yes; break ;;
        --replica | --connect | --timeout | --wait) expects_value=yes ;;
        -*) ;;
        *) break ;;
    esac
done
args=("$@")
if [[ "$has_config" == no ]]; then
    # Put first: after the command word it would be read as part of the command.
    if [[ -f replicas.properties ]]; then
        args=(--config "$PWD/replicas.properties" "$@")
    elif [[ -f "$here/replicas.properties" ]]; then
        args=(--config "$here/replicas.properties" "$@")
    fi
fi

# Deserialization allow-list (JEP 290) for every stream without its own filter: stubs, replies,
# exceptions. Each exported object has a stricter one of its own (lamportkv.rmi.SerialFilters).
serial_filter='maxdepth=20;maxrefs=100000;maxarray=100000;maxbytes=16777216;lamportkv.rmi.*;java.lang.*;java.util.Collections$*;java.util.ArrayList;java.lang.reflect.Proxy;jdk.proxy*;com.sun.proxy.*;java.rmi.**;javax.rmi.ssl.SslRMIClientSocketFactory;java.io.ObjectStreamException;java.io.InvalidClassException;java.io.InvalidObjectException;java.io.IOException;java.io.EOFException;java.io.StreamCorruptedException;java.io.NotSerializableException;java.io.UncheckedIOException;!*'

# Client runs are short: favour start-up time over peak speed.
# shellcheck disable=SC2086
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto "-Djdk.serialFilter=$serial_filter" ${JAVA_OPTS:-} \
    -cp "$jar" lamportkv.cli.ClientMain "${args[@]}"

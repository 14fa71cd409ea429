#!/usr/bin/env bash
# Runs one replica in the foreground until Ctrl-C or SIGTERM:  ./run-replica.sh ID [--config FILE]
# Without --config: ./replicas.properties if the current directory has one, else the one beside this script.
# Extra JVM options: JAVA_OPTS="-Xmx1g" ./run-replica.sh 1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/lamportkv.jar"

if [[ ! -f "$jar" ]]; then
    echo "building $jar (first run; needs Maven)..." >&2
    (cd "$here" && mvn -q -DskipTests package) >&2
fi

args=("$@")
has_config=no
for arg in "$@"; do
    if [[ "$arg" == --config || "$arg" == --config=* ]]; then
        has_config=yes
    fi
done
if [[ "$has_config" == no ]]; then
    if [[ -f replicas.properties ]]; then
        args=(--config "$PWD/replicas.properties" "$@")
    elif [[ -f "$here/replicas.properties" ]]; then
        args=(--config "$here/replicas.properties" "$@")
    fi
fi

# Deserialization allow-list (JEP 290) for every stream without its own filter: stubs, replies,
# exceptions. Each exported object has a stricter one of its own (lamportkv.rmi.SerialFilters).
serial_filter='maxdepth=20;maxrefs=100000;maxarray=100000;maxbytes=16777216;lamportkv.rmi.*;java.lang.*;java.util.Collections$*;java.util.ArrayList;java.lang.reflect.Proxy;jdk.proxy*;com.sun.proxy.*;java.rmi.**;javax.rmi.ssl.SslRMIClientSocketFactory;java.io.ObjectStreamException;java.io.InvalidClassException;java.io.InvalidObjectException;java.io.IOException;java.io.EOFException;java.io.StreamCorruptedException;java.io.NotSerializableException;java.io.UncheckedIOException;!*'
registry_filter='maxdepth=4;maxrefs=32;maxarray=64;maxbytes=16384;java.lang.String;!*'

# JAVA_OPTS is split into words on purpose: it holds several options.
# shellcheck disable=SC2086
exec java -XX:+ExitOnOutOfMemoryError "-Djdk.serialFilter=$serial_filter" \
    "-Dsun.rmi.registry.registryFilter=$registry_filter" ${JAVA_OPTS:-} \
    -cp "$jar" lamportkv.cli.ReplicaMain "${args[@]}"

#!/usr/bin/env bash
# Makes a development CA and TLS certificates for a cluster, with the JDK's keytool:
#   scripts/make-dev-certs.sh [--config FILE] [--out DIR] [--password PASSWORD]
# For each replica.<id> of the configuration (default: ./replicas.properties, else the one beside
# this script's directory) it writes, into DIR (default: certs/ beside the configuration):
#   ca.p12             the CA's key: only for signing more certificates; keep it away from the cluster
#   truststore.p12     the CA's certificate: every replica and client trusts exactly this
#   replica-<id>.p12   replica <id>'s key and certificate (serverAuth + clientAuth, its host as subjectAltName)
#   client.p12         one client's key and certificate (clientAuth only: it cannot pose as a replica)
# and prints the settings to add to the configuration. Development only: one password for every
# store (random unless given), certificates valid for 825 days.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() {
    echo "usage: scripts/make-dev-certs.sh [--config FILE] [--out DIR] [--password PASSWORD]" >&2
    exit 2
}
config="" out="" password=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --config) [[ $# -ge 2 ]] || usage; config="$2"; shift 2 ;;
        --out) [[ $# -ge 2 ]] || usage; out="$2"; shift 2 ;;
        --password) [[ $# -ge 2 ]] || usage; password="$2"; shift 2 ;;
        -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
config_dir="$(cd "$(dirname "$config")" && pwd)"
out="${out:-$config_dir/certs}"
if [[ -z "$password" ]]; then
    password="$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')"
fi
if [[ ${#password} -lt 6 ]]; then
    echo "error: keytool needs a password of at least 6 characters" >&2
    exit 2
fi
keytool="keytool"
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/keytool" ]]; then
    keytool="$JAVA_HOME/bin/keytool"
fi

# id host, one per line, from the replica.<id>=<host>:<port> lines.
mapfile -t replicas < <(sed -n 's/^[[:space:]]*replica\.\([0-9][0-9]*\)[[:space:]]*=[[:space:]]*\(.*\):[0-9]*[[:space:]]*$/\1 \2/p' "$config" | sort -n)
if [[ ${#replicas[@]} -eq 0 ]]; then
    echo "error: $config has no replica.<id>=<host>:<port> lines" >&2
    exit 2
fi
if [[ -e "$out/ca.p12" ]]; then
    echo "error: $out/ca.p12 exists; remove $out to make new certificates" >&2
    exit 1
fi
mkdir -p "$out"
chmod 700 "$out"
umask 077

kt() {
    "$keytool" "$@" -storetype PKCS12 -storepass "$password" >/dev/null 2>"$out/.keytool.err" || {
        cat "$out/.keytool.err" >&2
        exit 1
    }
}

# san HOST: a subjectAltName entry for an address or a name.
san() {
    local host="${1#[}"
    host="${host%]}"
    if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then echo "ip:$host"; else echo "dns:$host"; fi
}

# sign NAME ALIAS DNAME EXTENSIONS...: a key pair in NAME.p12, signed by the CA, chain installed.
sign() {
    local name="$1" alias="$2" dname="$3"
    shift 3
    local exts=()
    for e in "$@"; do exts+=(-ext "$e"); done
    kt -genkeypair -alias "$alias" -keyalg EC -groupname secp256r1 -dname "$dname" -validity 825 \
        -keystore "$out/$name.p12"
    kt -certreq -alias "$alias" -keystore "$out/$name.p12" -file "$out/$name.csr"
    kt -gencert -alias ca -keystore "$out/ca.p12" -infile "$out/$name.csr" -outfile "$out/$name.pem" -rfc \
        -validity 825 "${exts[@]}"
    kt -importcert -noprompt -alias ca -file "$out/ca.pem" -keystore "$out/$name.p12"
    kt -importcert -noprompt -alias "$alias" -file "$out/$name.pem" -keystore "$out/$name.p12"
    rm -f "$out/$name.csr" "$out/$name.pem"
}

kt -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=lamportkv development CA" -validity 825 \
    -ext bc:c -ext ku:c=keyCertSign,cRLSign -keystore "$out/ca.p12"
kt -exportcert -rfc -alias ca -keystore "$out/ca.p12" -file "$out/ca.pem"
kt -importcert -noprompt -alias ca -file "$out/ca.pem" -keystore "$out/truststore.p12"

for line in "${replicas[@]}"; do
    id="${line%% *}"
    host="${line#* }"
    names="$(san "$host")"
    [[ "$names" == ip:127.0.0.1 ]] || names="$names,ip:127.0.0.1"
    [[ "$names" == *dns:localhost* ]] || names="$names,dns:localhost"
    sign "replica-$id" "replica-$id" "CN=lamportkv replica $id" "san=$names" \
        "ku:c=digitalSignature" "eku=serverAuth,clientAuth"
done
sign client client "CN=lamportkv client" "ku:c=digitalSignature" "eku=clientAuth"
rm -f "$out/.keytool.err"

# Paths in the settings: relative to the configuration's directory when inside it.
rel="$out"
case "$out" in
    "$config_dir"/*) rel="${out#"$config_dir"/}" ;;
esac
echo "wrote $out: ca.p12 (keep it private), truststore.p12, replica-<id>.p12 for replicas ${replicas[*]%% *}, client.p12" >&2
echo "add to $config (every replica and client reads it):" >&2
cat <<SETTINGS
tls.enabled=true
tls.keystore=$rel/replica-{id}.p12
tls.keystore.password=$password
tls.client.keystore=$rel/client.p12
tls.client.keystore.password=$password
tls.truststore=$rel/truststore.p12
tls.truststore.password=$password
SETTINGS

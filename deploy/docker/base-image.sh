#!/usr/bin/env bash
# Makes a Java runtime base image from Debian's own packages, for hosts that cannot reach
# Docker Hub:   sudo deploy/docker/base-image.sh [NAME]        (default lamportkv-base:SUITE)
# then build on it with the jar `mvn package` made (README, "Docker"):
#   LAMPORTKV_RUNTIME_IMAGE=lamportkv-base:bookworm LAMPORTKV_TARGET=packaged docker compose up --build -d
#
# debootstrap installs a minimal Debian (this host's release, from the mirror this host's apt
# already uses) with a headless JRE 17 into a temporary folder; `docker import` turns it into an
# image. Does nothing if an image of that name exists (remove it to make it again). Needs root
# (debootstrap), debootstrap and a running Docker engine.
set -euo pipefail

die() { echo "base-image.sh: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "debootstrap needs root: run it with sudo"
command -v debootstrap >/dev/null || die "no debootstrap: apt-get install debootstrap"
command -v docker >/dev/null || die "no docker command: apt-get install docker.io"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info); start dockerd first"

# shellcheck disable=SC1091
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
[[ -n "$suite" ]] || die "cannot tell this host's Debian release (VERSION_CODENAME in /etc/os-release)"
name="${1:-lamportkv-base:$suite}"

if docker image inspect "$name" >/dev/null 2>&1; then
    echo "$name exists; nothing to do (docker rmi $name to make it again)"
    exit 0
fi

# The first mirror apt uses for the release itself (not -updates or -security), from either
# source format: deb822 (/etc/apt/sources.list.d/*.sources) or one-line (sources.list, *.list).
mirror_of() {
    local files=()
    shopt -s nullglob
    files=(/etc/apt/sources.list.d/*.sources)
    if ((${#files[@]})); then
        awk -v suite="$suite" '
            BEGIN { RS = ""; FS = "\n" }
            {
                types = uris = suites = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/)  types = $i
                    if ($i ~ /^URIs:/)   uris = $i
                    if ($i ~ /^Suites:/) suites = $i
                }
                if (types ~ /[ \t]deb([ \t]|$)/ && (" " suites " ") ~ ("[ \t]" suite "[ \t]")) {
                    sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit
                }
            }' "${files[@]}"
    fi
    files=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] && files+=("$f")
    done
    if ((${#files[@]})); then
        # deb [options] URI SUITE COMPONENTS...
        awk -v suite="$suite" '
            $1 == "deb" {
                i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit }
            }' "${files[@]}"
    fi
}
mirror="$(mirror_of | head -n 1)"
[[ -n "$mirror" ]] || die "no apt source for '$suite' in /etc/apt/sources.list or /etc/apt/sources.list.d; add one, or pull eclipse-temurin:17-jre instead"

rootfs="$(mktemp -d /tmp/lamportkv-base.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $suite from $mirror (about a minute)..."
if ! debootstrap --variant=minbase --include=openjdk-17-jre-headless,procps "$suite" "$rootfs" "$mirror" \
        > "$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    die "debootstrap failed (its log: $rootfs.log)"
fi
rm -f "$rootfs.log"
# The package cache is not part of the image.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$name" >/dev/null
echo "made $name ($(docker image inspect --format '{{.Size}}' "$name" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"

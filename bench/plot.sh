#!/usr/bin/env bash
# Draws a scale.sh results file (JSON lines) as a PNG: throughput and p50/p99 latency against
# clients (one line per system), and throughput against replicas.
# Usage: bench/plot.sh RESULTS.jsonl [OUT.png]      (default OUT: RESULTS with .png)
# Needs gnuplot (Debian's gnuplot-nox, installed here with apt-get if missing).
set -euo pipefail

in=${1:?usage: bench/plot.sh RESULTS.jsonl [OUT.png]}
out=${2:-${in%.jsonl}.png}
[[ -f "$in" ]] || { echo "error: no such file: $in" >&2; exit 2; }
if ! command -v gnuplot >/dev/null; then
    echo "installing gnuplot-nox (apt-get)..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox; } >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# flat JSON line -> "series system clients replicas ops_per_s p50_ms p99_ms"
num() { sed -nE "s/.*\"$1\":(-?[0-9.]+).*/\\1/p" <<<"$2"; }
str() { sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\\1/p" <<<"$2"; }
while IFS= read -r line; do
    [[ "$line" == \{* ]] || continue
    series=$(str series "$line"); system=$(str system "$line")
    replicas=$(num replicas "$line"); [[ -n "$replicas" ]] || replicas=3
    printf '%s %s %s %s %s %s\n' "$(num clients "$line")" "$replicas" "$(num ops_per_s "$line")" \
        "$(awk -v u="$(num p50_us "$line")" 'BEGIN{printf "%.3f", u/1000}')" \
        "$(awk -v u="$(num p99_us "$line")" 'BEGIN{printf "%.3f", u/1000}')" "$system" \
        >>"$tmp/${series:-clients}-${system:-unknown}.dat"
done <"$in"
for f in "$tmp"/*.dat; do
    [[ -e "$f" ]] || { echo "error: no results in $in" >&2; exit 1; }
    sort -n -k1,1 -k2,2 -o "$f" "$f"
done

systems=()
for f in "$tmp"/clients-*.dat; do
    [[ -e "$f" ]] && systems+=("$(basename "$f" .dat | sed 's/^clients-//')")
done

{
    echo "set terminal pngcairo size 1400,450 font ',10'"
    echo "set output '$out'"
    echo "set multiplot layout 1,3 title '$(basename "$in")'"
    echo "set grid; set key top left; set logscale x 2"
    echo "set title 'throughput vs clients'; set xlabel 'clients'; set ylabel 'ops/s'"
    plot="plot"
    for s in "${systems[@]}"; do
        plot+=" '$tmp/clients-$s.dat' using 1:3 with linespoints title '$s',"
    done
    echo "${plot%,}"
    echo "set title 'latency vs clients'; set ylabel 'ms'; set logscale y"
    plot="plot"
    for s in "${systems[@]}"; do
        plot+=" '$tmp/clients-$s.dat' using 1:4 with linespoints title '$s p50', '$tmp/clients-$s.dat' using 1:5 with linespoints dashtype 2 title '$s p99',"
    done
    echo "${plot%,}"
    echo "unset logscale"
    if [[ -e "$tmp/replicas-lamportkv.dat" ]]; then
        echo "set title 'lamportkv throughput vs replicas'; set xlabel 'replicas'; set ylabel 'ops/s'; set xtics 1"
        echo "set y2label 'p99 ms'; set y2tics; set yrange [0:*]; set y2range [0:*]"
        echo "plot '$tmp/replicas-lamportkv.dat' using 2:3 with linespoints title 'ops/s', '' using 2:5 axes x1y2 with linespoints dashtype 2 title 'p99 ms'"
    fi
    echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "chart: $out" >&2

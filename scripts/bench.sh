#!/bin/sh
# Recording and replay benchmark (make bench): build the bench binaries
# optimised and without sanitizers, generate a deterministic 5-million-event
# recording in a temporary directory (never in the repo), measure the writer
# (events in memory -> file, libdeflate vs zlib's deflate on the same blocks),
# the record consumer (ring buffer -> recording, as root), and inflate-only vs
# full replay time and memory per live mapping. Not part of the tests:
# figures vary by machine.
#   BENCH_EVENTS=N   events to generate (default 5000000)
#   BENCH_LIVE=N     live mappings at the peak (default 100000)
#   BENCH_RUNS=N     runs per measurement, median reported (default 3)
#   BENCH_WRITER_EVENTS=N  events the writer benchmark holds in memory
#                    (default 2000000: 1 GB of struct smt_event)
#   BENCH_OUTPUT=DIR build directory (default .output-bench)
set -e
cd "$(dirname "$0")/.."
out=${BENCH_OUTPUT:-.output-bench}
events=${BENCH_EVENTS:-5000000}
live=${BENCH_LIVE:-100000}
runs=${BENCH_RUNS:-3}

# the Makefile default CFLAGS are -g -O2; a CFLAGS or SANITIZE from the
# environment would change what is measured
env -u CFLAGS -u SANITIZE make OUTPUT="$out" -j2 bench-bins

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smmutrace-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

t0=$(date +%s.%N)
"$out/bench/gen_stream" -n "$events" -l "$live" -o "$tmp/stream.smt"
t1=$(date +%s.%N)
size=$(wc -c <"$tmp/stream.smt")
awk -v a="$t0" -v b="$t1" -v s="$size" -v n="$events" 'BEGIN {
	printf "generate + write:     %.2f s, recording %.1f MiB (%.2f bytes/event on disk)\n", b - a, s / 1048576, s / n }'

# what `record` spends per event after the ring buffer (on the board, on the
# CPUs the DMA runs on): the writer alone at its default level 1 and at 6
"$out/bench/bench_writer" -r "$runs" -n "${BENCH_WRITER_EVENTS:-2000000}" -o "$tmp/written.smt" \
	"$tmp/stream.smt"
rm -f "$tmp/written.smt"
# and the consumer in front of it, fed real records by the BPF handlers' twins
"$out/bench/bench_consumer" -r 5 -o "$tmp/consumer.smt"
"$out/bench/bench_consumer" -r 5 -x -o "$tmp/consumer.smt"
# the board's stream (TLBI + sync records too), made in memory
"$out/bench/bench_consumer" -r 5 -b -o "$tmp/consumer.smt"
rm -f "$tmp/consumer.smt"

echo "== worst case: every unmap picks a uniformly random live mapping (cold ranges)"
"$out/bench/bench_replay" -r "$runs" "$tmp/stream.smt"

# the same volume, but 90% of unmaps hit one of the 1024 most recent mappings:
# short-lived DMA buffers next to long-lived ones, as real I/O makes them
"$out/bench/gen_stream" -n "$events" -l "$live" --recent 90 -o "$tmp/recent.smt"
echo "== mixed lifetimes: 90% of unmaps take a recent mapping"
"$out/bench/bench_replay" -r "$runs" "$tmp/recent.smt"

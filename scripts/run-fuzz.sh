#!/bin/bash
# Build and run every libFuzzer target tests/fuzz/fuzz_<name>.c for SECONDS
# seconds each (default 20), starting from tests/fuzz/corpus/<name>/.
#   scripts/run-fuzz.sh [SECONDS]
# Prints "ok - fuzz_<name> (N runs)" per target, or the crash and where its
# input was saved; exits 1 if any target crashed, leaked or failed to build.
# The seed corpus is copied to a temporary directory: the repo is never written.
set -u

secs=${1:-20}
case "$secs" in
''|*[!0-9]*) echo "run-fuzz.sh: SECONDS must be a number, got '$secs'" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.." || exit 2
out=.output-fuzz
CLANG=${CLANG:-clang}
SAN=("-fsanitize=address,undefined" -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
CFLAGS=(-g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc '-DSMMUTRACE_VERSION="fuzz"'
	'-DSMMUTRACE_GIT="fuzz"')
LIBS=(-ljson-c -ldeflate -lz -lzstd -lelf -lbpf -lm -lpthread)

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "run-fuzz.sh: $CLANG not found; install clang (scripts/setup-deps.sh)" >&2
	exit 3
fi
mkdir -p "$out/obj" "$out/artifacts" || exit 3

# Library sources: everything but the CLI and what needs BPF skeletons.
lib_srcs=()
for f in src/*.c; do
	case "$f" in
	src/main.c|src/cmd_*.c|src/capture*.c) continue ;;
	esac
	grep -q 'skel\.h' "$f" && continue
	lib_srcs+=("$f")
done

# Compile each library source once (again only when it or a header changed).
newest_hdr=""
for h in src/*.h include/*.h; do
	if [ -z "$newest_hdr" ] || [ "$h" -nt "$newest_hdr" ]; then
		newest_hdr=$h
	fi
done
objs=()
build_failed=0
for f in "${lib_srcs[@]}"; do
	o="$out/obj/$(basename "$f" .c).o"
	objs+=("$o")
	if [ "$o" -nt "$f" ] && [ "$o" -nt "$newest_hdr" ]; then
		continue
	fi
	if ! "$CLANG" "${CFLAGS[@]}" "${SAN[@]}" -fsanitize=fuzzer-no-link -c "$f" -o "$o" \
			2>"$out/obj/build.log"; then
		echo "run-fuzz.sh: cannot compile $f:" >&2
		cat "$out/obj/build.log" >&2
		rm -f "$o"
		build_failed=1
	fi
done
[ "$build_failed" = 0 ] || exit 1

rc=0
found=0
for src in tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	found=1
	t=$(basename "$src" .c)
	name=${t#fuzz_}
	bin="$out/$t"
	if ! "$CLANG" "${CFLAGS[@]}" "${SAN[@]}" -fsanitize=fuzzer "$src" "${objs[@]}" "${LIBS[@]}" \
			-o "$bin" 2>"$out/$t.build.log"; then
		echo "not ok - $t: BUILD FAILED"
		cat "$out/$t.build.log"
		rc=1
		continue
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/smmutrace-fuzz-$name.XXXXXX") || exit 3
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$work/"
	fi
	opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=1024
	      -artifact_prefix="$out/artifacts/$t-")
	[ -f "tests/fuzz/$name.dict" ] && opts+=(-dict="tests/fuzz/$name.dict")
	log="$out/$t.log"
	"$bin" "${opts[@]}" "$work" >"$log" 2>&1
	st=$?
	rm -rf "$work"
	if [ "$st" = 0 ]; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
		echo "ok - $t (${runs:-?} runs)"
	else
		echo "not ok - $t: CRASH (exit $st); full log: $log"
		# the report's first lines and innermost frames, then where the input went
		sed -n '/ERROR:\|runtime error:/,/^$/p' "$log" | head -n 10
		grep -E '^SUMMARY:' "$log" | head -n 1
		unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		[ -n "$unit" ] && echo "reproduce: $bin $unit"
		rc=1
	fi
done
if [ "$found" = 0 ]; then
	echo "run-fuzz.sh: no tests/fuzz/fuzz_*.c" >&2
	exit 2
fi
exit $rc

#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Host-only self-test of the board rig's result handling (no QEMU needed):
# ktap-check.py must pass a good console log and fail each kind of bad one,
# extract-files.sh must bring a file back byte-identical.
# Prints "ok - NAME" / "not ok - NAME" and "selftest: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
t() { # t NAME WANT_RC CMD...
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" = "$want" ]; then echo "ok - $name"; pass=$((pass + 1))
	else echo "not ok - $name (exit $rc, want $want)"; sed 's/^/# /' "$tmp/out" | head -n 10; fail=$((fail + 1)); fi
}

b64=$(printf hello | gzip -c | base64 -w0)
printf '%s\r\n' '[    1.0] booting' 'KTAP version 1' '# board' '1..2' '  KTAP version 1' '  1..2' \
	'  ok 1 a' '  ok 2 b' 'ok 1 s1' 'ok 2 s2 # SKIP nope' '# SMT-KTAP-END' \
	'SMT-FILE-BEGIN x' "$b64" 'SMT-FILE-END' \
	'# SMT-DMESG-BEGIN' '[    0.1] all fine' '# SMT-DMESG-END' '# SMT-DONE' >"$tmp/good.log"
check() { python3 "$here/ktap-check.py" "$1" test; }
t ktap-good-log-passes 0 check "$tmp/good.log"
sed 's/all fine/------------[ cut here ]------------/' "$tmp/good.log" >"$tmp/warn.log"
t ktap-kernel-warning-fails 1 check "$tmp/warn.log"
sed 's/all fine/arm-smmu 1.iommu: TLB sync timed out -- SMMU may be deadlocked/' "$tmp/good.log" >"$tmp/sync.log"
t ktap-tlb-sync-timeout-fails 1 check "$tmp/sync.log"
sed 's/  ok 2 b/  not ok 2 b/' "$tmp/good.log" >"$tmp/fail.log"
t ktap-not-ok-subtest-fails 1 check "$tmp/fail.log"
sed 's/^1\.\.2/1..3/' "$tmp/good.log" >"$tmp/plan.log"
t ktap-plan-mismatch-fails 1 check "$tmp/plan.log"
sed 's/^  1\.\.2/  1..5/' "$tmp/good.log" >"$tmp/subplan.log"
t ktap-subtest-plan-mismatch-fails 1 check "$tmp/subplan.log"
head -n 8 "$tmp/good.log" >"$tmp/dead.log"
t ktap-dead-guest-fails 1 check "$tmp/dead.log"
: >"$tmp/empty.log"
t ktap-empty-console-fails 1 check "$tmp/empty.log"
t extract-files-finds-file 0 "$here/extract-files.sh" "$tmp/good.log" "$tmp/x"
t extract-files-content-intact 0 test "$(cat "$tmp/x/x" 2>/dev/null)" = hello
t extract-files-none-sent-fails 1 "$here/extract-files.sh" "$tmp/dead.log" "$tmp/y"

# fault-check.sh: the host's fault-after-unmap check, with a stand-in smmutrace
# that prints what a replay would
fault_log() { # fault_log OUT IOVA
	printf '%s\r\n' 'KTAP version 1' '# SMT-KTAP-END' \
		'SMT-FILE-BEGIN fault.smtrec' "$(printf rec | gzip -c | base64 -w0)" 'SMT-FILE-END' \
		'SMT-FILE-BEGIN fault.iova' "$(printf '%s\n' "$2" | gzip -c | base64 -w0)" 'SMT-FILE-END' \
		'# SMT-DONE' >"$1"
}
cat >"$tmp/fake-smmutrace" <<'SH'
#!/bin/sh
echo '{"type":"finding","rule":"fault-after-unmap","severity":"error","iova":"0xffff000","evidence":[{"ev":"fault","ts":5,"iova":"0xffff000","role":"fault"},{"ev":"unmap","ts":3,"domain":"0xd1","iova":"0xffff000","size":4096,"role":"unmap"}]}'
exit 1
SH
chmod +x "$tmp/fake-smmutrace"
fault_log "$tmp/fault-ok.log" 0xffff000
t fault-check-names-the-unmap-passes 0 "$here/fault-check.sh" "$tmp/fake-smmutrace" "$tmp/fault-ok.log" "$tmp/f1"
fault_log "$tmp/fault-other.log" 0xeeee000
t fault-check-other-iova-fails 1 "$here/fault-check.sh" "$tmp/fake-smmutrace" "$tmp/fault-other.log" "$tmp/f2"
printf '#!/bin/sh\necho "{\\"type\\":\\"summary\\"}"\nexit 0\n' >"$tmp/clean-smmutrace" && chmod +x "$tmp/clean-smmutrace"
t fault-check-no-finding-fails 1 "$here/fault-check.sh" "$tmp/clean-smmutrace" "$tmp/fault-ok.log" "$tmp/f3"
t fault-check-no-recording-fails 1 "$here/fault-check.sh" "$tmp/fake-smmutrace" "$tmp/dead.log" "$tmp/f4"

# ground truth (tests/vm/lib.sh, guest side, POSIX sh): kernel iommu:map
# records missing from the capture, as multisets
mkdir -p "$tmp/tracefs"
printf '%s\n' \
	'  dd-93 [000] ..... 12.1: map: IOMMU: iova=0x00000000ffffe000 - 0x00000000fffff000 paddr=0x0000000041234000 size=4096' \
	'  dd-93 [000] ..... 12.2: unmap: IOMMU: iova=0x00000000ffffe000 - 0x00000000fffff000 size=4096 unmapped_size=4096' \
	'  dd-93 [000] ..... 12.3: map: IOMMU: iova=0x0000000000000000 paddr=0x0000000041234000 size=8192' \
	'  dd-93 [000] ..... 12.4: map: IOMMU: iova=0x00000000ffffe000 - 0x00000000fffff000 paddr=0x0000000041234000 size=4096' \
	'  dd-93 [000] ..... 12.5: unmap: IOMMU: iova=0x00000000ffffd000 size=8192 unmapped_size=4096' \
	>"$tmp/tracefs/trace"
printf '%s\n' '{"ev":"map","ts":1,"domain":"0xd","iova":"0xffffe000","size":4096,"ret":0}' \
	'{"ev":"unmap","ts":2,"domain":"0xd","iova":"0xffffe000","size":4096,"ret":4096}' \
	'{"ev":"map","ts":3,"domain":"0xd","iova":"0x0","size":8192,"ret":0}' >"$tmp/capture.jsonl"
truth() { (cd "$here/../../tests/vm" && TRACEFS="$tmp/tracefs" sh -c '. ./lib.sh; trap - EXIT; truth_missing "$1" "$2"' sh "$@"); }
t truth-missing-map-seen-twice-captured-once 0 test "$(truth map "$tmp/capture.jsonl")" = 1
# the last record is 5.10's unmap format (no end address): its size is 8192, not unmapped_size
printf '%s\n' '{"ev":"unmap","ts":4,"domain":"0xd","iova":"0xffffd000","size":8192,"ret":4096}' >>"$tmp/capture.jsonl"
t truth-missing-unmap-all-captured 0 test "$(truth unmap "$tmp/capture.jsonl")" = 0
t truth-missing-unmap-5.10-format-parsed 0 grep -qx 'ffffd000 8192' /tmp/truth.unmap
t truth-missing-empty-capture 0 test "$(truth map /dev/null)" = 3

# private apt state: the suite's own sources list and lists dir, the
# machine's apt configuration untouched (a stand-in apt-get records its args)
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "$@" >>"%s"\n' "$tmp/apt.args" >"$tmp/bin/apt-get" && chmod +x "$tmp/bin/apt-get"
suite() { (PATH="$tmp/bin:$PATH" SMMUTRACE_CACHE="$tmp/cache" bash -c '. "$1/lib.sh"; vm_use_suite sid; printf "%s\n" "${VM_APT[@]}"' sh "$here"); }
suite >"$tmp/apt.opts" 2>/dev/null
t apt-suite-private-sources-list 0 grep -qx "Dir::Etc::SourceList=$tmp/cache/apt/sid/sources.list" "$tmp/apt.opts"
t apt-suite-no-system-source-parts 0 grep -qx "Dir::Etc::SourceParts=/nonexistent" "$tmp/apt.opts"
t apt-suite-private-lists 0 grep -qx "Dir::State::Lists=$tmp/cache/apt/sid/lists" "$tmp/apt.opts"
t apt-suite-updated-with-its-options 0 grep -q "Dir::Etc::SourceList=$tmp/cache/apt/sid/sources.list .* update" "$tmp/apt.args"
t apt-suite-sources-name-sid 0 grep -qE '^deb \[arch=arm64,[a-z0-9]+ signed-by=[^]]+\] https?://[^ ]+ sid main$' "$tmp/cache/apt/sid/sources.list"

echo "selftest: $pass passed, $fail failed"
[ "$fail" = 0 ]

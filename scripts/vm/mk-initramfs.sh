#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build the board's initramfs for one fetched kernel.
#   scripts/vm/mk-initramfs.sh KVER MODULE_KO OUT.cpio.gz [SMMUTRACE_BIN]
# Contents: busybox (+ /bin/sh), /init (scripts/vm/init), the kernel modules the
# board needs with their dependencies (from the host-generated modules.dep,
# .ko.xz decompressed here), the test module, the scenarios and board files
# (tests/vm), and the arm64 smmutrace binary when given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -ge 3 ] || vm_die 2 "usage: mk-initramfs.sh KVER MODULE_KO OUT.cpio.gz [SMMUTRACE_BIN]"
kver=$1 testmod=$2 out=$3 bin=${4:-}
top="$here/../.."
kroot="$VM_CACHE/k/$kver/root"
mdir="$kroot/lib/modules/$kver"
[ -f "$mdir/modules.dep" ] || vm_die 3 "no modules.dep for $kver: run scripts/vm/fetch.sh first"

stage="$out.d"
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,etc,lib/modules,proc,sys,dev,tmp,run,smt/tests,smt/boards}
cp "$VM_CACHE/busybox/bin/busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 755 "$here/init" "$stage/init"

# Modules the board needs, in load order with dependencies first. virtio_pci
# is built in on 6.12 and a module on 6.1: built-ins are skipped.
python3 - "$mdir" virtio_pci virtio_blk e1000 >"$stage/etc/smt-modules.paths" <<'PY'
import os, sys
mdir, wanted = sys.argv[1], sys.argv[2:]
deps, byname = {}, {}
for line in open(os.path.join(mdir, "modules.dep")):
    path, _, rest = line.partition(":")
    deps[path] = rest.split()
    base = os.path.basename(path).split(".ko")[0].replace("-", "_")
    byname[base] = path
builtin = set()
try:
    for line in open(os.path.join(mdir, "modules.builtin")):
        builtin.add(os.path.basename(line.strip()).split(".ko")[0].replace("-", "_"))
except OSError:
    pass
order = []
def load(p):
    if p in order:
        return
    for d in reversed(deps.get(p, [])):
        load(d)
    order.append(p)
for m in wanted:
    if m in byname:
        load(byname[m])
    elif m not in builtin:
        sys.exit("module %s is neither in modules.dep nor built in" % m)
print("\n".join(order))
PY
: >"$stage/etc/smt-modules"
while read -r p; do
	[ -n "$p" ] || continue
	b=$(basename "$p")
	case "$b" in
	*.ko.xz) xz -dc "$mdir/$p" >"$stage/lib/modules/${b%.xz}"; b=${b%.xz} ;;
	*.ko) cp "$mdir/$p" "$stage/lib/modules/$b" ;;
	*) vm_die 3 "unexpected module file $p (only .ko and .ko.xz are handled)" ;;
	esac
	echo "$b" >>"$stage/etc/smt-modules"
done <"$stage/etc/smt-modules.paths"
rm "$stage/etc/smt-modules.paths"
cp "$testmod" "$stage/lib/modules/smmutrace_testmod.ko"
echo smmutrace_testmod.ko >>"$stage/etc/smt-modules"

cp "$top"/tests/vm/*.sh "$stage/smt/tests/"
cp "$top"/tests/vm/boards/*.ini "$stage/smt/boards/" 2>/dev/null || true
if [ -n "$bin" ]; then
	aarch64-linux-gnu-strip -o "$stage/usr/bin/smmutrace" "$bin"
	chmod 755 "$stage/usr/bin/smmutrace"
fi

(cd "$stage" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"

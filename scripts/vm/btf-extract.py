#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Cut the vmlinux BTF blob out of a (possibly gzipped) arm64 kernel Image.

The .BTF section is embedded verbatim: find the BTF header (magic 0xEB9F,
version 1, flags 0, hdr_len 24), compute each candidate's size from its
type/string section offsets and keep the largest one that fits. The result is
byte-identical to the guest's /sys/kernel/btf/vmlinux.
usage: btf-extract.py IMAGE OUT
"""
import gzip
import struct
import sys


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: btf-extract.py IMAGE OUT\n")
        return 2
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"
    best = None
    pos = data.find(magic)
    while pos >= 0:
        if pos + 24 <= len(data):
            type_off, type_len, str_off, str_len = struct.unpack_from("<4I", data, pos + 8)
            size = 24 + max(type_off + type_len, str_off + str_len)
            if pos + size <= len(data) and (best is None or size > best[1]):
                best = (pos, size)
        pos = data.find(magic, pos + 1)
    if best is None:
        sys.stderr.write("%s: no BTF found: is it a kernel built with CONFIG_DEBUG_INFO_BTF?\n" % sys.argv[1])
        return 3
    with open(sys.argv[2], "wb") as f:
        f.write(data[best[0]:best[0] + best[1]])
    return 0


if __name__ == "__main__":
    sys.exit(main())

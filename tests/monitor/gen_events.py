#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Synthetic SMMU event stream for the monitor tests, paced at a fixed rate.

8 GPU domains behind one TBU gated by clk:gpu_clk; strict map -> unmap ->
TLBI -> sync traffic over a fixed set of IOVAs per domain (so the engine's
state stays small however long it runs), and every --gate-every cycles the
clock goes off for a few cycles: unmap/tlbi/sync-while-gated findings, then
tbu-stale-exposure when it comes back. Event time advances 1e9/rate ns per
event, so with pacing event time runs like wall time.

  gen_events.py --rate 20000 --seconds 60 [--board OUT] > events.jsonl
  gen_events.py --events 100000 (no pacing: as fast as the pipe takes it)
"""
import argparse
import sys
import time

BOARD = """[smmu 15000000.iommu]
[tbu gpu_tbu0]
sids  = 0x0-0x3ff
gates = clk:gpu_clk
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=0, help="events per second (0 = unpaced)")
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--events", type=int, default=0)
    ap.add_argument("--gate-every", type=int, default=2000, help="cycles between gated bursts")
    ap.add_argument("--board", help="write the board file here")
    a = ap.parse_args()
    if a.board:
        with open(a.board, "w") as f:
            f.write(BOARD)
    total = a.events or int(a.rate * a.seconds)
    step = int(1e9 / a.rate) if a.rate else 1000
    out = sys.stdout
    ts = 1_000_000_000
    n = 0
    lines = []
    start = time.monotonic()

    def emit(s):
        nonlocal ts, n
        lines.append('{"ts":%d,%s}\n' % (ts, s))
        ts += step
        n += 1

    def flush():
        out.write("".join(lines))
        out.flush()
        lines.clear()
        if a.rate:
            ahead = n / a.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    emit('"ev":"meta","kernel":"6.6.0-synthetic","strict":true,"since_boot":true')
    emit('"ev":"clk","clk":"gpu_clk","on":true')
    doms = ["0xffffff80a0%02x0000" % i for i in range(8)]
    for i, d in enumerate(doms):
        emit('"ev":"attach","domain":"%s","dev":"gpu%d","smmu":"15000000.iommu","sids":[%d]' % (d, i, i))
    cycle = 0
    gated = 0
    while n < total:
        d = doms[cycle % 8]
        iova = 0x100000 + ((cycle // 8) % 64) * 0x1000
        if cycle % a.gate_every == a.gate_every - 1:
            emit('"ev":"clk","clk":"gpu_clk","on":false')
            gated = 2
        emit('"ev":"map","domain":"%s","iova":"0x%x","size":4096,"paddr":"0x8%07x","ret":0'
             % (d, iova, cycle % 0x1000000))
        emit('"ev":"unmap","domain":"%s","iova":"0x%x","size":4096,"ret":4096' % (d, iova))
        emit('"ev":"tlbi","domain":"%s","scope":"va","iova":"0x%x","size":4096' % (d, iova))
        emit('"ev":"sync","domain":"%s","scope":"context","dur":%d' % (d, 1500 + (cycle * 7919) % 60000))
        if gated:
            gated -= 1
            if not gated:
                emit('"ev":"clk","clk":"gpu_clk","on":true')
        cycle += 1
        if len(lines) >= 256 or (a.rate and len(lines) >= a.rate / 100):
            flush()
    flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass

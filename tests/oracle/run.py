#!/usr/bin/env python3
"""Differential oracle: replay seeded random streams through
`smmutrace replay --json` and through model.py (SPEC sections 3-5, written
from the SPEC text), and fail on any difference in the findings (rule,
severity, ts, domain, iova, size, TBUs), printing the stream shrunk to the
fewest events that still differ. On every fifth stream it also checks that
`smmutrace report --format json` shows lifetimes that agree with the
findings (issue 9 C: the report once kept a lifetime model of its own).

    run.py SMMUTRACE [--random N] [--realistic N] [--seed S]

Prints TAP-like "ok - " / "not ok - " lines; exit status 1 on any failure.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen      # noqa: E402
import model    # noqa: E402


class Replayer:
    def __init__(self, binary, tmp):
        self.binary = binary
        self.tmp = tmp
        self.board_path = os.path.join(tmp, 'board.ini')
        with open(self.board_path, 'w') as f:
            f.write(gen.BOARD_TEXT)

    def run(self, args, events, board_text):
        path = os.path.join(self.tmp, 'stream.jsonl')
        with open(path, 'w') as f:
            for ev in events:
                f.write(json.dumps(ev) + '\n')
        cmd = [self.binary] + args
        if board_text:
            cmd += ['--board', self.board_path]
        p = subprocess.run(cmd + [path], capture_output=True, text=True)
        if p.returncode not in (0, 1):
            raise RuntimeError('%s exited %d: %s' % (' '.join(cmd), p.returncode, p.stderr.strip()))
        return p.stdout

    def report(self, events, board_text):
        return json.loads(self.run(['report', '--format', 'json'], events, board_text))

    def findings(self, events, board_text):
        p = self.run(['replay', '--json', '--fail-on', 'never'], events, board_text)
        out = []
        for line in p.splitlines():
            o = json.loads(line)
            if o.get('type') == 'finding':
                out.append(model.key(o))
        return out


def differs(rep, events, board, board_text):
    want = collections.Counter(model.run(events, board))
    got = collections.Counter(rep.findings(events, board_text))
    if want == got:
        return None
    return sorted((got - want).elements()), sorted((want - got).elements())


def contradictions(rep, events, board, board_text):
    """What the report's lifetimes say against its findings (empty: none)."""
    o = rep.report(events, board_text)
    lts = o['lifetimes']
    out = []

    def over(lt, dom, a, b):
        return (model.addr(lt['domain']) == dom and model.addr(lt['iova']) < b and
                a < model.addr(lt['iova']) + lt['size'])

    for lt in lts:
        u, i, s = lt['unmap_ts'], lt['invalidated_ts'], lt['synced_ts']
        if s is not None and (i is None or u is None or not u <= i <= s):
            out.append('lifetime %s out of order' % json.dumps(lt))
    for f in o['findings']:
        if f.get('domain') is None or f.get('iova') is None:
            continue
        dom, a, ts = model.addr(f['domain']), model.addr(f['iova']), f['ts']
        b = a + max(f['size'], 1)
        if f['rule'] == 'iova-reuse-before-sync':
            # some lifetime there was unmapped and not yet synced when the map came
            ok = any(over(lt, dom, a, b) and lt['unmap_ts'] is not None and lt['unmap_ts'] <= ts and
                     (lt['synced_ts'] is None or lt['synced_ts'] >= ts) for lt in lts)
        elif f['rule'] == 'unmap-no-invalidate':
            ok = any(over(lt, dom, a, b) and lt['unmap_ts'] == ts and
                     (lt['synced_ts'] is None or lt['synced_ts'] - ts > model.INVAL_WINDOW) for lt in lts)
        elif f['rule'] == 'fault-after-unmap':
            ok = any(over(lt, dom, a, b) and lt['unmap_ts'] is not None and
                     0 <= ts - lt['unmap_ts'] <= model.FAULT_WINDOW for lt in lts)
        else:
            continue
        if not ok:
            out.append('%s at ts=%d over 0x%x+0x%x: no lifetime in the report agrees'
                       % (f['rule'], ts, a, b - a))
    return out


def shrink(rep, events, board, board_text, budget=600, differs=differs):
    """ddmin over events: the smallest sub-stream (order kept) that still differs."""
    n = 2
    tries = 0
    while len(events) >= 2 and tries < budget:
        chunk = max(1, len(events) // n)
        reduced = False
        for i in range(0, len(events), chunk):
            cand = events[:i] + events[i + chunk:]
            tries += 1
            if cand and differs(rep, cand, board, board_text):
                events = cand
                n = max(n - 1, 2)
                reduced = True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(events), n * 2)
    return events


def fmt(f):
    rule, sev, ts, dom, iova, size, tbus = f
    s = '%s %s ts=%d' % (rule, sev, ts)
    if dom is not None:
        s += ' domain=0x%x' % dom
    if iova is not None:
        s += ' iova=0x%x size=0x%x' % (iova, size)
    if tbus:
        s += ' tbus=' + ','.join(tbus)
    return s


def report_difference(rep, name, events, board, board_text):
    small = shrink(rep, events, board, board_text)
    only_tool, only_model = differs(rep, small, board, board_text)
    print('not ok - oracle: %s: smmutrace and the SPEC model differ' % name)
    print('#   shrunk stream (%d of %d events)%s:' % (len(small), len(events),
                                                        ', with the oracle board' if board else ''))
    for ev in small:
        print('#     ' + json.dumps(ev))
    for f in only_tool:
        print('#   only smmutrace: ' + fmt(f))
    for f in only_model:
        print('#   only the model: ' + fmt(f))


def report_contradiction(rep, name, events, board, board_text):
    small = shrink(rep, events, board, board_text, differs=contradictions)
    print('not ok - oracle: %s: the report\'s lifetimes contradict its findings' % name)
    print('#   shrunk stream (%d of %d events):' % (len(small), len(events)))
    for ev in small:
        print('#     ' + json.dumps(ev))
    for c in contradictions(rep, small, board, board_text):
        print('#   ' + c)


def self_test():
    """The model gives what SPEC section 5 says on issue 9's examples: an oracle
    that agreed with anything would pass every stream."""
    d = '0x10'
    board = {'smmus': [gen.SMMU], 'tbus': []}

    def mp(ts, iova=0x1000, size=0x1000):
        return {'ev': 'map', 'ts': ts, 'domain': d, 'iova': iova, 'size': size, 'ret': 0}

    def um(ts, iova=0x1000, size=0x1000):
        return {'ev': 'unmap', 'ts': ts, 'domain': d, 'iova': iova, 'size': size, 'ret': size}

    def rules(fs):
        return sorted((f[0], f[2]) for f in fs)

    ms = 1_000_000
    cases = [
        ('A', [mp(0), um(1000), mp(2000), mp(3000)],
         [('iova-reuse-before-sync', 2000), ('iova-reuse-before-sync', 3000), ('map-over-live', 3000)]),
        ('A with lost', [mp(0), um(1000), mp(2000), {'ev': 'lost', 'ts': 200 * ms, 'count': 1}],
         [('events-lost', 200 * ms), ('iova-reuse-before-sync', 2000), ('unmap-no-invalidate', 1000)]),
        ('A with fault', [mp(0), um(1000), mp(2000), {'ev': 'fault', 'ts': 3000, 'domain': d, 'iova': '0x1800'}],
         [('fault-after-unmap', 3000), ('iova-reuse-before-sync', 2000)]),
        ('B', [mp(0), um(1000), um(50 * ms),
               {'ev': 'tlbi', 'ts': 120 * ms, 'domain': d, 'scope': 'va', 'iova': '0x1000', 'size': 4096},
               {'ev': 'sync', 'ts': 120 * ms, 'domain': d, 'scope': 'context', 'dur': 1000}],
         [('unmap-no-invalidate', 1000), ('unmap-unmapped', 50 * ms)]),
        ('C', [mp(0, 0x1000, 0x2000), um(1000, 0x1000, 0x2000),
               {'ev': 'tlbi', 'ts': 2000, 'domain': d, 'scope': 'va', 'iova': '0x1000', 'size': 4096},
               {'ev': 'sync', 'ts': 3000, 'domain': d, 'scope': 'context', 'dur': 1000},
               mp(4000, 0x2000, 0x1000)],
         [('iova-reuse-before-sync', 4000)]),
    ]
    ok = True
    for name, events, want in cases:
        got = rules(model.run(events, board))
        if got != sorted(want):
            print('not ok - oracle model: issue 9 example %s: got %s, SPEC says %s' % (name, got, sorted(want)))
            ok = False
        else:
            print('ok - oracle model: issue 9 example %s gives what SPEC section 5 says' % name)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('smmutrace')
    ap.add_argument('--random', type=int, default=int(os.environ.get('ORACLE_RANDOM', 250)))
    ap.add_argument('--realistic', type=int, default=int(os.environ.get('ORACLE_REALISTIC', 100)))
    ap.add_argument('--seed', type=int, default=int(os.environ.get('ORACLE_SEED', 1)))
    args = ap.parse_args()

    ok = self_test()
    with tempfile.TemporaryDirectory(prefix='smmutrace-oracle.') as tmp:
        rep = Replayer(os.path.abspath(args.smmutrace), tmp)
        for kind, count, make in (('random', args.random, gen.gen_random),
                                  ('realistic', args.realistic, gen.gen_realistic)):
            bad = 0
            nevents = nfindings = nreports = 0
            for i in range(count):
                seed = args.seed + i
                events, board, board_text = make(seed)
                nevents += len(events)
                try:
                    d = differs(rep, events, board, board_text)
                except RuntimeError as e:
                    print('not ok - oracle: %s stream seed %d: %s' % (kind, seed, e))
                    bad += 1
                    continue
                nfindings += len(model.run(events, board))
                if not d and i % 5 == 0:
                    nreports += 1
                    if contradictions(rep, events, board, board_text):
                        bad += 1
                        report_contradiction(rep, '%s stream seed %d' % (kind, seed), events, board,
                                             board_text)
                if d:
                    bad += 1
                    report_difference(rep, '%s stream seed %d' % (kind, seed), events, board, board_text)
                    if bad >= 3:
                        print('# (stopping the %s streams after 3 differences)' % kind)
                        break
            if not bad:
                print('ok - oracle: %d %s streams (seeds %d-%d, %d events, %d findings) agree with the SPEC model;'
                      ' %d reports agree with their findings'
                      % (count, kind, args.seed, args.seed + count - 1, nevents, nfindings, nreports))
            ok = ok and not bad
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

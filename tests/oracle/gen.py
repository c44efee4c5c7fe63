"""Seeded random event streams (SPEC section 3) rich in the corner cases of
sections 4-5, for the differential oracle.

Two kinds:
- "random": anything a lossy capture could show: partial and double unmaps,
  half-page returns, remaps before sync, faults after remap, TLBIs of every
  scope over arbitrary ranges, syncs of every scope, flush_all, smmu_reset,
  domain_free and pointer reuse, attach/detach, gates flapping, lost events,
  since_boot:false, slow and timed-out syncs;
- "realistic": what a driver issues (strict: unmap, TLBI of that range, sync;
  lazy: unmaps then flush_all), whole-range unmaps returning their size, with
  now and then a hazard (a TLBI or sync missing, a reuse before the flush, a
  fault after an unmap, an unmap while the TBU is gated).

Every address and size is a multiple of model.UNIT (a half page).
"""

import random

from model import UNIT

SMMU = '9050000.smmuv3'
PAGE = 0x1000
BOARD = {
    'smmus': [SMMU],
    'tbus': [
        ('tbu_a', SMMU, [(0x0, 0xf)], [('clk', 'clk_a'), ('pd', 'pd_a')]),
        ('tbu_b', SMMU, [(0x10, 0x1f)], [('rpm', 'dev1'), ('clk', 'clk_shared')]),
        ('tbu_c', SMMU, [(0x8, 0x17), (0x40, 0x40)], [('clk', 'clk_shared')]),
    ],
}
BOARD_TEXT = """[smmu 9050000.smmuv3]
[tbu tbu_a]
sids = 0x0-0xf
gates = clk:clk_a, pd:pd_a
[tbu tbu_b]
smmu = 9050000.smmuv3
sids = 0x10-0x1f
gates = rpm:dev1, clk:clk_shared
[tbu tbu_c]
sids = 0x8-0x17, 0x40
gates = clk:clk_shared
"""
DOMAINS = [0xffff000010000000 + i * 0x1000 for i in range(3)]
DEVS = [('dev0', [0x1]), ('dev1', [0x12, 0x10013]), ('dev2', [0x30]), ('dev3', [0x40])]
GATE_EVENTS = [('clk', 'clk_a'), ('pd', 'pd_a'), ('rpm', 'dev1'), ('clk', 'clk_shared'),
               ('clk', 'clk_not_on_board')]
RPM_STATES = ['active', 'suspending', 'suspended', 'resuming']
MS = 1_000_000


class Stream:
    def __init__(self, rng, calm=False):
        self.rng = rng
        self.calm = calm        # a driver at work: microseconds apart, now and then idle
        self.ts = rng.randrange(0, 10 * MS)
        self.events = []
        self.mapped = {d: [] for d in DOMAINS}      # (iova, size) believed mapped
        self.unmapped = {d: [] for d in DOMAINS}    # recent unmaps

    def step(self):
        r = self.rng.random()
        if self.calm:
            self.ts += self.rng.randrange(1, 20000) if r < 0.97 else self.rng.randrange(5, 300) * MS
            return
        if r < 0.08:
            pass                                    # same ts
        elif r < 0.70:
            self.ts += self.rng.randrange(1, 5000)
        elif r < 0.90:
            self.ts += self.rng.randrange(1, 40) * MS
        elif r < 0.97:
            self.ts += self.rng.randrange(60, 150) * MS
        else:
            self.ts += self.rng.randrange(900, 1300) * MS

    def emit(self, ev, **kw):
        self.step()
        e = {'ev': ev, 'ts': self.ts}
        e.update(kw)
        self.events.append(e)
        return e

    @staticmethod
    def hx(v):
        return '0x%x' % v


def rand_range(rng):
    iova = rng.randrange(0, 16) * PAGE
    if rng.random() < 0.1:
        iova += UNIT
    size = rng.choice([1, 1, 1, 2, 2, 4]) * PAGE
    if rng.random() < 0.05:
        size = UNIT
    return iova, size


def gen_random(seed):
    rng = random.Random(seed)
    s = Stream(rng)
    board = rng.random() < 0.75
    if rng.random() < 0.8:
        meta = {'kernel': '6.12.117', 'strict': rng.random() < 0.5}
        if rng.random() < 0.7:
            meta['since_boot'] = rng.random() < 0.5
        s.emit('meta', **meta)
    for d in DOMAINS:
        if rng.random() < 0.85:
            dev, sids = DEVS[DOMAINS.index(d)]
            kw = {'domain': s.hx(d), 'dev': dev, 'sids': sids}
            if rng.random() < 0.5:
                kw['smmu'] = SMMU
            s.emit('attach', **kw)
    weights = [('map', 24), ('unmap', 20), ('tlbi', 15), ('sync', 12), ('flush_all', 3),
               ('smmu_reset', 1.5), ('domain_free', 1.5), ('attach', 2), ('detach', 1),
               ('gate', 10 if board else 2), ('fault', 5), ('lost', 1.5)]
    total = sum(w for _, w in weights)
    for _ in range(rng.randrange(20, 110)):
        x = rng.random() * total
        for kind, w in weights:
            x -= w
            if x < 0:
                break
        d = rng.choice(DOMAINS)
        if kind == 'map':
            if s.unmapped[d] and rng.random() < 0.4:
                iova, size = rng.choice(s.unmapped[d])     # remap, maybe before sync
            else:
                iova, size = rand_range(rng)
            ret = 0 if rng.random() < 0.88 else rng.choice([-17, -17, -12])
            s.emit('map', domain=s.hx(d), iova=s.hx(iova), size=size,
                   paddr=s.hx(0x80000000 + iova), ret=ret)
            if ret == 0:
                s.mapped[d].append((iova, size))
        elif kind == 'unmap':
            if s.mapped[d] and rng.random() < 0.7:
                iova, size = s.mapped[d].pop(rng.randrange(len(s.mapped[d])))
            elif s.unmapped[d] and rng.random() < 0.5:
                iova, size = rng.choice(s.unmapped[d])     # double unmap
            else:
                iova, size = rand_range(rng)
            r = rng.random()
            ret = size if r < 0.8 else rng.choice([0, -22, UNIT, size - UNIT, size + PAGE])
            s.emit('unmap', domain=s.hx(d), iova=s.hx(iova), size=size, ret=ret)
            s.unmapped[d].append((iova, size))
            s.unmapped[d] = s.unmapped[d][-6:]
        elif kind == 'tlbi':
            r = rng.random()
            kw = {}
            if rng.random() < 0.5:
                kw['smmu'] = SMMU
            if r < 0.6:
                if s.unmapped[d] and rng.random() < 0.7:
                    iova, size = rng.choice(s.unmapped[d])
                    if rng.random() < 0.3:         # a TLBI covering part of it
                        size = max(UNIT, size // 2)
                        iova += rng.choice([0, size])
                else:
                    iova, size = rand_range(rng)
                if rng.random() < 0.05:
                    s.emit('tlbi', domain=s.hx(d), scope='va', **kw)   # no range: whole domain
                else:
                    s.emit('tlbi', domain=s.hx(d), scope='va', iova=s.hx(iova), size=size, **kw)
            elif r < 0.85:
                s.emit('tlbi', domain=s.hx(d), scope='context', **kw)
            else:
                if rng.random() < 0.5:
                    kw['domain'] = s.hx(d)
                s.emit('tlbi', scope='all', **kw)
        elif kind == 'sync':
            r = rng.random()
            dur = rng.randrange(200, 5000)
            kw = {}
            if rng.random() < 0.05:
                dur = rng.randrange(1, 5) * MS
            if rng.random() < 0.03:
                kw['timeout'] = True
            if rng.random() < 0.5:
                kw['smmu'] = SMMU
            if r < 0.6:
                s.emit('sync', domain=s.hx(d), scope='context', dur=dur, **kw)
            elif r < 0.85:
                s.emit('sync', scope='global', dur=dur, **kw)
            else:
                s.emit('sync', scope='context', dur=dur, **kw)     # no domain: global
        elif kind == 'flush_all':
            s.emit('flush_all', domain=s.hx(d))
        elif kind == 'smmu_reset':
            s.emit('smmu_reset', smmu=SMMU)
        elif kind == 'domain_free':
            s.emit('domain_free', domain=s.hx(d))
            s.mapped[d] = []
            s.unmapped[d] = []
        elif kind == 'attach':
            dev, sids = rng.choice(DEVS)
            s.emit('attach', domain=s.hx(d), dev=dev, sids=sids, smmu=SMMU)
        elif kind == 'detach':
            s.emit('detach', domain=s.hx(d), dev=rng.choice(DEVS)[0])
        elif kind == 'gate':
            g = rng.choice(GATE_EVENTS)
            if g[0] == 'rpm':
                s.emit('rpm', dev=g[1], state=rng.choice(RPM_STATES))
            elif g[0] == 'clk':
                s.emit('clk', clk=g[1], on=rng.random() < 0.5)
            else:
                s.emit('pd', pd=g[1], on=rng.random() < 0.5)
        elif kind == 'fault':
            if s.unmapped[d] and rng.random() < 0.8:
                iova, size = rng.choice(s.unmapped[d])
            else:
                iova, size = rand_range(rng)
            at = iova + rng.randrange(0, size, 0x10)
            if rng.random() < 0.8:
                s.emit('fault', domain=s.hx(d), iova=s.hx(at), smmu=SMMU)
            else:
                s.emit('fault', dev=DEVS[DOMAINS.index(d)][0], iova=s.hx(at))
        elif kind == 'lost':
            s.emit('lost', count=rng.randrange(1, 100))
    return s.events, (BOARD if board else None), (BOARD_TEXT if board else None)


def gen_realistic(seed):
    rng = random.Random(seed)
    s = Stream(rng, calm=True)
    strict = rng.random() < 0.5
    s.emit('meta', kernel='6.12.117', strict=strict, since_boot=True)
    s.emit('rpm', dev='dev1', state='active')
    s.emit('clk', clk='clk_shared', on=True)
    for i, d in enumerate(DOMAINS[:2]):
        dev, sids = DEVS[i]
        s.emit('attach', domain=s.hx(d), dev=dev, sids=sids, smmu=SMMU)
    free = {d: list(range(0, 32, 2)) for d in DOMAINS[:2]}     # IOVA allocator slots
    live = {d: [] for d in DOMAINS[:2]}
    queue = {d: [] for d in DOMAINS[:2]}                        # lazy: unmapped, not yet flushed
    for _ in range(rng.randrange(30, 120)):
        d = rng.choice(DOMAINS[:2])
        dom = s.hx(d)
        r = rng.random()
        if r < 0.45 and free[d]:
            slot = free[d].pop(rng.randrange(len(free[d])))
            iova, size = slot * PAGE, rng.choice([1, 2]) * PAGE
            s.emit('map', domain=dom, iova=s.hx(iova), size=size, ret=0)
            live[d].append((slot, iova, size))
        elif r < 0.85 and live[d]:
            slot, iova, size = live[d].pop(rng.randrange(len(live[d])))
            s.emit('unmap', domain=dom, iova=s.hx(iova), size=size, ret=size)
            if strict:
                if rng.random() > 0.04:
                    s.emit('tlbi', smmu=SMMU, domain=dom, scope='va', iova=s.hx(iova), size=size)
                if rng.random() > 0.03:
                    s.emit('sync', smmu=SMMU, domain=dom, scope='context', dur=rng.randrange(500, 3000))
                free[d].append(slot)
            else:
                queue[d].append(slot)
                if rng.random() < 0.05:
                    free[d].append(slot)          # an allocator handing it out before the flush
            if rng.random() < 0.08:
                s.emit('fault', domain=dom, iova=s.hx(iova + 0x40), smmu=SMMU)
        elif r < 0.92 and not strict and queue[d]:
            if rng.random() < 0.7:
                s.emit('flush_all', domain=dom)
            else:
                s.emit('tlbi', smmu=SMMU, domain=dom, scope='context')
                s.emit('sync', smmu=SMMU, domain=dom, scope='context', dur=rng.randrange(500, 3000))
            free[d].extend(queue[d])
            queue[d] = []
        elif r < 0.97:
            # dev1's TBU (tbu_b) goes dark with it now and then
            s.emit('rpm', dev='dev1', state='suspending')
            s.emit('rpm', dev='dev1', state='suspended')
            if rng.random() < 0.3 and live[DOMAINS[1]]:
                slot, iova, size = live[DOMAINS[1]].pop()
                s.emit('unmap', domain=s.hx(DOMAINS[1]), iova=s.hx(iova), size=size, ret=size)
                s.emit('tlbi', smmu=SMMU, domain=s.hx(DOMAINS[1]), scope='va', iova=s.hx(iova), size=size)
                s.emit('sync', smmu=SMMU, domain=s.hx(DOMAINS[1]), scope='context', dur=900)
                free[DOMAINS[1]].append(slot)
            s.emit('rpm', dev='dev1', state='resuming')
            s.emit('rpm', dev='dev1', state='active')
            if rng.random() < 0.2:
                s.emit('smmu_reset', smmu=SMMU)
        else:
            s.emit('sync', smmu=SMMU, scope='global', dur=rng.randrange(500, 3000))
    return s.events, BOARD, BOARD_TEXT

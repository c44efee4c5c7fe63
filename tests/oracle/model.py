"""A deliberately slow, obviously correct model of SPEC sections 3-5.

Written from the SPEC text, not from src/engine.c: plain dicts and lists, one
entry per address unit (UNIT bytes; the generator keeps every address and
size a multiple of it). Where the SPEC is silent or ambiguous the choice made
is written down in README.md next to this file.

feed(event) takes one JSONL event (a dict as json.loads gives it), finish()
ends the stream; findings is the list of findings as comparable tuples:
(rule, severity, ts, domain, iova, size, tbus) with None where a field is not
defined for that rule (see key()).
"""

UNIT = 0x800

INVAL_WINDOW = 100_000_000     # --inval-window default, ns
FAULT_WINDOW = 1_000_000_000   # --fault-window default
SYNC_SLOW = 1_000_000          # --sync-slow default
EEXIST = -17


def addr(v):
    """SPEC 3: addresses are JSON integers or "0x..." strings."""
    if isinstance(v, str):
        return int(v, 16)
    return v


def units(iova, size):
    assert iova % UNIT == 0 and size % UNIT == 0, (hex(iova), hex(size))
    return range(iova // UNIT, (iova + size) // UNIT)


class Unmap:
    """One unmap and the invalidation it owes, per unit: 'owed' (no covering
    TLBI after it yet) or 'covered' (a TLBI after it covered the unit, waiting
    for a sync in scope). A completed unit is removed."""

    def __init__(self, ts, unit_list):
        self.ts = ts
        self.pending = {u: 'owed' for u in unit_list}
        self.reported = False   # unmap-no-invalidate already given


class Domain:
    def __init__(self, ptr, smmu):
        self.ptr = ptr
        self.smmu = smmu
        self.devs = {}          # dev -> list of sids
        self.pages = {}         # unit -> ('mapped', map ts) | ('unmapped', unmap ts); absent: unknown
        self.unmaps = []        # Unmap, in stream order


class Tbu:
    def __init__(self, name, smmu, sids, gates):
        self.name = name
        self.smmu = smmu
        self.sids = sids        # list of (first, last)
        self.gates = gates      # list of (kind, name)
        self.exposed = False    # TLBIs for its domains while gated, no reset since


class Model:
    def __init__(self, board=None):
        """board: {'smmus': [names], 'tbus': [(name, smmu, [(lo, hi)], [(kind, name)])]}"""
        board = board or {'smmus': [], 'tbus': []}
        self.smmus = board['smmus']
        self.default_smmu = self.smmus[0] if len(self.smmus) == 1 else ''
        self.tbus = [Tbu(*t) for t in board['tbus']]
        self.gate = {}          # (kind, name) -> True on / False off; absent: unknown (= on)
        self.domains = {}       # ptr -> Domain
        self.since_boot = True
        self.now = 0
        self.findings = []

    # ---- helpers -------------------------------------------------------------

    def find(self, rule, sev, ts, domain=None, iova=None, size=None, tbus=()):
        self.findings.append((rule, sev, ts, domain, iova, size, tuple(sorted(tbus))))

    def domain(self, ptr, create=True):
        if ptr not in self.domains and create:
            self.domains[ptr] = Domain(ptr, self.default_smmu)
        return self.domains.get(ptr)

    def smmu_match(self, a, b):
        return not a or not b or a == b

    def gate_on(self, g):
        return self.gate.get(g, True)

    def gated(self, t):
        """SPEC 4: a TBU is gated while any of its gates is off."""
        return any(not self.gate_on(g) for g in t.gates)

    def serves(self, t, d):
        """SPEC 4: the domain's SIDs (sid & 0xffff) meet the TBU's ranges."""
        if d is None or not self.smmu_match(t.smmu, d.smmu):
            return False
        return any(lo <= (s & 0xffff) <= hi
                   for sids in d.devs.values() for s in sids for lo, hi in t.sids)

    def domains_on(self, smmu):
        return [d for d in self.domains.values() if self.smmu_match(d.smmu, smmu)]

    def event_smmu(self, ev, d):
        if ev.get('smmu'):
            return ev['smmu']
        return d.smmu if d else self.default_smmu

    # ---- windows ---------------------------------------------------------------

    def check_windows(self, now):
        """unmap-no-invalidate: an unmap still not invalidated+synced a window later."""
        for d in self.domains.values():
            for u in d.unmaps:
                if u.reported or not u.pending or now - u.ts <= INVAL_WINDOW:
                    continue
                u.reported = True
                lo, hi = min(u.pending), max(u.pending) + 1
                self.find('unmap-no-invalidate', 'warning', u.ts, d.ptr, lo * UNIT, (hi - lo) * UNIT)

    # ---- the TLB side ------------------------------------------------------------

    def cover(self, d, unit_set, ts):
        """A TLBI covers the owed units of unmaps issued before it (all seen so far)."""
        for u in d.unmaps:
            for k, st in u.pending.items():
                if st == 'owed' and (unit_set is None or k in unit_set):
                    u.pending[k] = 'covered'

    def complete(self, d, everything):
        """A sync completes covered units; flush_all/smmu_reset everything."""
        for u in d.unmaps:
            for k in list(u.pending):
                if everything or u.pending[k] == 'covered':
                    del u.pending[k]

    # ---- events ------------------------------------------------------------------

    def feed(self, ev):
        ts = ev['ts']
        self.now = max(self.now, ts)
        self.check_windows(self.now)
        getattr(self, 'ev_' + ev['ev'])(ev, ts)

    def finish(self):
        self.check_windows(self.now)

    def ev_meta(self, ev, ts):
        if 'since_boot' in ev:
            self.since_boot = ev['since_boot']

    def ev_attach(self, ev, ts):
        d = self.domain(addr(ev['domain']))
        for o in self.domains.values():     # a device is in one domain at a time
            if o is not d:
                o.devs.pop(ev['dev'], None)
        if ev.get('smmu'):
            d.smmu = ev['smmu']
        d.devs[ev['dev']] = list(ev.get('sids', []))

    def ev_detach(self, ev, ts):
        d = self.domain(addr(ev['domain']), create=False)
        if d:
            d.devs.pop(ev['dev'], None)

    def ev_domain_free(self, ev, ts):
        self.domains.pop(addr(ev['domain']), None)

    def ev_map(self, ev, ts):
        d = self.domain(addr(ev['domain']))
        iova, size = addr(ev['iova']), ev['size']
        us = units(iova, size)
        live = any(d.pages.get(k, ('',))[0] == 'mapped' for k in us)
        known_free = any(d.pages.get(k, ('',))[0] == 'unmapped' for k in us)
        if ev['ret'] != 0:
            if ev['ret'] == EEXIST and not live and known_free:
                self.find('stale-pte', 'error', ts, d.ptr, iova, size)
            return
        if live:
            self.find('map-over-live', 'error', ts, d.ptr, iova, size)
        if any(k in u.pending for u in d.unmaps for k in us):
            self.find('iova-reuse-before-sync', 'error', ts, d.ptr, iova, size)
        for k in us:
            d.pages[k] = ('mapped', ts)

    def ev_unmap(self, ev, ts):
        d = self.domain(addr(ev['domain']))
        iova, size, ret = addr(ev['iova']), ev['size'], ev['ret']
        gated = [t for t in self.tbus if self.gated(t)]
        if gated:
            serving = [t.name for t in gated if self.serves(t, d)]
            if serving:
                self.find('unmap-while-gated', 'error', ts, d.ptr, iova, size, serving)
            else:
                self.find('unmap-while-gated', 'warning', ts, d.ptr, iova, size,
                          [t.name for t in gated])
        us = units(iova, size)
        states = [d.pages.get(k, ('unknown',))[0] for k in us]
        short = ret < size
        if short or 'unmapped' in states or ('unknown' in states and self.since_boot):
            self.find('unmap-unmapped', 'warning', ts, d.ptr, iova, size)
        done = max(0, min(ret, size))
        done_units = list(units(iova, done))
        for k in done_units:
            d.pages[k] = ('unmapped', ts)
        if done_units:
            d.unmaps.append(Unmap(ts, done_units))

    def tlbi_gate_rules(self, ev, ts, d, smmu, scope_all):
        gated = [t for t in self.tbus if self.gated(t)]
        if not gated:
            return
        hit = [t for t in gated if self.serves(t, d) or
               (scope_all and self.smmu_match(t.smmu, smmu))]
        va = ev['ev'] == 'tlbi' and ev['scope'] == 'va'
        iova = addr(ev.get('iova', 0)) if va else None
        size = ev.get('size', 0) if va else None
        dom = d.ptr if d else None
        if hit:
            self.find('tlbi-while-gated', 'error', ts, dom, iova, size, [t.name for t in hit])
        else:
            self.find('tlbi-while-gated', 'warning', ts, dom, iova, size, [t.name for t in gated])
        for t in hit:
            t.exposed = True

    def ev_tlbi(self, ev, ts):
        d = self.domain(addr(ev['domain'])) if 'domain' in ev else None
        smmu = self.event_smmu(ev, d)
        scope = ev['scope']
        self.tlbi_gate_rules(ev, ts, d, smmu, scope == 'all')
        if scope == 'all':
            for x in self.domains_on(smmu):
                self.cover(x, None, ts)
        elif d is None:
            return
        elif scope == 'context' or 'iova' not in ev or 'size' not in ev:
            self.cover(d, None, ts)      # README: a va TLBI without its range: whole domain
        else:
            self.cover(d, set(units(addr(ev['iova']), ev['size'])), ts)

    def ev_sync(self, ev, ts):
        d = self.domain(addr(ev['domain'])) if 'domain' in ev else None
        smmu = self.event_smmu(ev, d)
        dom = d.ptr if d else None
        if ev.get('timeout'):
            self.find('sync-timeout', 'error', ts, dom)
        elif ev['dur'] > SYNC_SLOW:
            self.find('sync-slow', 'warning', ts, dom)
        gated = [t.name for t in self.tbus if self.gated(t) and self.smmu_match(t.smmu, smmu)]
        if gated:
            self.find('sync-while-gated', 'warning', ts, dom, tbus=gated)
        if ev['scope'] == 'global' or d is None:   # README: a context sync without domain is global
            for x in self.domains_on(smmu):
                self.complete(x, False)
        else:
            self.complete(d, False)

    def ev_flush_all(self, ev, ts):
        d = self.domain(addr(ev['domain']))
        self.tlbi_gate_rules(ev, ts, d, d.smmu, False)
        self.complete(d, True)

    def ev_smmu_reset(self, ev, ts):
        smmu = ev.get('smmu', '')
        for x in self.domains_on(smmu):
            self.complete(x, True)
        for t in self.tbus:
            if not self.gated(t) and self.smmu_match(t.smmu, smmu):
                t.exposed = False

    def gate_event(self, g, on, ts):
        if not any(g in t.gates for t in self.tbus):
            return
        before = {t.name: self.gated(t) for t in self.tbus}
        self.gate[g] = on
        for t in self.tbus:
            if before[t.name] and not self.gated(t) and t.exposed:
                self.find('tbu-stale-exposure', 'error', ts, tbus=[t.name])
                t.exposed = False

    def ev_rpm(self, ev, ts):
        self.gate_event(('rpm', ev['dev']), ev['state'] != 'suspended', ts)

    def ev_clk(self, ev, ts):
        self.gate_event(('clk', ev['clk']), ev['on'], ts)

    def ev_pd(self, ev, ts):
        self.gate_event(('pd', ev['pd']), ev['on'], ts)

    def ev_fault(self, ev, ts):
        k = addr(ev['iova']) // UNIT
        best = None     # (unmap ts, domain ptr)
        for d in self.domains.values():
            if 'domain' in ev:
                if d.ptr != addr(ev['domain']):
                    continue
            elif ev.get('dev'):
                if ev['dev'] not in d.devs:
                    continue
            elif ev.get('smmu') and not self.smmu_match(d.smmu, ev['smmu']):
                continue
            # an IOVA unmapped in the window: still unmapped, or its unmap still
            # owes the invalidation although the IOVA was mapped again
            cands = [u.ts for u in d.unmaps if k in u.pending]
            st = d.pages.get(k)
            if st and st[0] == 'unmapped':
                cands.append(st[1])
            cands = [c for c in cands if ts - c <= FAULT_WINDOW]
            if cands and (best is None or max(cands) > best[0]):
                best = (max(cands), d.ptr)
        if best:
            self.find('fault-after-unmap', 'error', ts, best[1], addr(ev['iova']), 0)

    def ev_lost(self, ev, ts):
        self.find('events-lost', 'warning', ts)


def key(f):
    """The comparable part of a finding (model tuple or smmutrace --json object).

    tbu-stale-exposure lists its ranges; the single domain/iova/size the tool
    prints for it is a summary of that list, so only the TBU is compared."""
    if isinstance(f, dict):
        dom = addr(f['domain']) if f.get('domain') is not None else None
        iova = addr(f['iova']) if f.get('iova') is not None else None
        f = (f['rule'], f['severity'], f['ts'], dom, iova, f.get('size'), tuple(sorted(f.get('tbus', []))))
    rule, sev, ts, dom, iova, size, tbus = f
    if rule == 'tbu-stale-exposure':
        dom = iova = size = None
    return (rule, sev, ts, dom, iova, size, tbus)


def run(events, board=None):
    m = Model(board)
    for ev in events:
        m.feed(ev)
    m.finish()
    return [key(f) for f in m.findings]

#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Check an HTML report as headless Chromium rendered it (python3 stdlib only).

usage: check_html.py REPORT.html DOM.html SCREENSHOT.png CHROMIUM_STDERR
                     [--min-lanes N] [--min-marks N] [--gated] [--aggregated]

REPORT.html  the file smmutrace wrote: must reference nothing outside itself
DOM.html     chromium --dump-dom output: the page after its script ran
SCREENSHOT   chromium --screenshot output: must show a drawn page, not a blank one
STDERR       chromium's log (--enable-logging=stderr): no uncaught script error
"""
import re
import struct
import sys
import zlib
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.body = {}
        self.timeline = False
        self.in_timeline = 0
        self.lanes = []
        self.marks = 0
        self.agg_marks = 0
        self.finding_markers = 0
        self.gated = 0
        self.ids = set()
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "body":
            self.body.update(a)
        if tag == "html" and "data-report-error" in a:
            self.body["data-report-error"] = a["data-report-error"]
        if "id" in a:
            self.ids.add(a["id"])
        for k in ("src", "href", "xlink:href", "action", "data"):
            v = a.get(k) or ""
            if re.match(r"^\s*(https?:|//|ftp:|file:)", v, re.I):
                self.external.append("<%s %s=%s>" % (tag, k, v))
        if tag == "link" or (tag == "script" and "src" in a):
            self.external.append("<%s %s>" % (tag, a))
        if tag == "svg" and a.get("id") == "timeline-svg":
            self.timeline = True
            self.in_timeline = 1
            return
        if self.in_timeline:
            if tag == "g" and "lane" in cls:
                self.lanes.append(cls)
            if "mk" in cls:
                self.marks += 1
                if "agg" in cls:
                    self.agg_marks += 1
            if "fm" in cls:
                self.finding_markers += 1
            if "gate" in cls and "gated" in cls:
                self.gated += 1
            if tag == "svg":
                self.in_timeline += 1

    def handle_endtag(self, tag):
        if self.in_timeline and tag == "svg":
            self.in_timeline -= 1


def png_pixels(path):
    """Decode an 8-bit RGB/RGBA non-interlaced PNG: (width, height, rows of bytes, bpp)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d type %d interlace %d)" % (depth, ctype, interlace))
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif f == 2:
            for i in range(stride):
                cur[i] = (cur[i] + prev[i]) & 255
        elif f == 3:
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (cur[i] + pr) & 255
        rows.append(cur)
        prev = cur
    return w, h, rows, bpp


def main():
    args = sys.argv[1:]
    if len(args) < 4:
        sys.exit(__doc__)
    report, dom_path, png, log = args[:4]
    opts = {"--min-lanes": 2, "--min-marks": 1}
    flags = set()
    i = 4
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = int(args[i + 1])
            i += 2
        else:
            flags.add(args[i])
            i += 1
    problems = []

    src = open(report, encoding="utf-8").read()
    for pat in (r"<link\b", r"<script[^>]*\bsrc=", r"<img[^>]*\bsrc=\"(?!data:)", r"@import",
                r"url\((?!#)", r"https?://(?!www\.w3\.org/2000/svg)"):
        m = re.search(pat, src, re.I)
        if m:
            problems.append("report references something outside itself: %r"
                            % src[max(0, m.start() - 20):m.end() + 40])

    d = Dom()
    d.feed(open(dom_path, encoding="utf-8", errors="replace").read())
    if "data-report-error" in d.body:
        problems.append("script error on the page: %s" % d.body["data-report-error"])
    ready = d.body.get("data-report-ready")
    if ready is None:
        problems.append("the page script did not finish (no data-report-ready on <body>)")
    elif int(ready) != d.marks:
        problems.append("script counted %s marks, the DOM has %d" % (ready, d.marks))
    if not d.timeline:
        problems.append("no timeline SVG (#timeline-svg)")
    if len(d.lanes) < opts["--min-lanes"]:
        problems.append("timeline has %d lanes, expected at least %d" % (len(d.lanes), opts["--min-lanes"]))
    if not any("tbu" in c for c in d.lanes) and "--gated" in flags:
        problems.append("no TBU lane in the timeline")
    if d.marks < opts["--min-marks"]:
        problems.append("timeline has %d marks, expected at least %d" % (d.marks, opts["--min-marks"]))
    if "--gated" in flags and not d.gated:
        problems.append("no gated interval drawn on a TBU lane")
    if "--aggregated" in flags:
        if not d.agg_marks:
            problems.append("no aggregated marks, though the capture is large")
        if "aggregation" not in d.ids:
            problems.append("the page does not say that it aggregated (#aggregation)")
    for need in ("verdict", "timeline", "findings", "lifetimes", "histograms", "topology", "capture"):
        if need not in d.ids:
            problems.append("section #%s missing" % need)
    for e in d.external:
        problems.append("external resource in the DOM: %s" % e)

    for line in open(log, encoding="utf-8", errors="replace"):
        if re.search(r"Uncaught|SyntaxError|ReferenceError|TypeError", line) and "CONSOLE" in line:
            problems.append("chromium console: %s" % line.strip()[:200])

    w, h, rows, bpp = png_pixels(png)
    colours, ink, red = set(), 0, 0
    for y in range(0, h, 2):
        r = rows[y]
        for x in range(0, w * bpp, bpp * 2):
            px = (r[x], r[x + 1], r[x + 2])
            colours.add(px)
            if sum(px) < 600:
                ink += 1
            if px[0] > 180 and px[1] < 110 and px[2] < 110:
                red += 1
    sampled = ((h + 1) // 2) * ((w + 1) // 2)
    if len(colours) < 16:
        problems.append("screenshot has only %d colours: nothing was drawn" % len(colours))
    if ink < sampled * 0.01:
        problems.append("screenshot is nearly blank (%d of %d sampled pixels drawn)" % (ink, sampled))
    if "--gated" in flags and red < 50:
        problems.append("screenshot shows no red (verdict banner, gated band or error marks)")

    for p in problems:
        print(p)
    if problems:
        print("%s: %d problem(s)" % (report, len(problems)))
        return 1
    print("%s: rendered %dx%d, %d colours; %d lanes, %d marks (%d aggregated), %d finding "
          "markers, %d gated intervals; script ok" % (report, w, h, len(colours), len(d.lanes),
                                                      d.marks, d.agg_marks, d.finding_markers, d.gated))
    return 0


sys.exit(main())

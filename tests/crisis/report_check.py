#!/usr/bin/env python3
"""Every figure of `cairn report crisis` (CSV) against a direct computation from the seed this test made.

Seeds 500 crisis events (random but fixed: two teams, some outside the period, missing stamps, a few
cleared-before-arrived stamps that the report must leave out, follow-ups at various delays) through
crisis_seed (the public API, one batch), then recomputes in Python, from the seed alone, the counts by
source and disposition, the community and law-enforcement shares, the median and 90th percentile of each
interval and the follow-up shares, for everyone and for one team. The HTML report is rendered in
headless Chromium; the screenshot (crisis_report.png) stays in ARTIFACT_DIR and must show the bars.
Usage: report_check.py CAIRN CRISIS_SEED ARTIFACT_DIR
"""
import csv
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib
from datetime import datetime, timedelta, timezone

CAIRN, SEED, ART = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import Cli  # noqa: E402

cli = Cli(CAIRN, "crisis-report-")
check, cairn, DIR, PASS, tmp = cli.check, cli.run, cli.dir, cli.passfile, cli.tmp


SOURCES = ["988", "911", "walk-in", "self", "family", "police", "other"]
DISPOSITIONS = ["stabilised-in-place", "voluntary-transport", "involuntary-hold", "emergency-department",
                "crisis-stabilisation-unit", "referral", "police-custody", "other"]
COMMUNITY = {"stabilised-in-place", "voluntary-transport", "referral", "crisis-stabilisation-unit"}
POLICE = ["none", "requested-by-team", "on-scene-support", "co-responder", "transport", "custody", "initiated-call"]
FROM, TO = "2026-10-01", "2026-10-31"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


subprocess.run([CAIRN, "--dir", DIR, "--passphrase-file", PASS, "init", "--kdf", "min"], check=True,
               capture_output=True)
# Half the events are this device's team's, half another team's (their devices are not enrolled here).
TEAMS = [__import__("json").loads(cairn("--json", "team", "init").stdout)["id"], "bb" * 16]
rng = random.Random(9)
seed = []
start = datetime(2026, 9, 20, tzinfo=timezone.utc)
for i in range(500):
    rec = start + timedelta(seconds=rng.randrange(0, 55 * 86400))  # 2026-09-20 .. 2026-11-13
    e = {"received": rec, "source": rng.choice(SOURCES), "team": rng.choice(TEAMS),
         "location": rng.choice(["home", "street", "shelter", "phone"])}
    if rng.random() < 0.9:
        e["dispatched"] = rec + timedelta(seconds=rng.randrange(0, 1800))
    if rng.random() < 0.85:
        e["arrived"] = rec + timedelta(seconds=rng.randrange(300, 7200))
        if rng.random() < 0.8:
            e["cleared"] = e["arrived"] + timedelta(seconds=rng.randrange(600, 10800))
        elif rng.random() < 0.2:
            e["cleared"] = e["arrived"] - timedelta(seconds=rng.randrange(60, 600))  # bad data: left out
    if rng.random() < 0.85:
        e["disposition"] = rng.choice(DISPOSITIONS)
    if rng.random() < 0.8:
        e["police"] = rng.choice(POLICE)
    if rng.random() < 0.6:
        e["followup_done"] = rec + timedelta(seconds=rng.randrange(3600, 100 * 3600))
    seed.append(e)

lines = "".join(__import__("json").dumps({k: (iso(v) if isinstance(v, datetime) else v) for k, v in e.items()}) + "\n"
                for e in seed)
r = subprocess.run([SEED, DIR, PASS], input=lines, capture_output=True, text=True)
if r.returncode:
    raise SystemExit("crisis_seed failed: " + r.stderr)
check(len(r.stdout.split()) == 500, "500 crises seeded")


# ---- the expected figures, from the seed alone ----
def round1(x):
    return int(x * 10.0 + 0.5) / 10.0


def pct(n, d):
    return None if d == 0 else round1(100.0 * n / d)


def minutes(a, b):
    if a is None or b is None or b < a:
        return None
    return (b - a).total_seconds() / 60.0


def quantile(v, p):
    if not v:
        return None
    pos = p * (len(v) - 1)
    lo = int(pos)
    hi = lo + 1 if lo + 1 < len(v) else lo
    return round1(v[lo] + (v[hi] - v[lo]) * (pos - lo))


def expected(team):
    ev = [e for e in seed if FROM <= e["received"].strftime("%Y-%m-%d") <= TO and (team is None or e["team"] == team)]
    n = len(ev)
    disp = [e for e in ev if "disposition" in e]
    out = {"crisis.summary": [
        ["events", n],
        ["resolved in the community %", pct(sum(e["disposition"] in COMMUNITY for e in disp), len(disp))],
        ["law enforcement involved %", pct(sum(e.get("police", "none") != "none" for e in ev), n)],
        ["events with a disposition %", pct(len(disp), n)],
        ["events with values under review", 0]]}
    out["crisis.source"] = [[s, c, pct(c, n)] for s in SOURCES for c in [sum(e["source"] == s for e in ev)]]
    out["crisis.disposition"] = [[d, c, pct(c, n)] for d in DISPOSITIONS
                                 for c in [sum(e.get("disposition") == d for e in ev)]]
    none = sum("disposition" not in e for e in ev)
    if none:
        out["crisis.disposition"].append(["not recorded", none, pct(none, n)])
    rows = []
    for name, a, b in [("received to dispatched", "received", "dispatched"), ("received to arrived", "received", "arrived"),
                       ("arrived to cleared", "arrived", "cleared")]:
        v = sorted(m for m in (minutes(e.get(a), e.get(b)) for e in ev) if m is not None)
        rows.append([name, len(v), quantile(v, 0.5), quantile(v, 0.9)])
    out["crisis.response"] = rows
    edges = [10, 20, 30, 45, 60, 90]
    hist = [0] * 7
    for e in ev:
        m = minutes(e["received"], e.get("arrived"))
        if m is not None:
            hist[sum(m >= x for x in edges)] += 1
    labels = ["under 10"] + ["%d to %d" % (edges[i - 1], edges[i]) for i in range(1, 6)] + ["90 or more"]
    out["crisis.arrival"] = [[labels[i], hist[i]] for i in range(7)]
    fu = [0, 0, 0, 0]  # disjoint: within 24 h, 24 to 48, 48 to 72, later or not done
    for e in ev:
        m = minutes(e["received"], e.get("followup_done"))
        fu[sum(not (m is not None and m <= h * 60) for h in (24, 48, 72))] += 1
    fu = [[lab, c, pct(c, n)] for lab, c in zip(["within 24 h", "24 to 48 h", "48 to 72 h", "later or not done"], fu)]
    out["crisis.followup"] = fu
    return out


def parse_csv(text):
    got = {}
    for row in csv.reader(io.StringIO(text)):
        if not row or row[0] in ("section", "suppression"):
            continue
        got.setdefault(row[0], []).append(row[1:])
    return got


def same(cell, want):
    if want is None:
        return cell == ""
    if isinstance(want, str):
        return cell == want
    try:
        return abs(float(cell) - float(want)) < 1e-9
    except ValueError:
        return False


def compare(team):
    """Every figure, unsuppressed (--min-cell 0); then as released (suppressed by default): every cell shown is
    the true figure, and no count of events from 1 to 10 is shown."""
    args = ["report", "crisis", "--from", FROM, "--to", TO, "--format", "csv"] + (["--team", team] if team else [])
    got = parse_csv(cairn(*args, "--min-cell", "0").stdout)
    want = expected(team)
    label = "team %s" % team[:4] if team else "all teams"
    check(sorted(got) == sorted(want), "%s: sections %s" % (label, sorted(got)))
    figures = 0
    for sec, rows in want.items():
        g = got.get(sec, [])
        check(len(g) == len(rows), "%s: %s has %d rows, expected %d" % (label, sec, len(g), len(rows)))
        for wr, gr in zip(rows, g):
            for k, (w, c) in enumerate(zip(wr, gr)):
                figures += 1
                check(same(c, w), "%s: %s row %s column %d: report %r, expected %r" % (label, sec, wr[0], k, c, w))
    released, hidden = parse_csv(cairn(*args).stdout), 0
    for sec, rows in want.items():
        for wr, gr in zip(rows, released.get(sec, [])):
            for k, (w, c) in enumerate(zip(wr, gr)):
                small = k == 1 and isinstance(w, int) and 0 < w < 11  # column 1: events (or the summary's value)
                hidden += c == "*"
                check(c == "*" or same(c, w), "%s released: %s row %s column %d: %r, expected %r or *"
                      % (label, sec, wr[0], k, c, w))
                check(not small or c == "*", "%s released: %s row %s: a count of %r is shown" % (label, sec, wr[0], w))
    return figures, hidden


(n1, h1), (n2, h2) = compare(None), compare(TEAMS[0])
n = n1 + n2
check(h1 + h2 > 0, "the seeded set has small cells, so suppression was tested (%d hidden)" % (h1 + h2))
check(expected(None)["crisis.summary"][0][1] > 250, "about 31 of the 55 seeded days fall in the period")
check(expected(TEAMS[0])["crisis.summary"][0][1] < expected(None)["crisis.summary"][0][1], "the team filter narrows")
print("%d report figures compared; %d cells hidden as released" % (n, h1 + h2))

# ---- the HTML report in headless Chromium ----
html = os.path.join(ART, "crisis_report.html")
shot = os.path.join(ART, "crisis_report.png")
for p in (html, shot):
    if os.path.exists(p):
        os.unlink(p)
cairn("report", "crisis", "--from", FROM, "--to", TO, "--format", "html", "-o", html)
page = open(html, encoding="utf-8").read()
check("<svg" in page and "Minutes from call received to arrival" in page, "the HTML holds the arrival-time chart")
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
check(chromium is not None, "chromium is installed (scripts/deps.sh test)")
if chromium:
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1000,2000", "--screenshot=" + shot, "file://" + html], capture_output=True, timeout=180)
    check(os.path.exists(shot), "chromium wrote a screenshot")


def png_rgb(path):
    """Decode an 8-bit RGB(A) non-interlaced PNG (what Chromium writes): (width, height, bpp, rows)."""
    data = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        if typ == b"IHDR":
            w, h, _, ctype, _, _, _ = struct.unpack(">IIBBBBB", data[pos + 8:pos + 21])
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw, rows, prev, stride = zlib.decompress(idat), [], bytearray(w * bpp), w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a, b = (line[i - bpp] if i >= bpp else 0), prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


if chromium and os.path.exists(shot):
    w, h, bpp, rows = png_rgb(shot)
    colours = {}
    for r in rows:
        for x in range(0, w * bpp, bpp):
            px = r[x:x + 3]
            colours[px] = colours.get(px, 0) + 1
    white = colours.get(b"\xff\xff\xff", 0)
    top = max((c for px, c in colours.items() if px != b"\xff\xff\xff"), default=0)
    print("screenshot %s: %dx%d, %d colours, %.1f%% white, largest other colour %d px" %
          (shot, w, h, len(colours), 100.0 * white / (w * h), top))
    check(white < w * h * 0.99, "the screenshot is not blank")
    check(top > 3000, "the bars rendered (a solid colour over %d pixels)" % top)

# ---- bad input ----
r = cairn("report", "crisis", "--from", "2026-10-31", "--to", "2026-10-01", ok=False)
check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, "a reversed period is one usage error: %r" % r.stderr)
r = cairn("crisis", "list", "--from", "2026-10-31", "--to", "2026-10-01", ok=False)
check(r.returncode == 2 and "is after" in r.stderr, "crisis list: a reversed period is a usage error too: %r" % r.stderr)

# A time that has not come yet is a typo (a local time given as UTC, 2062 for 2026): refused where it is
# typed, with nothing recorded; a few minutes ahead is a clock rounded up, and taken.
ahead = lambda s: (datetime.now(timezone.utc) + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
X = cairn("crisis", "open", "--source", "988", "--received", ahead(-600)).stdout.strip()
before = cairn("digest").stdout
for args in (["crisis", "open", "--source", "988", "--received", ahead(86400)],
             ["crisis", "stamp", X, "arrived", "--at", "2062-10-01T10:00:00Z"],
             ["crisis", "followup", X, "--at", ahead(3 * 3600)],
             ["crisis", "intervention", X, "de-escalation", "--at", ahead(3600)]):
    r = cairn(*args, ok=False)
    check(r.returncode == 2 and "is in the future" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
          "%s: a time in the future is one clear error: %r" % (args[1], r.stderr))
check(cairn("digest").stdout == before, "nothing was recorded by the refused times")
r = cairn("crisis", "stamp", X, "dispatched", "--at", ahead(120), ok=False)
check(r.returncode == 0, "a stamp two minutes ahead is taken: %r" % r.stderr)

shutil.rmtree(tmp)
print("ok" if not cli.failures else "%d failures" % cli.failures)
sys.exit(1 if cli.failures else 0)

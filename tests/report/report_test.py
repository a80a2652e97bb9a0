#!/usr/bin/env python3
"""report_test.py — `cairn report` on a seeded two-device dataset, checked against figures this test
computes itself from what it recorded (never from the report code; the journal is encrypted, so the
stock sqlite3 CLI cannot read it).

Seeds (deterministic): two devices of one team syncing through a bare git repo; people on both, notes of
every kind with minutes, referrals walked through the status lattice, a note and a referral struck, a
person deleted, two records merged. Then checks:
  - CSV (RFC 4180, parsed with Python's csv module) equals the expected figures, section by section,
    including the funnel's medians (status times taken from `referral list --json`);
  - JSON carries the same rows; a period that excludes today has no new people; --team of the team
    equals everyone; SECTION filters by id prefix;
  - HTML is one self-contained file (no http(s)://, no src=, no script), renders in headless Chromium
    with its bar charts (screenshot kept as report_screenshot.png; bar-coloured pixels counted);
  - no seeded name appears in any format; --output is mode 0600; bad input fails with one line;
  - small-cell suppression, on by default (the figures above are compared with --min-cell 0): a one-day
    report of another journal hides a count of 1 and the cells that would give it away in CSV, JSON,
    table and HTML; --min-cell 0 / --no-suppression show the raw counts and say so; the threshold moves.
Usage: report_test.py PATH/TO/cairn ARTIFACT_DIR
"""
import csv
import datetime
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CAIRN, ART = sys.argv[1], sys.argv[2]
W = tempfile.mkdtemp(prefix="cairn-report.")
PASS = os.path.join(W, "pass")
failed = passed = 0


def check(cond, what):
    global failed, passed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


def c(d, *args, ok=True, stdin=None):
    p = subprocess.run([CAIRN, "--dir", d, "--passphrase-file", PASS, *args], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL if stdin is None else stdin)
    if ok and p.returncode != 0:
        raise SystemExit("cairn %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def cj(d, *args):
    return json.loads(c(d, "--json", *args).stdout)


def q(d, *args):
    return c(d, "-q", *args).stdout.strip()


with open(PASS, "w") as f:
    f.write("report-pass\n")
os.chmod(PASS, 0o600)
subprocess.run(["git", "init", "-q", "--bare", os.path.join(W, "central.git")], check=True)
A, B = os.path.join(W, "A"), os.path.join(W, "B")
c(A, "init", "--kdf", "min")
team = cj(A, "team", "init")["id"]
c(A, "team", "export", os.path.join(W, "join"), "--join-passphrase-file", PASS, "--kdf", "min")
c(B, "init", "--kdf", "min")
c(B, "team", "join", os.path.join(W, "join"), "--join-passphrase-file", PASS)
for d in (A, B):
    c(d, "remote", "add", "central", os.path.join(W, "central.git"))


def sync_all():
    for d in (A, B, A):
        c(d, "-q", "sync")


dev = {A: cj(A, "status")["device"], B: cj(B, "status")["device"]}
today = datetime.date.today()
FROM, TO = "2026-10-01", today.isoformat()
rng = random.Random(20261123)
KINDS = ["encounter", "phone", "crisis", "group", "outreach", "other"]
CATS = ["housing", "treatment", "mat", "mental-health", "employment", "mutual-help"]
PATH = ["received", "accepted", "in-progress"]
TERMINAL = ["completed", "failed", "rejected", "cancelled"]

people = {}  # id -> {"name", "device", "alive"}
notes = []  # {"id", "contact", "kind", "date", "minutes", "device", "struck"}
refs = []  # {"id", "contact", "category", "date", "device", "states", "struck"}


def rand_date():
    # from two weeks before the period to today, so some records fall outside it
    start = datetime.date(2026, 9, 17)
    return (start + datetime.timedelta(days=rng.randrange((today - start).days + 1))).isoformat()


names = iter("%s %s" % (f, l) for f in ["Quillon", "Marisol", "Tavish", "Odessa", "Brannock", "Lucretia", "Fenwick",
                                        "Isolde", "Corvin", "Delphine"]
             for l in ["Ashgrove", "Wrenfield", "Hollowmere", "Starling"])
for d, n in ((A, 12), (B, 8)):
    for _ in range(n):
        name = next(names)
        pid = q(d, "contact", "add", name)
        people[pid] = {"name": name, "device": d, "alive": True}
        for _ in range(rng.randrange(0, 4)):
            k, date, mins = rng.choice(KINDS), rand_date(), rng.choice([None, 10, 25, 40, 60])
            args = ["note", "add", pid, "--kind", k, "--text", "seen at the usual place", "--date", date]
            if mins is not None:
                args += ["--minutes", str(mins)]
            notes.append({"id": q(d, *args), "contact": pid, "kind": k, "date": date, "minutes": mins or 0,
                          "device": d, "struck": False})
        for _ in range(rng.randrange(0, 3)):
            cat, date = rng.choice(CATS), rand_date()
            rid = q(d, "referral", "add", pid, "--category", cat, "--to", "Org", "--date", date)
            states = ["requested"] + [s for s in PATH if rng.random() < 0.6]
            if rng.random() < 0.7:
                states.append(rng.choice(TERMINAL))
            for s in states[1:]:
                c(d, "-q", "referral", "status", rid, s)
            refs.append({"id": rid, "contact": pid, "category": cat, "date": date, "device": d, "states": states,
                         "struck": False})
# Entered in error: one note, one referral. A deleted person. Two records of one person merged.
notes[0]["struck"] = True
c(notes[0]["device"], "-q", "note", "strike", notes[0]["id"], "--reason", "wrong person")
refs[1]["struck"] = True
c(refs[1]["device"], "-q", "referral", "status", refs[1]["id"], "entered-in-error")
pids = sorted(people)
gone = next(p for p in pids if people[p]["device"] == B)
c(B, "-q", "contact", "delete", gone)
people[gone]["alive"] = False
ma, mb = [p for p in pids if people[p]["device"] == A][:2]
c(A, "-q", "contact", "merge", ma, mb)
sync_all()

canon = {p: p for p in people}
canon[ma] = canon[mb] = min(ma, mb)
history = {r["id"]: r["history"] for r in cj(A, "referral", "list")}


# ---- expected figures, from what was recorded ---------------------------------------------------------
def inr(d):
    return FROM <= d <= TO


def alive(p):
    return people[canon[p]]["alive"]


live_notes = [n for n in notes if not n["struck"] and inr(n["date"])]
live_refs = [r for r in refs if not r["struck"] and inr(r["date"])]
exp = {}
new = sum(1 for p in people if canon[p] == p and people[p]["alive"])  # everyone was recorded today
active = {canon[x["contact"]] for x in live_notes + live_refs if alive(x["contact"])}
exp["contacts"] = [["new", new], ["active", len(active)]]
rows = []
for k in KINDS:
    ns = [n for n in live_notes if n["kind"] == k]
    if ns:
        rows.append([k, len(ns), len({canon[n["contact"]] for n in ns}), sum(n["minutes"] for n in ns)])
exp["encounters"] = sorted(rows, key=lambda r: (-r[1], r[0]))
rows = []
for cat in CATS:
    rs = [r for r in live_refs if r["category"] == cat]
    if rs:
        rows.append([cat, len(rs), sum(r["states"][-1] == "completed" for r in rs),
                     sum(r["states"][-1] in ["requested"] + PATH for r in rs),
                     sum(r["states"][-1] in TERMINAL[1:] for r in rs)])
exp["referrals.category"] = sorted(rows, key=lambda r: (-r[1], r[0]))


def days(ref, state):
    hlcs = [h["hlc"] for h in history[ref["id"]] if h["state"] == state]
    if not hlcs:
        return None
    ms = min(hlcs) >> 16
    midnight = datetime.datetime.fromisoformat(ref["date"]).replace(tzinfo=datetime.timezone.utc).timestamp()
    return (ms / 1000.0 - midnight) / 86400.0


def median(v):
    v = sorted(v)
    m = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    return int(m * 10 + 0.5) / 10.0


rows = []
for s in ["requested"] + PATH + TERMINAL:
    ds = [x for x in (days(r, s) for r in live_refs) if x is not None]
    rows.append([s, len(ds), sum(r["states"][-1] == s for r in live_refs), median(ds) if ds else None])
exp["referrals.funnel"] = rows
rows = []
for d in (A, B):
    ns = [n for n in live_notes if n["device"] == d and alive(n["contact"])]
    rs = [r for r in live_refs if r["device"] == d and alive(r["contact"])]
    who = {canon[x["contact"]] for x in ns + rs}
    if who:
        rows.append([dev[d], len(who), len(ns), len(rs)])
exp["caseload"] = sorted(rows, key=lambda r: (-r[1], r[0]))
check(len(live_notes) > 10 and len(live_refs) > 5, "the seeded set has enough notes and referrals in the period")


# ---- CSV ---------------------------------------------------------------------------------------------
def num(s):
    if s == "":
        return None
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return s


def same_rows(got, want, what):
    ok = len(got) == len(want)
    for g, w in zip(got, want):
        ok = ok and len(g) == len(w)
        for x, y in zip(g, w):
            if isinstance(y, float) or isinstance(x, float):
                ok = ok and x is not None and y is not None and abs(float(x) - float(y)) <= 0.051
            else:
                ok = ok and x == y
    check(ok, "%s: got %s, want %s" % (what, got, want))


# The seeded set is small (20 people): its exact figures are checked unsuppressed (--min-cell 0); suppression
# has its own part below.
RAW = ("--min-cell", "0")
p = subprocess.run([CAIRN, "--dir", A, "--passphrase-file", PASS, "report", "--from", FROM, "--to", TO, "--format",
                    "csv", *RAW], capture_output=True, check=True)
raw = p.stdout.decode("utf-8")
check(raw.endswith("\r\n") and raw.count("\r\n") == raw.count("\n"), "CSV lines end in CRLF (RFC 4180)")
sections, cur = {}, None
for row in csv.reader(io.StringIO(raw, newline="")):
    if row and row[0] in ("section", "suppression"):
        cur = None
        continue
    # Other record families add their own sections (crisis, plans, ...): only the core ones are checked here.
    check(bool(row and row[0]), "CSV row names its section: %r" % row[:1])
    sections.setdefault(row[0], []).append([num(x) for x in row[1:]])
for sid, want in exp.items():
    same_rows(sections.get(sid, []), want, "CSV " + sid)

# ---- JSON, period, team, section filter --------------------------------------------------------------
doc = cj(A, "report", "--from", FROM, "--to", TO, *RAW)
for s in doc["sections"]:
    if s["id"] in exp:
        same_rows(s["rows"], exp[s["id"]], "JSON " + s["id"])
check(set(exp) <= {s["id"] for s in doc["sections"]}, "JSON has every core section")
yesterday = (today - datetime.timedelta(days=1)).isoformat()
d2 = cj(A, "report", "contacts", "--from", FROM, "--to", yesterday, *RAW)
check(d2["sections"][0]["rows"][0] == ["new", 0], "nobody is new in a period that ends before today")
dt = cj(A, "report", "--from", FROM, "--to", TO, "--team", team, *RAW)
check([s["rows"] for s in dt["sections"]] == [s["rows"] for s in doc["sections"]],
      "--team of the only team counts the same as everyone")
dts = cj(A, "report", "--from", FROM, "--to", TO, "--team", team)
check(dts["suppression"]["min_cell"] == 11 and dts["suppression"]["cells"] > 0,
      "a team's report (as the office makes) is suppressed by default: %s" % dts["suppression"])
df = cj(A, "report", "referrals", "--from", FROM, "--to", TO, *RAW)
check([s["id"] for s in df["sections"]] == ["referrals.category", "referrals.funnel"], "SECTION filters by prefix")
dB = cj(B, "report", "caseload", "--from", FROM, "--to", TO, *RAW)
same_rows(dB["sections"][0]["rows"], exp["caseload"], "the other device reports the same caseload")

# ---- HTML, rendered ------------------------------------------------------------------------------------
html = os.path.join(W, "report.html")
c(A, "-q", "report", "--from", FROM, "--to", TO, "--format", "html", "--output", html, *RAW)
text = open(html, encoding="utf-8").read()
check(oct(os.stat(html).st_mode & 0o777) == "0o600", "--output is written with mode 0600")
check("http://" not in text and "https://" not in text, "HTML has no URL")
check("src=" not in text.lower() and "<script" not in text.lower() and "<link" not in text.lower(),
      "HTML loads nothing (no src=, script or link)")
check(text.count("<svg") >= 5, "HTML has a chart per core section")
check(not [f for f in os.listdir(W) if ".tmp-" in f], "no temporary file left beside --output")
tbl = c(A, "report", "--from", FROM, "--to", TO).stdout
for form, out in (("csv", raw), ("html", text), ("table", tbl), ("json", json.dumps(doc))):
    check(not any(p["name"].split()[0] in out or p["name"].split()[1] in out for p in people.values()),
          "no seeded name in the %s report" % form)
check("Caseload per worker" in tbl and dev[A] in tbl, "table shows section titles and rows")

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
check(chromium is not None, "chromium is installed (scripts/deps.sh test)")
shot = os.path.join(ART, "report_screenshot.png")
if chromium:
    if os.path.exists(shot):
        os.unlink(shot)
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1000,2400", "--screenshot=" + shot, "file://" + html],
                   capture_output=True, timeout=120)
    check(os.path.exists(shot), "chromium wrote a screenshot")


def png_pixels(path):
    """Decode an 8-bit RGB(A) non-interlaced PNG: (width, height, rows of bytes)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and inter == 0
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows, prev, stride = [], bytearray(w * bpp), w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, cc = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else cc)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


if chromium and os.path.exists(shot):
    w, h, bpp, rows = png_pixels(shot)
    bar = white = 0
    for r in rows:
        for x in range(0, w * bpp, bpp):
            px = r[x:x + 3]
            if px == b"\x3b\x6e\xa5":
                bar += 1
            elif px == b"\xff\xff\xff":
                white += 1
    print("screenshot %s: %dx%d, %d bar pixels, %.0f%% white" % (shot, w, h, bar, 100.0 * white / (w * h)))
    check(w == 1000 and h == 2400, "screenshot has the requested size")
    check(bar > 5000, "the bar charts rendered (%d pixels of the bar colour)" % bar)
    check(white < w * h * 0.99, "the screenshot is not blank")

# ---- small-cell suppression (on by default) -------------------------------------------------------------
# One day: one crisis note and one MAT referral of one person, and twelve encounter notes of twelve others.
S, DAY = os.path.join(W, "S"), "2026-05-05"
c(S, "init", "--kdf", "min")
one = q(S, "contact", "add", "Solo Person")
q(S, "note", "add", one, "--kind", "crisis", "--text", "x", "--date", DAY, "--minutes", "30")
q(S, "referral", "add", one, "--category", "mat", "--to", "Org", "--date", DAY)
for i in range(12):
    q(S, "note", "add", q(S, "contact", "add", "Other %d" % i), "--kind", "encounter", "--text", "x", "--date", DAY,
      "--minutes", "10")


def rows_of(text):
    return [r for r in csv.reader(io.StringIO(text, newline=""))]


day = ("--from", DAY, "--to", DAY)
scsv = rows_of(c(S, "report", *day, "--format", "csv").stdout)
check(scsv[:2] and scsv[1][:2] == ["suppression", "11"] and "shows as *" in scsv[1][3],
      "CSV opens with the suppression row: %s" % scsv[:2])
enc = {r[1]: r[2:] for r in scsv if r[0] == "encounters"}
check(enc.get("crisis") == ["*", "*", "*"], "CSV: the crisis count of 1, its person and minutes are hidden: %s" % enc)
check(enc.get("encounter") == ["*", "12", "*"],
      "CSV: the encounter notes (12) are hidden too, else 13 - 12 gives the 1; its people (not additive) shown: %s"
      % enc)
cat = [r for r in scsv if r[0] == "referrals.category"]
check(cat == [["referrals.category", "mat", "*", "0", "*", "0"]], "CSV: the referral, its total and state: %s" % cat)
check(not any(r[0] in ("encounters", "referrals.category", "referrals.funnel") and "1" in r[2:] for r in scsv),
      "CSV: no count of 1 anywhere in the core sections")
sdoc = cj(S, "report", *day)
ssec = {s["id"]: s["rows"] for s in sdoc["sections"]}
check(sdoc.get("suppression", {}).get("min_cell") == 11 and sdoc["suppression"].get("cells", 0) >= 5
      and sdoc["suppression"].get("marker") == "*", "JSON: suppression %s" % sdoc.get("suppression"))
check(["crisis", "*", "*", "*"] in ssec["encounters"] and ["encounter", "*", 12, "*"] in ssec["encounters"],
      "JSON: the same cells hidden: %s" % ssec["encounters"])
stbl = c(S, "report", "encounters", *day).stdout
check("Small cells suppressed" in stbl.splitlines()[1] and
      any(l.split() == ["crisis", "*", "*", "*"] for l in stbl.splitlines()),
      "table: the note line and the hidden crisis row:\n%s" % stbl)
shtml = os.path.join(W, "s.html")
c(S, "-q", "report", *day, "--format", "html", "-o", shtml)
stext = open(shtml, encoding="utf-8").read()
check("Small cells suppressed" in stext and "<td>crisis</td><td class=\"n\">*</td>" in stext
      and "<td class=\"n\">1</td>" not in stext, "HTML: the note, the crisis row hidden, no cell of 1")
# The opt-out shows the true counts and says so in every format.
for opt in (("--min-cell", "0"), ("--no-suppression",)):
    u = rows_of(c(S, "report", *day, "--format", "csv", *opt).stdout)
    check(u[1][:2] == ["suppression", "0"] and "NOT SUPPRESSED" in u[1][3]
          and ["encounters", "crisis", "1", "1", "30"] in u and ["encounters", "encounter", "12", "12", "120"] in u,
          "%s: CSV shows the raw counts and says so: %s" % (opt, u[:8]))
    check("NOT SUPPRESSED" in c(S, "report", *day, *opt).stdout.splitlines()[1], "%s: the table says so" % (opt,))
    ud = cj(S, "report", *day, *opt)
    check(ud["suppression"]["min_cell"] == 0 and "NOT SUPPRESSED" in ud["suppression"]["note"]
          and ["crisis", 1, 1, 30] in {s["id"]: s["rows"] for s in ud["sections"]}["encounters"],
          "%s: JSON raw and says so" % (opt,))
uhtml = os.path.join(W, "u.html")
c(S, "-q", "report", *day, "--format", "html", "-o", uhtml, "--no-suppression")
check("class=\"unsuppressed\"" in open(uhtml, encoding="utf-8").read(), "HTML: the unsuppressed warning")
# The threshold moves: at 13 the twelve are small themselves; at 5 only the 1 is, and the 12 hides it.
t13 = {r[1]: r[2:] for r in rows_of(c(S, "report", "encounters", *day, "--format", "csv", "--min-cell", "13").stdout)
       if r[0] == "encounters"}
check(t13.get("encounter") == ["*", "*", "*"] and "1 to 12" in c(S, "report", *day, "--min-cell", "13").stdout,
      "--min-cell 13 hides 12: %s" % t13)
t5 = {r[1]: r[2:] for r in rows_of(c(S, "report", "encounters", *day, "--format", "csv", "--min-cell", "5").stdout)
      if r[0] == "encounters"}
check(t5.get("crisis") == ["*", "*", "*"] and t5.get("encounter") == ["*", "12", "*"], "--min-cell 5: %s" % t5)


# ---- bad input -------------------------------------------------------------------------------------------
def bad(code, needle, *args):
    p = c(A, *args, ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == code and not p.stdout and len(lines) == 1 and lines[0].startswith("cairn: ")
          and needle in lines[0], "%s: exit %d, stderr %r" % (" ".join(args), p.returncode, p.stderr))


bad(2, "--from", "report", "--from", "2026-13-01", "--to", TO)
bad(2, "is after", "report", "--from", TO, "--to", FROM)
bad(2, "missing --to", "report", "--from", FROM)
bad(2, "--format", "report", "--from", FROM, "--to", TO, "--format", "pdf")
bad(2, "--team", "report", "--from", FROM, "--to", TO, "--team", "x" * 65)
bad(4, "no team 'nothex'", "report", "--from", FROM, "--to", TO, "--team", "nothex")
bad(4, "no team", "report", "--from", FROM, "--to", TO, "--team", "0" * 32)
bad(2, "no report section starts with 'zz'", "report", "zz", "--from", FROM, "--to", TO)
# 2 to 4 would be labelled suppressed yet pin hidden pairs (two cells adding up to 2 are 1 and 1): refused.
for low in ("2", "3", "4"):
    bad(2, "too low to protect", "report", "--from", FROM, "--to", TO, "--min-cell", low)
bad(2, "contradict", "report", "--json", "--format", "csv", "--from", FROM, "--to", TO)
bad(2, "--min-cell", "report", "--from", FROM, "--to", TO, "--min-cell", "ten")
bad(2, "--min-cell", "report", "--from", FROM, "--to", TO, "--min-cell", "1001")
# 2 to 4 would be labelled suppressed yet pin hidden pairs (two cells adding up to 2 are 1 and 1): refused.
for low in ("2", "3", "4"):
    bad(2, "too low to protect", "report", "--from", FROM, "--to", TO, "--min-cell", low)
bad(2, "contradict", "report", "--from", FROM, "--to", TO, "--min-cell", "5", "--no-suppression")
bad(4, "cannot write", "report", "--from", FROM, "--to", TO, "--output", os.path.join(W, "no", "such", "r.html"))
check(not os.path.exists(os.path.join(W, "no")), "a failed --output leaves nothing")

shutil.rmtree(W)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

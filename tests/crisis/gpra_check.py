#!/usr/bin/env python3
"""GPRA follow-ups: a seeded cohort with intakes, on-time, late, early and missed 6-month follow-ups gives the
right `cairn due` list and follow-up rate (`cairn report gpra`), computed here from the cohort; the export
(`cairn export gpra`, also `cairn gpra export`) holds no name, note text or phone number, keys rows
by a pseudonym that is stable across exports and is not a contact id, and follows docs/gpra.md's columns.
Dates are relative to today (the report counts "missed" against the real date); intake days are <= 28 so
that month arithmetic has no end-of-month overflow to disagree about.
Usage: gpra_check.py CAIRN
"""
import csv
import re
import io
import json
import os
import shutil
import sys
from datetime import date, timedelta

CAIRN = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import Cli  # noqa: E402

cli = Cli(CAIRN, "crisis-gpra-")
check, cairn, DIR, PASS, tmp = cli.check, cli.run, cli.dir, cli.passfile, cli.tmp


def add_months(d, n):
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, d.day)


def months_ago(n, extra_days=0):
    d = add_months(date.today(), -n) - timedelta(days=extra_days)
    return d.replace(day=min(d.day, 28))


today = date.today()
soon = [today + timedelta(days=k) for k in range(1, 7) if (today + timedelta(days=k)).day <= 28][0]
G, G2 = "SM-123456", "TI-999"
CANARY_PHONE, CANARY_NOTE = "555-0199-777", "canary-note-xyzzy"
# name -> (grant, intake date or None, [(type, date, conducted)])
cohort = {
    "Client ontime": (G, months_ago(9), [("followup", None, True)]),           # at intake + 6 months
    "Client late": (G, months_ago(10), [("followup", "late", True)]),           # at intake + 9 months
    "Client missed": (G, months_ago(9), []),
    "Client unreachable": (G, months_ago(9), [("followup", None, False)]),    # attempted, not conducted
    "Client pending": (G, months_ago(5, 10), []),                              # window open, target ahead
    "Client overdue": (G, months_ago(6, 12), []),                              # past target, window open
    "Client soon": (G, add_months(soon, -5), []),                               # window opens in 1-6 days
    "Client new": (G, months_ago(3), []),
    "Client done in window": (G, months_ago(7), [("followup", None, True)]),
    "Client too early": (G, months_ago(9), [("followup", "early", True)]),     # at intake + 4 months
    "Client other grant": (G2, months_ago(9), [("followup", None, True)]),
}
ids = {}
cairn("init", "--kdf", "min")
for name, (grant, intake, fus) in cohort.items():
    cid = cairn("contact", "add", name, "--phone", CANARY_PHONE).stdout.strip()
    ids[name] = cid
    cairn("note", "add", cid, "--text", CANARY_NOTE + " about " + name)
    cairn("gpra", "interview", cid, "--grant", grant, "--type", "intake", "--date", intake.isoformat(),
          "--barc10", "4,5,3,6,2,4,5,3,4,5")
    for typ, when, conducted in fus:
        d = add_months(intake, 9 if when == "late" else 4 if when == "early" else 6)
        args = ["gpra", "interview", cid, "--grant", grant, "--type", typ, "--date", d.isoformat()]
        if not conducted:
            args += ["--not-conducted", "unreachable"]
        cairn(*args)
# A duplicate record of one person: the intake on one, the follow-up on the other, then merged.
a = cairn("contact", "add", "Client merged").stdout.strip()
b = cairn("contact", "add", "Client merged (dup)").stdout.strip()
mi = months_ago(9)
cairn("gpra", "interview", a, "--grant", G, "--type", "intake", "--date", mi.isoformat())
cairn("gpra", "interview", b, "--grant", G, "--type", "followup", "--date", add_months(mi, 6).isoformat())
cairn("contact", "merge", a, b)
cohort["Client merged"] = (G, mi, [("followup", None, True)])
ids["Client merged"] = min(a, b)


# ---- expected, from the cohort ----
def status(intake, fus):
    opn, tgt, cls = add_months(intake, 5), add_months(intake, 6), add_months(intake, 8)
    done = [add_months(intake, 9 if w == "late" else 4 if w == "early" else 6) for t, w, c in fus if c]
    if any(opn <= d <= cls for d in done):
        return "on time", opn, tgt, cls
    if any(d > cls for d in done):
        return "late", opn, tgt, cls
    if any(d < opn for d in done):
        return "early", opn, tgt, cls
    return ("missed" if today > cls else "pending"), opn, tgt, cls


want_rows = {}
for name, (grant, intake, fus) in cohort.items():
    st = status(intake, fus)[0]
    row = want_rows.setdefault(grant, {"clients": 0, "on time": 0, "late": 0, "early": 0, "missed": 0, "pending": 0})
    row["clients"] += 1
    row[st] += 1
frm, to = (today - timedelta(days=730)).isoformat(), (today + timedelta(days=365)).isoformat()
got = {}
# The cohort is small: its exact figures unsuppressed (--min-cell 0); as released, below.
for row in csv.reader(io.StringIO(cairn("report", "gpra", "--from", frm, "--to", to, "--format", "csv",
                                        "--min-cell", "0").stdout)):
    if row and row[0] == "gpra.followup":
        got[row[1]] = row[2:]
check(sorted(got) == sorted(want_rows), "one report row per grant: %s" % sorted(got))
for grant, w in want_rows.items():
    denom = w["clients"] - w["pending"]
    rate = int(1000.0 * w["on time"] / denom + 0.5) / 10.0 if denom else None
    exp = [w["clients"], w["on time"], w["late"], w["early"], w["missed"], w["pending"], rate]
    g = got.get(grant, [])
    check(len(g) == 7 and all(abs(float(x) - float(y)) < 1e-9 for x, y in zip(g, exp)),
          "grant %s: report %s, expected %s" % (grant, g, exp))
print("follow-up rate of %s: %s" % (G, got.get(G, ["?"] * 7)[6]))
# As released (suppressed by default): the follow-up rate goes to the funder, so its small counts and the
# rate computed from them are hidden; the counts 11 and over would be shown.
released = {row[1]: row[2:] for row in csv.reader(io.StringIO(cairn("report", "gpra", "--from", frm, "--to", to,
                                                                   "--format", "csv").stdout))
            if row and row[0] == "gpra.followup"}
check(sorted(released) == sorted(want_rows) and all(
      all(c == "*" or (c == "0" and w == 0) for c, w in zip(r, [want_rows[g][k] for k in
          ("clients", "on time", "late", "early", "missed", "pending")] + [None])) and r[6] == "*"
      for g, r in released.items()), "report gpra as released hides the small cohort's counts and rate: %s" % released)
check(want_rows[G]["on time"] == 3 and want_rows[G]["missed"] == 2 and want_rows[G]["pending"] == 4,
      "the cohort has the mix it was built for: %s" % want_rows[G])


def due_names(within):
    items = json.loads(cairn("--json", "due", "--within", str(within)).stdout)
    return sorted(i["contact"] for i in items if i.get("what", "").startswith("GPRA")), items


for within in (0, 7):
    want = sorted(ids[n] for n, (g, intake, fus) in cohort.items()
                  for st, opn, tgt, cls in [status(intake, fus)]
                  if st == "pending" and opn <= today + timedelta(days=within) and today <= cls)
    have, items = due_names(within)
    check(have == want, "due --within %d lists %s, expected %s" % (within, have, want))
    for i in items:
        if i.get("what", "").startswith("GPRA"):
            name = [n for n in ids if ids[n] == i["contact"]][0]
            st, opn, tgt, cls = status(cohort[name][1], cohort[name][2])
            check(i["due"] == tgt.isoformat() and i["overdue"] == (today > tgt),
                  "due item of %s: %s (target %s)" % (name, i, tgt))
check(ids["Client overdue"] in due_names(0)[0] and ids["Client soon"] not in due_names(0)[0]
      and ids["Client soon"] in due_names(7)[0], "the overdue one is listed now, the next one only with a horizon")

# ---- the export ----
e1 = cairn("gpra", "export", "--grant", G, "--from", frm, "--to", to).stdout
e2 = cairn("export", "gpra", "--grant", G, "--from", frm, "--to", to).stdout
rows = list(csv.DictReader(io.StringIO(e1)))
check(e1 == e2, "two exports (gpra export, export gpra) are identical: stable pseudonyms")
doc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "gpra.md")).read()
for col in csv.reader(io.StringIO(e1.splitlines()[0])).__next__():
    check("`%s`" % col in doc, "column %s is documented in docs/gpra.md" % col)
n_interviews = sum(1 + len(f) for n, (g, i, f) in cohort.items() if g == G)
check(len(rows) == n_interviews, "%d rows, expected %d interviews" % (len(rows), n_interviews))
for name in cohort:
    check(name not in e1, "no name (%s) in the export" % name)
check("Client" not in e1, "no part of a name in the export")
# Any piece of the phone number, but not "555" alone: a random pseudonym holds it now and then.
check(CANARY_PHONE not in e1 and not re.search(r"555-|0199|-777", e1) and CANARY_NOTE not in e1,
      "no phone number or note text in the export")
for cid in ids.values():
    check(cid not in e1 and cid.replace("-", "") not in e1, "no contact id in the export")
clients = {r["client_id"] for r in rows}
check(len(clients) == sum(1 for g, i, f in cohort.values() if g == G), "one pseudonym per client (%d)" % len(clients))
check(all(len(c) == 21 and c[0] == "G" for c in clients), "pseudonyms are G + 20 hex digits")
windows = sorted(r["followup_window"] for r in rows if r["interview_type"] == "followup" and r["conducted"] == "1")
check(windows == sorted(["on-time"] * 3 + ["late", "early"]), "followup_window per follow-up: %s" % windows)
other = cairn("gpra", "export", "--grant", G2, "--from", frm, "--to", to).stdout
check(not clients & {r["client_id"] for r in csv.DictReader(io.StringIO(other))}, "pseudonyms differ per grant")
intake_rows = [r for r in rows if r["interview_type"] == "intake" and r["barc10_total"]]
check(intake_rows and all(r["barc10_total"] == "41" for r in intake_rows), "BARC-10 total of the intakes")

# ---- grant numbers are case-insensitive: an intake under SM-77 and a follow-up under sm-77 are one client ----
case_id = cairn("contact", "add", "Client case").stdout.strip()
ci = months_ago(9)
cairn("gpra", "interview", case_id, "--grant", "SM-77", "--type", "intake", "--date", ci.isoformat())
cairn("gpra", "interview", case_id, "--grant", "sm-77", "--type", "followup", "--date", add_months(ci, 6).isoformat())
upper = cairn("gpra", "export", "--grant", "SM-77", "--from", frm, "--to", to).stdout
lower = cairn("export", "gpra", "--grant", "sm-77", "--from", frm, "--to", to).stdout
case_rows = list(csv.DictReader(io.StringIO(upper)))
check(upper == lower, "the export of sm-77 is the export of SM-77")
check(len(case_rows) == 2 and len({r["client_id"] for r in case_rows}) == 1
      and {r["grant_id"] for r in case_rows} == {"SM-77"}
      and [r["followup_window"] for r in case_rows] == ["", "on-time"],
      "one client, one pseudonym, intake and on-time follow-up under SM-77: %s" % case_rows)
case_report = [row for row in csv.reader(io.StringIO(cairn("report", "gpra", "--from", frm, "--to", to,
                                                            "--format", "csv", "--min-cell", "0").stdout))
               if row and row[0] == "gpra.followup" and row[1].upper() == "SM-77"]
check([r[1:4] for r in case_report] == [["SM-77", "1", "1"]], "one report row for SM-77: %s" % case_report)
listed = json.loads(cairn("--json", "gpra", "list", "--contact", case_id).stdout)
check([i["grant"] for i in listed] == ["SM-77", "SM-77"], "gpra list shows the grant upper-cased")

# ---- bad input: one line, usage exit, nothing written ----
before = cairn("digest").stdout
for args, needle in [(["gpra", "interview", ids["Client new"], "--grant", G, "--type", "six-month"], "--type"),
                     (["gpra", "interview", ids["Client new"], "--grant", G, "--type", "followup", "--barc10", "1,2"],
                      "--barc10"),
                     (["gpra", "export", "--grant", G, "--from", "2026-02-30", "--to", to], "--from"),
                     (["gpra", "interview", ids["Client new"], "--grant", G, "--type", "followup", "--not-conducted",
                       "refused", "--barc10", "6,5,4,3,2,1,6,5,4,3"], "no answers"),
                     (["gpra", "interview", ids["Client new"], "--grant", G, "--type", "followup", "--date",
                       (today + timedelta(days=30)).isoformat()], "in the future")]:
    r = cairn(*args, ok=False)
    check(r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1,
          "%s: exit %d, %r" % (" ".join(args[:2]), r.returncode, r.stderr))
check(cairn("digest").stdout == before, "refused commands wrote nothing")

shutil.rmtree(tmp)
print("ok" if not cli.failures else "%d failures" % cli.failures)
sys.exit(1 if cli.failures else 0)

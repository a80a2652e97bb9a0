#!/usr/bin/env python3
"""fhir_test.py — `cairn export --fhir` on a seeded journal, checked by fhir_check.py and against what was
recorded: every living person is one Patient (merged records linked, the deleted one absent), notes are
Encounters without their text unless --with-notes, referrals are ServiceRequest + Task with the Task
status equal to the referral's state (on-hold as on-hold), entered-in-error records are absent, consents
are Consent (active; inactive when revoked, with the revocation date, or expired) and assessments are
Observation (total, one component per item), both only for people in the bundle; the gate asks for
"assessments" when a person's bundle holds Observations; --contact exports one person's group, --output is mode 0600, bad input fails with one line and writes nothing.
Usage: fhir_test.py PATH/TO/cairn
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fhir_check  # noqa: E402

CAIRN = sys.argv[1]
W = tempfile.mkdtemp(prefix="cairn-fhir.")
PASS, J = os.path.join(W, "pass"), os.path.join(W, "j")
passed = failed = 0
CANARY = "Zephyrine-Quandle"


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


def c(*args, ok=True):
    p = subprocess.run([CAIRN, "--dir", J, "--passphrase-file", PASS, *args], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if ok and p.returncode:
        raise SystemExit("cairn %s: %s" % (" ".join(args), p.stderr))
    return p


def q(*args):
    return c("-q", *args).stdout.strip()


with open(PASS, "w") as f:
    f.write("fhir-pass\n")
os.chmod(PASS, 0o600)
c("init", "--kdf", "min")
ann = q("contact", "add", "Ann Brightwater", "--dob", "1984-03-09", "--phone", "555-0101", "--alias", "Annie",
        "--email", "ann@example.org", "--language", "Spanish", "--location", "Riverside camp")
ann2 = q("contact", "add", "Anne Brightwater", "--dob", "1984-03-09")
bo = q("contact", "add", "Bo Kestrel")
gone = q("contact", "add", "Cy Deleted")
q("contact", "merge", ann, ann2)
ITEMS = [[4, 5, 3, 6, 2, 5, 4, 3, 6, 5], [1, 2, 3, 4, 5, 6, 1, 2, 3, 4]]
a1 = q("assess", "add", ann2, "--items", ",".join(map(str, ITEMS[0])), "--date", "2026-11-01")
a2 = q("assess", "add", bo, "--items", ",".join(map(str, ITEMS[1])), "--date", "2026-11-02")
a_gone = q("assess", "add", gone, "--items", ",".join(["3"] * 10), "--date", "2026-11-02")
c_gone = q("consent", "grant", gone, "--from", "P", "--to", "X", "--info", "all", "--purpose", "p", "--signed-by",
           "x", "--method", "wet", "--until-event", "never")
q("contact", "delete", gone)
n1 = q("note", "add", ann, "--kind", "encounter", "--text", "talked about housing " + CANARY, "--minutes", "30",
       "--date", "2026-11-02")
n2 = q("note", "add", ann2, "--kind", "phone", "--text", "called back <b>&</b>", "--date", "2026-11-03")
n3 = q("note", "add", bo, "--kind", "crisis", "--text", "wrong person", "--date", "2026-11-04")
q("note", "strike", n3, "--reason", "wrong person")
n4 = q("note", "add", gone, "--kind", "outreach", "--text", "x", "--date", "2026-11-04")
r1 = q("referral", "add", ann, "--category", "housing", "--to", "Harbor House", "--reason", "rent", "--date",
       "2026-11-02")
q("referral", "status", r1, "accepted")
q("referral", "status", r1, "completed", "--outcome", "placed", "--reporter", "receiver")
r2 = q("referral", "add", bo, "--category", "mat", "--to", "Clinic", "--date", "2026-11-05")
q("referral", "status", r2, "on-hold")
r3 = q("referral", "add", bo, "--category", "legal", "--to", "Aid", "--date", "2026-11-05")
q("referral", "status", r3, "entered-in-error")
r4 = q("referral", "add", bo, "--category", "employment", "--to", "Jobs", "--date", "2026-11-06")
q("referral", "status", r4, "rejected", "--outcome", "not-eligible")

out = os.path.join(W, "bundle.json")
TO, PURPOSE = "County Care Exchange", "care coordination"
GATE = ("--to", TO, "--purpose", PURPOSE)


def disclosures(who):
    return json.loads(c("--json", "disclosures", who).stdout)


def grant(who, info="identity,notes,referrals,assessments", to=TO, *more):
    return q("consent", "grant", who, "--from", "Riverside Peer Program", "--to", to, "--info", info,
             "--purpose", PURPOSE, "--signed-by", "the person", "--method", "electronic", "--until-event",
             "the end of treatment", *more)


# ---- the Part 2 gate: every person in the bundle needs a consent; otherwise nothing is written ----------
p = c("export", "--fhir", *GATE, "--output", out, ok=False)
check(p.returncode == 11 and not os.path.exists(out) and "consent" in p.stderr,
      "export without any consent refused (exit 11), nothing written: %d %r" % (p.returncode, p.stderr))
# Ann's assessment is on her merged-away record: her consent must still cover assessments.
partial = grant(ann, "identity,notes,referrals")
p = c("export", "--fhir", *GATE, "--contact", ann, "--output", out, ok=False)
check(p.returncode == 11 and not os.path.exists(out) and "assessments" in p.stderr,
      "a consent not covering the assessments in the bundle is refused: %d %r" % (p.returncode, p.stderr))
consent_ann = grant(ann)
old = grant(ann2, "notes", TO, "--signed-on", "2026-09-01")  # a revocation is dated after the signature
q("consent", "revoke", old, "--date", "2026-10-01", "--reason", "moved")
# A consent to another recipient is not this recipient's business: it would tell which clinics she saw.
other = grant(ann2, "notes", "Old Clinic")
expired = q("consent", "grant", bo, "--from", "P", "--to", TO, "--info", "identity", "--purpose", "beds",
            "--signed-by", "Bo", "--method", "verbal-witnessed", "--witness", "Dee", "--signed-on", "2025-06-01",
            "--expires", "2026-01-01")
p = c("export", "--fhir", *GATE, "--output", out, ok=False)
check(p.returncode == 11 and not os.path.exists(out), "one person without consent refuses the whole bundle")
check(disclosures(ann) == [] and disclosures(bo) == [], "a refused bundle records no disclosure for anyone")
consent_bo = grant(bo)
c("-q", "export", "--fhir", *GATE, "--output", out)
da, db = disclosures(ann), disclosures(bo)
check(len(da) == 1 and len(db) == 1 and da[0]["channel"] == "fhir" and da[0]["recipient"] == TO and
      da[0]["consent"] == consent_ann and db[0]["consent"] == consent_bo,
      "each person's disclosure is accounted for under their consent: %s %s" % (da, db))
check("assessments" in da[0]["what"] and "assessments" in db[0]["what"],
      "the accounting names the assessments disclosed: %s %s" % (da[0]["what"], db[0]["what"]))
b = json.load(open(out))
problems = fhir_check.check(b)
check(not problems, "bundle is structurally valid: %s" % problems[:5])
check(oct(os.stat(out).st_mode & 0o777) == "0o600", "--output is mode 0600")
byid = {e["resource"]["id"]: e["resource"] for e in b["entry"]}
kinds = sorted(e["resource"]["resourceType"] for e in b["entry"])
check(kinds.count("Patient") == 3, "three Patients (two merged records and Bo; the deleted one absent): %s" % kinds)
check(gone not in byid and n4 not in byid, "the deleted person and their note are absent")
surv, other = min(ann, ann2), max(ann, ann2)
check(byid[surv]["active"] is True and byid[other]["active"] is False, "the merge survivor is the active Patient")
check({"type": "replaces", "other": {"reference": "urn:uuid:" + other}} in byid[surv].get("link", []) and
      {"type": "replaced-by", "other": {"reference": "urn:uuid:" + surv}} in byid[other].get("link", []),
      "merged Patients are linked both ways")
pa = byid[ann]
check(pa["birthDate"] == "1984-03-09" and {"system": "phone", "value": "555-0101"} in pa["telecom"] and
      {"use": "nickname", "text": "Annie"} in pa["name"], "Patient carries DOB, phone and alias")
check(n3 not in byid and r3 not in byid, "entered-in-error note and referral are absent")
check(byid[n1]["status"] == "finished" and byid[n1]["length"]["value"] == 30 and byid[n1]["class"]["code"] == "FLD",
      "note -> Encounter with minutes")
check(byid[n2]["class"]["code"] == "VR" and byid[n2]["subject"]["reference"] == "urn:uuid:" + ann2,
      "a phone note is a virtual Encounter of its own record")
raw = open(out).read()
check(CANARY not in raw and "called back" not in raw, "note text is left out without --with-notes")
tasks = {r["focus"]["reference"][9:]: r for r in byid.values() if r["resourceType"] == "Task"}
for ref, state, sr in ((r1, "completed", "completed"), (r2, "on-hold", "on-hold"), (r4, "rejected", "revoked")):
    check(byid[ref]["resourceType"] == "ServiceRequest" and byid[ref]["status"] == sr,
          "ServiceRequest %s status %s" % (state, byid[ref].get("status")))
    check(tasks[ref]["status"] == state, "Task status is the referral state %s (got %s)" % (state,
                                                                                         tasks[ref]["status"]))
check(tasks[r1].get("statusReason") == {"text": "placed"} and tasks[r1]["owner"] == {"display": "Harbor House"},
      "Task carries the outcome and the receiving organisation")
check(len(tasks) == 3, "one Task per referral not entered in error")

cons = {r["id"]: r for r in byid.values() if r["resourceType"] == "Consent"}
check(set(cons) == {partial, consent_ann, old, consent_bo, expired},
      "one Consent per consent of an exported person naming the recipient (not the deleted one's, not the one "
      "to another recipient): %s" % sorted(cons))
check(c_gone not in byid and a_gone not in byid, "the deleted person's consent and assessment are absent")
ca = cons[consent_ann]
check(ca["status"] == "active" and ca["patient"] == {"reference": "urn:uuid:" + ann} and
      ca["scope"]["coding"][0]["code"] == "patient-privacy" and ca["category"][0]["coding"][0]["code"] == "59284-0",
      "active consent -> Consent active, privacy scope, LOINC 59284-0, the person's Patient: %s" % ca)
prov = ca["provision"]
check(prov["type"] == "permit" and prov["actor"][0]["role"]["coding"][0]["code"] == "IRCP" and
      prov["actor"][0]["reference"] == {"display": TO} and prov["purpose"] == [{"display": PURPOSE}] and
      [x["code"] for x in prov["class"]] == ["identity", "notes", "referrals", "assessments"] and
      ca["organization"] == [{"display": "Riverside Peer Program"}],
      "Consent carries recipient, purpose, information classes and discloser: %s" % prov)
co = cons[old]
check(co["status"] == "inactive" and co["patient"] == {"reference": "urn:uuid:" + ann2} and
      {"url": "https://cairn.invalid/fhir/StructureDefinition/consent-revoked", "valueDate": "2026-10-01"}
      in co.get("extension", []), "a revoked consent is inactive with its revocation date: %s" % co)
ce = cons[expired]
check(ce["status"] == "inactive" and ce["provision"]["period"] == {"start": "2025-06-01", "end": "2026-01-01"} and
      not any(e["url"].endswith("revoked") for e in ce.get("extension", [])) and
      {"url": "https://cairn.invalid/fhir/StructureDefinition/consent-witness", "valueString": "Dee"}
      in ce.get("extension", []), "an expired consent is inactive, ending at its expiry: %s" % ce)
obs = {r["id"]: r for r in byid.values() if r["resourceType"] == "Observation"}
check(set(obs) == {a1, a2}, "one Observation per assessment of an exported person: %s" % sorted(obs))
for aid, who, items in ((a1, ann2, ITEMS[0]), (a2, bo, ITEMS[1])):
    o = obs.get(aid, {})
    check(o.get("status") == "final" and o.get("subject") == {"reference": "urn:uuid:" + who} and
          "BARC-10" in o.get("code", {}).get("text", "") and o.get("valueInteger") == sum(items) and
          o.get("category", [{}])[0].get("coding", [{}])[0].get("code") == "survey" and
          o.get("effectiveDateTime", "").startswith("2026-11-0"),
          "assessment -> Observation with the total %d: %s" % (sum(items), o))
    check([(x["code"]["text"], x["valueInteger"]) for x in o.get("component", [])] ==
          [("item %d" % (i + 1), v) for i, v in enumerate(items)], "Observation has one component per item")

out = out + ".notes"  # cairn never overwrites a file
c("-q", "export", "--fhir", *GATE, "--with-notes", "--output", out)
b = json.load(open(out))
check(not fhir_check.check(b), "bundle with notes is valid")
enc = {e["resource"]["id"]: e["resource"] for e in b["entry"]}
check(CANARY in enc[n1]["text"]["div"], "--with-notes puts the note text in the Encounter narrative")
check("called back &lt;b&gt;&amp;&lt;/b&gt;" in enc[n2]["text"]["div"], "narrative text is XHTML-escaped")

b = json.loads(c("export", "--fhir", *GATE, "--contact", ann2).stdout)
check(not fhir_check.check(b), "one person's bundle is valid")
ids = {e["resource"]["id"] for e in b["entry"]}
check(ann in ids and ann2 in ids and bo not in ids and r2 not in ids and r1 in ids,
      "--contact exports the person's merged group only")

# A checker that cannot fail proves nothing: break a reference and a status.
b["entry"][-1]["resource"]["for"] = {"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}
b["entry"][0]["resource"]["birthDate"] = None
for e in b["entry"]:
    r = e["resource"]
    if r["resourceType"] == "Consent":
        del r["scope"], r["policy"]
        r["category"] = [{}]
    if r["resourceType"] == "Observation":
        r["status"] = "done"
        del r["code"]
bad = fhir_check.check(b)
check(any("does not resolve" in x for x in bad) and any("null value" in x for x in bad),
      "the checker catches a dangling reference and a null: %s" % bad)
for needle in ("missing required scope", "category must be", "ppc-1", "'done' is not an R4 code",
               "missing required code"):
    check(any(needle in x for x in bad), "the checker catches %r: %s" % (needle, bad))


def err(code, needle, *args):
    p = c(*args, ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == code and not p.stdout and len(lines) == 1 and needle in lines[0],
          "%s: exit %d %r" % (" ".join(args), p.returncode, p.stderr))


# After revocation the gate closes again; an emergency opens it, recorded as such.
q("consent", "revoke", consent_bo, "--reason", "asked to stop")
n_before = len(disclosures(bo))
err(11, "consent", "export", "--fhir", *GATE, "--contact", bo)
check(len(disclosures(bo)) == n_before, "a refused export after revocation records nothing")
b = json.loads(c("export", "--fhir", *GATE, "--contact", bo, "--emergency", "overdose, ED needs history").stdout)
check(not fhir_check.check(b), "emergency bundle is valid")
rb = {e["resource"]["id"]: e["resource"] for e in b["entry"]}
check(rb[consent_bo]["status"] == "inactive" and
      any(e["url"].endswith("consent-revoked") for e in rb[consent_bo].get("extension", [])),
      "a consent revoked today is exported inactive with its revocation date")
de = disclosures(bo)
check(len(de) == n_before + 1 and de[0].get("emergency") and not de[0].get("consent"),
      "an emergency disclosure is accounted for as an emergency: %s" % de[:1])

err(2, "missing export command", "export")
err(2, "missing --to", "export", "--fhir")
err(4, "no contact", "export", "--fhir", *GATE, "--contact", "ffffffff")
err(4, "no living contact", "export", "--fhir", *GATE, "--contact", gone)
err(2, "invalid contact id", "export", "--fhir", *GATE, "--contact", "zz")
err(4, "cannot write", "export", "--fhir", *GATE, "--output", os.path.join(W, "missing", "b.json"))
shutil.rmtree(W)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

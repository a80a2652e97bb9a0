#!/usr/bin/env python3
"""fhir_check.py — structural checks of a FHIR R4 Bundle as cairn writes it (no network, no FHIR server).

check(bundle) returns a list of problems (empty: valid):
  - Bundle: resourceType, id, type "collection", timestamp (instant), entries with unique fullUrls;
  - every resource: a known resourceType, an id matching FHIR's [A-Za-z0-9-.]{1,64}, fullUrl
    "urn:uuid:<id>", no null values and no empty arrays or objects anywhere (FHIR forbids them);
  - required elements (R4 cardinality 1..1) per type: Encounter status+class, ServiceRequest
    status+intent+subject, Task status+intent, Consent status+scope+category, Observation status+code;
  - codes from R4 value sets: Encounter.status, ServiceRequest.status, Task.status, Patient.link.type,
    Consent.status, Consent.provision.type, Observation.status;
  - Consent: scope and every category carry a coding or text, policy or policyRule (ppc-1), a patient
    when the scope is patient-privacy (ppc-2); Observation: code carries a coding or text, each
    component has a code and a value;
  - every {"reference": ...} anywhere resolves to a fullUrl inside the bundle;
  - dates are YYYY-MM-DD, instants are YYYY-MM-DDThh:mm:ssZ;
  - Bundle.meta carries the 42CFRPart2 security label and the 42 CFR 2.32 redisclosure notice.
Usage as a program: fhir_check.py FILE (exit 1 and the problems when invalid).
"""
import json
import re
import sys

ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
TYPES = {"Patient", "Encounter", "ServiceRequest", "Task", "Consent", "Observation"}
REQUIRED = {"Encounter": ["status", "class"], "ServiceRequest": ["status", "intent", "subject"],
            "Task": ["status", "intent"], "Consent": ["status", "scope", "category"],
            "Observation": ["status", "code"], "Patient": []}
CODES = {
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                              "entered-in-error", "unknown"},
    ("ServiceRequest", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error",
                                   "unknown"},
    ("ServiceRequest", "intent"): {"proposal", "plan", "directive", "order", "original-order", "reflex-order",
                                   "filler-order", "instance-order", "option"},
    ("Task", "status"): {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
                         "in-progress", "on-hold", "failed", "completed", "entered-in-error"},
    ("Consent", "status"): {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                "entered-in-error", "unknown"},
    ("Task", "intent"): {"unknown", "proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                         "instance-order", "option"},
}


def walk(v, path, out):
    if v is None:
        out.append("null value at " + path)
    elif isinstance(v, dict):
        if not v:
            out.append("empty object at " + path)
        for k, x in v.items():
            walk(x, path + "." + k, out)
    elif isinstance(v, list):
        if not v:
            out.append("empty array at " + path)
        for i, x in enumerate(v):
            walk(x, "%s[%d]" % (path, i), out)


def refs(v, path=""):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "reference" and isinstance(x, str):
                yield path, x
            else:
                yield from refs(x, path + "." + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from refs(x, "%s[%d]" % (path, i))


def concept(v):
    """A CodeableConcept with at least one coding (system+code, or display) or a text."""
    return isinstance(v, dict) and (bool(v.get("text")) or any(
        isinstance(c, dict) and (c.get("code") or c.get("display")) for c in v.get("coding", [])))


def typed(rt, r, where):
    p = []
    if rt == "Consent":
        if not concept(r.get("scope")):
            p.append("%s: scope is not a CodeableConcept" % where)
        if not isinstance(r.get("category"), list) or not all(concept(c) for c in r.get("category") or []):
            p.append("%s: category must be 1..* CodeableConcepts" % where)
        if "policy" not in r and "policyRule" not in r:
            p.append("%s: neither policy nor policyRule (ppc-1)" % where)
        if any(c.get("code") == "patient-privacy" for c in r.get("scope", {}).get("coding", [])) and \
                "patient" not in r:
            p.append("%s: a privacy consent needs a patient (ppc-2)" % where)
        prov = r.get("provision", {})
        if "type" in prov and prov["type"] not in {"deny", "permit"}:
            p.append("%s: provision.type %r" % (where, prov["type"]))
        for k in ("start", "end"):
            if k in prov.get("period", {}) and not DATE.match(str(prov["period"][k])):
                p.append("%s: provision.period.%s is not a date" % (where, k))
        for a in prov.get("actor", []):
            if not concept(a.get("role")) or "reference" not in a:
                p.append("%s: provision.actor needs role and reference" % where)
    if rt == "Observation":
        if not concept(r.get("code")):
            p.append("%s: code is not a CodeableConcept" % where)
        for i, c in enumerate(r.get("component", [])):
            if not concept(c.get("code")) or not any(k.startswith("value") for k in c):
                p.append("%s: component[%d] needs a code and a value" % (where, i))
        if "valueInteger" in r and not isinstance(r["valueInteger"], int):
            p.append("%s: valueInteger is not an integer" % where)
    for k in ("dateTime", "effectiveDateTime"):
        if k in r and not (DATE.match(str(r[k])) or INSTANT.match(str(r[k]))):
            p.append("%s: %s %r is not a dateTime" % (where, k, r[k]))
    for e in r.get("extension", []):
        if not str(e.get("url", "")).startswith("http") or sum(k.startswith("value") for k in e) != 1:
            p.append("%s: extension needs a url and exactly one value" % where)
    return p


def check(b):
    p = []
    if b.get("resourceType") != "Bundle":
        return ["not a Bundle"]
    if b.get("type") != "collection":
        p.append("Bundle.type is %r, want collection" % b.get("type"))
    if not ID.match(str(b.get("id", ""))):
        p.append("Bundle.id %r is not a FHIR id" % b.get("id"))
    if not INSTANT.match(str(b.get("timestamp", ""))):
        p.append("Bundle.timestamp %r is not an instant" % b.get("timestamp"))
    meta = b.get("meta", {})
    if not any(s.get("code") == "42CFRPart2" for s in meta.get("security", [])):
        p.append("Bundle.meta.security has no 42CFRPart2 label")
    if not any("42 CFR part 2" in e.get("valueString", "") and "redisclose" in e.get("valueString", "")
               for e in meta.get("extension", [])):
        p.append("Bundle.meta has no redisclosure notice")
    walk(b, "Bundle", p)
    urls = set()
    for i, e in enumerate(b.get("entry", [])):
        r, url = e.get("resource", {}), e.get("fullUrl")
        rt, rid = r.get("resourceType"), r.get("id", "")
        where = "entry[%d] %s/%s" % (i, rt, rid)
        if rt not in TYPES:
            p.append("%s: unexpected resourceType" % where)
        if not ID.match(str(rid)):
            p.append("%s: id is not a FHIR id" % where)
        if url != "urn:uuid:" + str(rid):
            p.append("%s: fullUrl %r does not name its id" % (where, url))
        if url in urls:
            p.append("%s: fullUrl %r is not unique" % (where, url))
        urls.add(url)
        for k in REQUIRED.get(rt, []):
            if k not in r:
                p.append("%s: missing required %s" % (where, k))
        for (t, k), allowed in CODES.items():
            if rt == t and k in r and r[k] not in allowed:
                p.append("%s: %s %r is not an R4 code" % (where, k, r[k]))
        p.extend(typed(rt, r, where))
        for k in ("birthDate", "authoredOn"):
            if k in r and not DATE.match(str(r[k])):
                p.append("%s: %s %r is not a date" % (where, k, r[k]))
        if "lastModified" in r and not INSTANT.match(str(r["lastModified"])):
            p.append("%s: lastModified is not an instant" % where)
        for link in r.get("link", []):
            if link.get("type") not in {"replaced-by", "replaces", "refer", "seealso"}:
                p.append("%s: link type %r" % (where, link.get("type")))
    for path, ref in refs(b.get("entry", [])):
        if ref not in urls:
            p.append("reference %r at entry%s does not resolve inside the bundle" % (ref, path))
    return p


if __name__ == "__main__":
    problems = check(json.load(open(sys.argv[1])))
    for x in problems:
        print(x)
    sys.exit(1 if problems else 0)

#!/usr/bin/env bash
# The end-to-end demo of omc-vc: run it with `make demo` from a fresh clone.
#
# A DEMO ministry publishes a signed registry with two institutions (a college, and a private career
# college in partnership with it); they issue an OMC, an OMC+ and a partnership OMC to a demo learner;
# the learner imports them into a demo wallet and makes both kinds of QR code; the verifier service
# runs on loopback; the credentials are verified through the link, the VC-API and the CLI; one is
# revoked and the changed verdict is shown. Then the service stops and the script prints what to open.
#
# Every key made here is a DEMO key named demo-*, stored unencrypted on purpose (--insecure-plaintext),
# and refused by omc outside demo mode (--demo). Nothing here is for production.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=demo-out
rm -rf "$OUT"
mkdir -p "$OUT"/{ministry,college,pcc,issued,public/status,qr,wallet,cache,shares,api}
PY=${PYTHON:-python3}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }
json_field() { "$PY" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$1"; }

# A free loopback port (8800 when free: the wallet's default verifier URL).
PORT=${DEMO_PORT:-$("$PY" - <<'PY'
import socket
for port in [8800, 0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(s.getsockname()[1]); break
    except OSError:
        continue
    finally:
        s.close()
PY
)}
BASE="http://127.0.0.1:$PORT"
export OMC_WALLET_PASS="demo wallet passphrase (DEMO)"
WALLET="$OUT/wallet"
LOOP=(--allow-http-loopback)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -INT "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------------------
step "1. The ministry (DEMO anchor keys/demo-ministry.key) starts its registry of authorized issuers"
run omc registry init --anchor-key keys/demo-ministry.key --demo --id "$BASE/registry.json" \
    --out "$OUT/ministry/registry-draft.json" --anchors-out "$OUT/ministry/anchors.json"

if omc registry publish --draft "$OUT/ministry/registry-draft.json" --key keys/demo-ministry.key \
    --out "$OUT/ministry/refused" > /dev/null 2>&1; then
  echo "DEMO FAILED: a demo key was accepted outside demo mode" >&2; exit 1
fi
echo "(without --demo the DEMO ministry key is refused, as it must be)"

step "2. Two institutions make their DEMO signing keys"
run omc keys generate --type ed25519 --out "$OUT/college/demo-college.key" --insecure-plaintext
run omc keys generate --type p256 --out "$OUT/pcc/demo-pcc.key" --insecure-plaintext
COLLEGE_DID=$(omc keys show "$OUT/college/demo-college.key" --json | json_field controller)
PCC_DID=$(omc keys show "$OUT/pcc/demo-pcc.key" --json | json_field controller)
echo "college:                $COLLEGE_DID"
echo "private career college: $PCC_DID"

step "3. The ministry lists them (the career college in partnership with the college) and publishes"
run omc registry add-institution --draft "$OUT/ministry/registry-draft.json" \
    --name "Lakeshore College of Applied Arts and Technology (DEMO)" --type college --did "$COLLEGE_DID" \
    --eqaa "Ontario College Quality Assurance Service" --iqap-ref OCQAS-DEMO-1 --qa-date 2024-05-01 \
    --consent-ref MCU-OMC-DEMO-0001 --scope OMC,OMC+ --granted 2025-01-01T00:00:00Z \
    --homepage https://lakeshore.example.ca --location "Toronto, ON, Canada"
run omc registry add-institution --draft "$OUT/ministry/registry-draft.json" \
    --name "Northern Trades Career College (DEMO)" --type private-career-college --did "$PCC_DID" \
    --consent-ref MCU-OMC-DEMO-0002 --scope OMC --granted 2025-01-01T00:00:00Z \
    --homepage https://northerntrades.example.ca --location "Sudbury, ON, Canada"
run omc registry add-partnership --draft "$OUT/ministry/registry-draft.json" --pcc "$PCC_DID" \
    --partner "$COLLEGE_DID" --reference MCU-PCC-DEMO-0001 --since 2025-01-01T00:00:00Z
# the registry's OpenID Federation trust anchor, for DCC's verifiers: its own P-256 key, named in the signed list
run omc keys generate --type p256 --out "$OUT/ministry/demo-federation.key" --insecure-plaintext
run omc registry set-federation --draft "$OUT/ministry/registry-draft.json" --demo \
    --key "$OUT/ministry/demo-federation.key" --entity-id "$BASE" \
    --organization-name "Ontario Ministry of Colleges and Universities (DEMO)" \
    --homepage-uri https://www.ontario.ca/page/ministry-colleges-universities \
    --policy-uri https://www.ontario.ca/page/micro-credentials-from-ontario-postsecondary-schools
# one publication, every form: registry.json, the federation's statements, DCC's legacy file
run omc registry publish --draft "$OUT/ministry/registry-draft.json" --key keys/demo-ministry.key --demo \
    --federation-key "$OUT/ministry/demo-federation.key" --out "$OUT/public"

step "4. The learner sets up a DEMO wallet (its holder DID goes into the credentials)"
# the verifier its QR codes and certificates open is set once; a loopback one only because this is a DEMO wallet
run omc wallet init --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS --learner-name "Ada Demo-Learner" \
    --verifier-url "$BASE" --demo
LEARNER_DID=$(omc wallet did --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS | tail -n 1)
echo "learner: $LEARNER_DID"

step "5. The institutions describe their micro-credentials (catalogues) and the college endorses its partner's"
ACH_BASE="https://lakeshore.example.ca/omc/achievements"
PCC_ACH="https://northerntrades.example.ca/omc/achievements/forklift-safety"
"$PY" - "$OUT" "$BASE" "$COLLEGE_DID" "$PCC_DID" "$ACH_BASE" "$PCC_ACH" <<'PY'
import json, sys
from pathlib import Path
out, base, college, pcc, ach_base, pcc_ach = sys.argv[1:]
noc = [{"targetName": "Welders and related machine operators", "targetType": "ext:NOC", "targetCode": "72106",
        "targetUrl": "https://noc.esdc.gc.ca/Structure/NocProfile?code=72106"}]
common = {"inLanguage": "en", "deliveryMode": "hybrid", "qualificationCategory": "Non-OQF Micro-credential",
          "summativeAssessment": {"description": "Supervised practical assessment."}, "alignment": noc,
          "cipCode": "48.0508", "creditUnit": "credit"}
college_catalogue = {
    "weld-safety": {**common, "id": f"{ach_base}/weld-safety", "name": "Welding Safety Fundamentals",
                    "description": "Safe practice in a welding shop: PPE, ventilation, fire watch, hot-work permits.",
                    "criteria": "Pass a supervised practical assessment and a written test.",
                    "instructionalHours": 30, "durationWeeks": 6, "creditsAvailable": 1},
    "mig-welding": {**common, "id": f"{ach_base}/mig-welding", "name": "MIG Welding I",
                    "description": "Gas metal arc welding of mild steel in flat and horizontal positions.",
                    "criteria": "Produce welds that pass a bend test.", "instructionalHours": 45,
                    "durationWeeks": 8, "creditsAvailable": 3,
                    "stacksInto": [{"id": "https://lakeshore.example.ca/programs/welding-techniques",
                                    "name": "Welding Techniques Ontario College Certificate",
                                    "awardingInstitution": "Lakeshore College of Applied Arts and Technology (DEMO)",
                                    "program": "Welding Techniques", "creditValue": 3, "creditUnit": "credit",
                                    "creditRequired": 12, "creditDeterminedBy": "program",
                                    "awardedByIssuer": True}]},
    "weld-inspection": {**common, "id": f"{ach_base}/weld-inspection", "name": "Visual Weld Inspection",
                        "description": "Visual inspection of welds against CSA W59 acceptance criteria.",
                        "criteria": "Inspect and grade ten sample welds.", "instructionalHours": 15,
                        "durationWeeks": 3, "creditsAvailable": 1},
}
pcc_catalogue = {
    "forklift-safety": {**common, "id": pcc_ach, "name": "Forklift Operator Safety",
                        "description": "Safe operation of counterbalance forklifts in a warehouse.",
                        "criteria": "Pass a supervised practical driving assessment.", "instructionalHours": 20,
                        "durationWeeks": 3, "creditsAvailable": 1, "deliveryMode": "in-person",
                        "endorsementFiles": ["endorsement-by-college.json"]},
}
def config(did, key, name, slug, catalogue):
    return {"did": did, "key": key, "profile": {"name": name, "url": f"https://{slug}.example.ca",
            "omcConsentReference": "MCU-OMC-DEMO"}, "catalogue": catalogue,
            "status": {"base_url": f"{base}/status/{slug}/"},  # one revocation entry (ADR 0013)
            "state": "state/issuance.sqlite",
            "offers": {"public_url": base, "expires_days": 7}}  # credential offers: links to this service
Path(out, "college", "institution.json").write_text(json.dumps(config(
    college, "demo-college.key", "Lakeshore College of Applied Arts and Technology (DEMO)", "college",
    college_catalogue), indent=2))
Path(out, "pcc", "institution.json").write_text(json.dumps(config(
    pcc, "demo-pcc.key", "Northern Trades Career College (DEMO)", "pcc", pcc_catalogue), indent=2))
PY
# bound to the private career college (its DID) and to this achievement's defining fields, as its
# catalogue defines them: the endorsement holds on no other college's OMC and for no other course
run omc endorse --catalogue "$OUT/pcc/institution.json" --achievement forklift-safety --for-issuer "$PCC_DID" \
    --key "$OUT/college/demo-college.key" --name "Lakeshore College of Applied Arts and Technology (DEMO)" \
    --comment "Delivered in partnership with Lakeshore College under MCU-PCC-DEMO-0001." \
    --out "$OUT/pcc/endorsement-by-college.json"

step "6. They issue an OMC, an OMC+ and a partnership OMC to the demo learner"
run omc issue --config "$OUT/college/institution.json" --achievement weld-safety \
    --learner-name "Ada Demo-Learner" --learner-email ada@learner.example --learner-did "$LEARNER_DID" \
    --out "$OUT/issued/omc-weld-safety.json"
run omc issue --config "$OUT/college/institution.json" --achievement mig-welding \
    --learner-name "Ada Demo-Learner" --learner-email ada@learner.example --learner-did "$LEARNER_DID" \
    --out "$OUT/issued/omc-plus-mig-welding.json"
run omc issue --config "$OUT/pcc/institution.json" --achievement forklift-safety \
    --learner-name "Ada Demo-Learner" --learner-email ada@learner.example --learner-did "$LEARNER_DID" \
    --out "$OUT/issued/omc-forklift-pcc.json"
echo "(the private career college signs with P-256, hence the NOT_PORTABLE warning: its OMC verifies here," \
     "but not in DCC's VerifierPlus or Learner Credential Wallet; the college's Ed25519 OMCs do)"
run omc status publish --config "$OUT/college/institution.json" --out "$OUT/public/status/college"
run omc status publish --config "$OUT/pcc/institution.json" --out "$OUT/public/status/pcc"

step "7. The verifier service starts on loopback (hosting the registry, the status lists and the shares)"
cat > "$OUT/serve.yaml" <<YAML
# omc serve configuration of the demo (DEMO: plain http on loopback only)
host: 127.0.0.1
port: $PORT
public_url: $BASE
registry: $BASE/registry.json
institution: college/institution.json   # hosts the college's credential offers (/exchanges/...)
demo: true
allow_http_loopback: true
cache_dir: cache
shares: {dir: shares}
hosted:
  registry_file: public/registry.json
  registry_forms: public          # the federation (/.well-known/openid-federation, /fetch, ...) and DCC's legacy file
  status_dir: public/status
YAML
printf '$ omc serve --config %s/serve.yaml\n' "$OUT"
omc serve --config "$OUT/serve.yaml" 2> "$OUT/serve.log" &
SERVER_PID=$!
# omc serve binds the port before it says "listening", and a port it holds cannot be taken by another
# program; so until that line, whatever answers at $BASE is not trusted to be our service. If another
# program took the port after the probe above, omc serve exits 2 with SERVE_ADDRESS_IN_USE.
started=""
for _ in $(seq 1 150); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    status=0; wait "$SERVER_PID" || status=$?
    SERVER_PID=""
    cat "$OUT/serve.log" >&2
    if grep -q "SERVE_ADDRESS_IN_USE" "$OUT/serve.log"; then
      echo "DEMO FAILED: another program took port $PORT after the demo chose it; run the demo again," \
           "or pick a port with DEMO_PORT=N make demo" >&2
    else
      echo "DEMO FAILED: omc serve exited (status $status) before it was listening" >&2
    fi
    exit 1
  fi
  # the "listening on URL (open URL/ in a browser)" line, in the reader's language: matched by its URL
  if grep -qF " $BASE (" "$OUT/serve.log"; then started=1; break; fi
  sleep 0.2
done
[[ -n "$started" ]] || { cat "$OUT/serve.log" >&2; echo "DEMO FAILED: omc serve did not start in 30 s" >&2; exit 1; }
# and it is our service that answers: it hosts the registry this run of the demo just signed
"$PY" - "$BASE" "$OUT/public/registry.json" <<'PY' || { echo "DEMO FAILED: $BASE is not the demo's own service" >&2; exit 1; }
import json, sys, urllib.request
base, mine = sys.argv[1], json.load(open(sys.argv[2]))
with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
    assert response.read() == b"ok", "healthz"
with urllib.request.urlopen(base + "/registry.json", timeout=10) as response:
    served = json.load(response)
if served != mine:
    sys.exit(f"{base}/registry.json is not the registry this demo published")
PY
echo "service up at $BASE (pid $SERVER_PID; it serves the registry this run published)"

step "7b. DCC's verifiers can read the same registry: the federation says exactly what the signed registry says"
run omc registry check-federation "$BASE" --registry "$BASE/registry.json" --demo \
    --registry-cache "$OUT/cache/federation" "${LOOP[@]}"
"$PY" - "$BASE" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
listing = json.load(urllib.request.urlopen(base + "/subordinate_listing", timeout=10))
legacy = json.load(urllib.request.urlopen(base + "/dcc-legacy-registry.json", timeout=10))
print(f"  {base}/subordinate_listing: {len(listing)} issuer DID(s)")
for did, entry in legacy["registry"].items():
    print(f"  {base}/dcc-legacy-registry.json: {entry['name']} ({did[:32]}...)")
PY
echo "  the entry for DCC's known-registries list: $OUT/public/dcc-known-registries.json"

VERIFY=(--registry "$BASE/registry.json" --demo --registry-cache "$OUT/cache/cli" "${LOOP[@]}")

step "8. The learner imports the three credentials into the wallet (each is verified first)"
# the wallet keeps its own cache: a status list cached here stays fresh for its ttl (5 minutes by default)
run omc wallet import --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS --registry "$BASE/registry.json" --demo \
    --registry-cache "$OUT/cache/wallet" "${LOOP[@]}" --json \
    "$OUT/issued/omc-weld-safety.json" "$OUT/issued/omc-plus-mig-welding.json" "$OUT/issued/omc-forklift-pcc.json" \
    > "$OUT/wallet-import.json"
"$PY" - "$OUT/wallet-import.json" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))
for item in items:
    verdict = item.get("verdict") or {}
    print(f"  {item.get('id', '?')}: {verdict.get('status')} - {verdict.get('headline')}")
# the partnership OMC holds only with its partner's endorsement, bound to the career college and the course
if (items[2].get("verdict") or {}).get("status") != "valid-omc":
    sys.exit(f"DEMO FAILED: the partnership OMC is not a valid OMC: {items[2].get('verdict')}")
PY
OMC_ID=$(json_field 0.id < "$OUT/wallet-import.json")
PLUS_ID=$(json_field 1.id < "$OUT/wallet-import.json")

step "8b. The college offers the learner an OMC as a link and a QR code; the learner's wallet picks it up"
# the link a phone wallet opens (the Learner Credential Wallet's deep link); the wallet proves its DID and the
# service issues the OMC to it, once
run omc offer create --config "$OUT/college/institution.json" --achievement weld-inspection \
    --learner-name "Ada Demo-Learner" --learner-email ada@learner.example --qr "$OUT/qr/offer.png" --json \
    > "$OUT/offer.json"
OFFER_ID=$(json_field id < "$OUT/offer.json")
echo "  link: $(json_field link < "$OUT/offer.json" | cut -c1-100)..."
echo "  its QR code: $OUT/qr/offer.png"
# the wallet reads the link from the QR code, as a phone's camera does
OFFER_LINK=$("$PY" -c 'import sys; from pathlib import Path; from omc_vc.qr import read_qr_image
print(read_qr_image(Path(sys.argv[1])))' "$OUT/qr/offer.png")
[[ "$OFFER_LINK" == "$(json_field link < "$OUT/offer.json")" ]] || { echo "DEMO FAILED: the QR code" \
    "does not hold the offer's link" >&2; exit 1; }
run omc wallet receive "$OFFER_LINK" --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS \
    --registry "$BASE/registry.json" --demo --registry-cache "$OUT/cache/wallet" "${LOOP[@]}" --json \
    > "$OUT/wallet-receive.json"
run omc offer list --config "$OUT/college/institution.json" --json > "$OUT/offers.json"
"$PY" - "$OUT/wallet-receive.json" "$OUT/offers.json" "$OFFER_ID" "$LEARNER_DID" <<'PY'
import json, sys
received, offers, offer_id, learner = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), *sys.argv[3:]
[item] = received["received"]
print(f"  received {item['id']}: {item['verdict'].get('status')} - {item['verdict'].get('headline')}")
[offer] = [o for o in offers["offers"] if o["id"] == offer_id]
print(f"  offer {offer_id}: {offer['state']} by {offer['holder']} via {offer['protocol']}")
if item["verdict"].get("status") != "valid-omc" or offer["state"] != "redeemed" or offer["holder"] != learner:
    sys.exit("DEMO FAILED: the offer was not picked up by the learner's wallet as a valid OMC")
PY
if omc wallet receive "$OFFER_LINK" --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS "${LOOP[@]}" \
    > /dev/null 2>&1; then
  echo "DEMO FAILED: an offer was redeemed twice" >&2; exit 1
fi
echo "  (the same link again: refused, an offer is single-use)"

step "9. The learner makes a link-mode QR code (OMC) and a short-mode QR code (OMC+)"
run omc wallet qr "$OMC_ID" --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS --out "$OUT/qr/omc-link.png" \
    --mode link
run omc wallet qr "$PLUS_ID" --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS --out "$OUT/qr/omc-plus-short.png" \
    --mode short "${LOOP[@]}"
# the OMC's certificate, verified again as it is exported: HTML (phone, print) and PDF (Letter)
for fmt in html pdf; do
  run omc wallet export "$OMC_ID" --wallet "$WALLET" --passphrase-env OMC_WALLET_PASS --format "$fmt" \
      --out "$OUT/certificate.$fmt" --registry "$BASE/registry.json" --demo --registry-cache "$OUT/cache/wallet" \
      "${LOOP[@]}"
done
run omc qr decode "$OUT/qr/omc-link.png" --json > "$OUT/qr/omc-link.json"
run omc qr decode "$OUT/qr/omc-plus-short.png" --json > "$OUT/qr/omc-plus-short.json"
LINK=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["content"])' "$OUT/qr/omc-link.json")
SHORT=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["content"])' "$OUT/qr/omc-plus-short.json")
echo "link-mode URL:  ${LINK:0:90}..."
echo "short-mode URL: $SHORT"

page_verdict() {  # what the employer's page shows for a link (the page POSTs the fragment, as here)
  "$PY" - "$BASE" "$1" <<'PY'
import json, sys, urllib.request
base, link = sys.argv[1], sys.argv[2]
if link.startswith("http") and "#" in link:
    request = urllib.request.Request(base + "/verify/fragment", data=link.split("#", 1)[1].encode())
else:
    request = urllib.request.Request(base + "/verify/text", data=link.encode())
out = json.load(urllib.request.urlopen(request, timeout=60))
v, s = out["verdict"], out["summary"]
print(f"  verdict:     {v['status']} - {v['headline']}")
print(f"  reason:      {v['reason']}")
print(f"  institution: {v['institution']}")
print(f"  learner:     {s.get('learner')}; achievement: {s.get('achievement')}; hours: {s.get('instructionalHours')}")
PY
}
api_verify() {  # POST /credentials/verify (VC-API); prints the HTTP status and the errors
  "$PY" - "$BASE" "$1" <<'PY'
import json, sys, urllib.error, urllib.request
base, path = sys.argv[1], sys.argv[2]
body = json.dumps({"verifiableCredential": json.load(open(path))}).encode()
request = urllib.request.Request(base + "/credentials/verify", data=body, headers={"Content-Type": "application/json"})
try:
    response = urllib.request.urlopen(request, timeout=60)
    status, out = response.status, json.load(response)
except urllib.error.HTTPError as exc:
    status, out = exc.code, json.load(exc)
print(f"  HTTP {status}: verified={out.get('verified')} errors={[e['code'] for e in out.get('errors', [])]}")
PY
}

step "10. An employer verifies: through the link-mode QR (the page), the short-mode QR, the VC-API and the CLI"
echo "link-mode QR (OMC):"; page_verdict "$LINK"
echo "short-mode QR (OMC+):"; page_verdict "$SHORT"
echo "VC-API POST /credentials/verify (OMC):"; api_verify "$OUT/issued/omc-weld-safety.json"
run omc verify "$OUT/issued/omc-forklift-pcc.json" "${VERIFY[@]}"

step "11. A forger raises the hours: the page says invalid, with the reason"
"$PY" - "$OUT/issued/omc-weld-safety.json" "$OUT/issued/tampered.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["credentialSubject"]["achievement"]["instructionalHours"] = 300
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
page_verdict "$(cat "$OUT/issued/tampered.json")"
if omc verify "$OUT/issued/tampered.json" "${VERIFY[@]}" > /dev/null 2>&1; then
  echo "DEMO FAILED: a tampered credential verified" >&2; exit 1
fi

step "12. The college revokes the OMC and republishes its status list: the verdict changes"
OMC_CRED_ID=$(json_field id < "$OUT/issued/omc-weld-safety.json")
run omc status revoke --config "$OUT/college/institution.json" "$OMC_CRED_ID"
run omc status publish --config "$OUT/college/institution.json" --out "$OUT/public/status/college"
echo "the same link-mode QR now:"; page_verdict "$LINK"
echo "VC-API now:"; api_verify "$OUT/issued/omc-weld-safety.json"
if omc verify "$OUT/issued/omc-weld-safety.json" "${VERIFY[@]}" > /dev/null 2>&1; then
  echo "DEMO FAILED: a revoked credential verified" >&2; exit 1
fi
echo "(omc verify: NOT VERIFIED, as it must be)"

step "13. The service stops"
cleanup
SERVER_PID=""
echo "stopped."

cat <<EOF

Demo finished. Everything is in $OUT/ (DEMO keys: $OUT/college/demo-college.key, $OUT/pcc/demo-pcc.key,
keys/demo-ministry.key; never use them for anything real).

To look at it in a browser, start the service again and open the links:

  .venv/bin/omc serve --config $OUT/serve.yaml

  $BASE/                          the employer's verifier page (upload $OUT/qr/*.png there)
  $SHORT
                                  the short-mode QR's page (OMC+)
  the link-mode QR's page (OMC, now revoked): the full link is in $OUT/qr/omc-link.json
  $OUT/certificate.html, $OUT/certificate.pdf   the OMC's certificate as the learner exported it
  $BASE/openapi.json              the VC-API description
EOF

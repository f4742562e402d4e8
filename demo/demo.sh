#!/usr/bin/env bash
# The end-to-end demo on embedded defaults. Run it with `make demo` from a fresh clone.
# Every key made here is a DEMO key, stored unencrypted on purpose (--insecure-plaintext).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=demo-out
rm -rf "$OUT"; mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. The institution makes a signing key (DEMO key, unencrypted on purpose)"
run omc keys generate --type ed25519 --out "$OUT/demo-institution.key" --insecure-plaintext
run omc keys show "$OUT/demo-institution.key"
ISSUER=$(omc keys show "$OUT/demo-institution.key" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["controller"])')

step "2. It signs a micro-credential (Open Badges 3.0, eddsa-rdfc-2022)"
sed "s|ISSUER_DID|$ISSUER|" demo/credential.template.json > "$OUT/credential.json"
run omc sign "$OUT/credential.json" --key "$OUT/demo-institution.key" --out "$OUT/signed.json"

step "3. Anyone verifies it"
run omc verify "$OUT/signed.json"

step "4. The same credential as a VC-JWT"
run omc sign "$OUT/credential.json" --key "$OUT/demo-institution.key" --format jwt --out "$OUT/credential.jwt"
run omc verify "$OUT/credential.jwt"

step "5. A forger changes the learner's hours: verification fails (exit 1)"
python3 - "$OUT/signed.json" "$OUT/tampered.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["credentialSubject"]["achievement"]["creditsAvailable"] = 30.0
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
if omc verify "$OUT/tampered.json"; then echo "DEMO FAILED: a tampered credential verified" >&2; exit 1; fi
echo "(rejected, as it must be)"

printf '\nDemo finished. Files are in %s/\n' "$OUT"

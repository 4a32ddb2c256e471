#!/usr/bin/env bash
# TLS posture check: runs testssl.sh (Debian's testssl.sh package) against the shipped demo
# (conf/main.conf, moved to free loopback ports in a scratch copy) for the shared SAN
# certificate (www), the SNI-only one (blog) and a hello without SNI, and fails on any
# vulnerability or weak offer. Findings that are about the demo's own certificates (a private
# CA, 20 years, no OCSP) or about headers an admin adds with `Header` are listed, not failed.
# Usage: bash tests/testssl.sh        (about a minute per name; loopback only)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v testssl >/dev/null || { echo "testssl is needed: apt-get install testssl.sh"; exit 1; }
work=$(mktemp -d /tmp/testssl.XXXXXX)
chmod 755 "$work"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
(cd "$root" && cargo build -q --bin server)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(port); https=$(port)
cp -r "$root/conf" "$root/htdocs" "$work/"
sed -i -e "s/:8080/:$http/g" -e "s/:8443/:$https/g" "$work/conf/main.conf"
chmod -R a+rX "$work"
"$root/target/debug/server" -d "$work" -f conf/main.conf >"$work/server.out" 2>&1 &
pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$https") 2>/dev/null && break; sleep 0.1; done

# Not failures for a demo: its certificates and response headers, and the cipher order
# (every suite offered is AEAD with forward secrecy, so the client's order is used, as
# Mozilla's intermediate profile advises; SSLHonorCipherOrder on makes it the server's).
allowed='cert_chain_of_trust cert_validityPeriod cert_revocation cert_trust cipher_order
  security_headers HSTS DNS_CAArecord OCSP_stapling cert_extlifeSpan'
status=0
for target in www.localhost blog.localhost NOSNI; do
  json="$work/$target.json"
  if [ "$target" = NOSNI ]; then
    url="127.0.0.1:$https"; extra=(--sneaky)
  else
    url="https://$target:$https/"; extra=(--sneaky --ip 127.0.0.1)
  fi
  testssl --quiet --color 0 --warnings off "${extra[@]}" -U -p -s -S -P -f -h \
    --jsonfile "$json" "$url" >"$work/$target.txt" 2>&1 || true
  python3 - "$json" "$target" "$allowed" <<'PY' || status=1
import json, sys
path, target, allowed = sys.argv[1], sys.argv[2], set(sys.argv[3].split())
findings = json.load(open(path))
bad, noted = [], []
for f in findings:
    if f["severity"] in ("OK", "INFO", "DEBUG"):
        continue
    (noted if f["id"] in allowed else bad).append(f"{f['severity']:8} {f['id']}: {f['finding']}")
offered = {f["id"]: f["finding"] for f in findings}
for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
    if "not offered" not in offered.get(p, "not offered"):
        bad.append(f"protocol {p} is offered")
if len(findings) < 40:
    bad.append(f"only {len(findings)} findings: did testssl reach the server?")
print(f"{target}: {len(findings)} findings, {len(bad)} failing")
for n in noted:
    print(f"   noted  {n}")
for b in bad:
    print(f"   FAILED {b}")
sys.exit(1 if bad else 0)
PY
done
exit "$status"

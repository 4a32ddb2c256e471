#!/usr/bin/env bash
# Reload under load, measured: a release build serves a generated 10,000-vhost,
# 200-certificate configuration (half TLS) on loopback while wrk keeps keep-alive connections
# busy over HTTP/1.1 and over TLS, and the server gets SIGHUP every half second. Prints wrk's
# totals (requests, non-2xx, socket errors) and each reload's duration from the error log.
# Usage: bash benches/reload_under_load.sh [seconds]    (needs wrk and openssl)
set -euo pipefail
secs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/reload-bench.XXXXXX)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
(cd "$root" && cargo build --release -q)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(port); https=$(port)
mkdir -p "$work/www" "$work/certs"
echo ok > "$work/www/index.html"
for g in $(seq 0 199); do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=g$g" \
    -addext "subjectAltName=DNS:*.g$g.bench.test" -keyout "$work/certs/g$g.key" -out "$work/certs/g$g.crt" 2>/dev/null
done
python3 - "$work" "$http" "$https" <<'PY'
import sys
work, http, https = sys.argv[1], sys.argv[2], sys.argv[3]
out = [f"ServerName bench.test\nListen 127.0.0.1:{http}\nListen 127.0.0.1:{https} https\nDocumentRoot www\nPidFile run.pid\nErrorLog error.log\nLogLevel info\n"]
n = 10000
for i in range(n):
    g = i % 200
    tls = i >= n // 2
    port = https if tls else http
    out.append(f"<VirtualHost 127.0.0.1:{port}>\n  ServerName s{i}.g{g}.bench.test\n  DocumentRoot www\n")
    if tls:
        out.append(f"  SSLEngine on\n  SSLCertificateFile certs/g{g}.crt\n  SSLCertificateKeyFile certs/g{g}.key\n")
    out.append("</VirtualHost>\n")
open(f"{work}/bench.conf", "w").write("".join(out))
PY
cd "$work"
"$root/target/release/server" --allow-root -f bench.conf 2>/dev/null &
pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$http/" && break; sleep 0.1; done
# The first TLS vhost is the default; no SNI from wrk's IP URL, so its name is the Host.
wrk -t1 -c16 -d"${secs}s" -H 'Host: s0.g0.bench.test' "http://127.0.0.1:$http/" > wrk-http.txt &
w1=$!
wrk -t1 -c16 -d"${secs}s" -H 'Host: s5000.g0.bench.test' "https://127.0.0.1:$https/" > wrk-https.txt &
w2=$!
end=$((SECONDS + secs - 1))
while [ $SECONDS -lt $end ]; do kill -HUP "$pid"; sleep 0.5; done
wait $w1 $w2
echo "== HTTP/1.1";  grep -E "requests in|Non-2xx|Socket errors" wrk-http.txt || true
echo "== HTTPS/1.1"; grep -E "requests in|Non-2xx|Socket errors" wrk-https.txt || true
echo "== reloads"
grep -o 'reload applied in [0-9.]* s' error.log | awk '{n++; s+=$4; if ($4>m) m=$4} END {printf "%d applied, mean %.3f s, max %.3f s\n", n, s/n, m}'
grep -c 'reload rejected' error.log | sed 's/^/rejected: /'

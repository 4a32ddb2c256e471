#!/usr/bin/env bash
# Slow clients (reliability targets T6, T7; catalogue D1, D3, D4), ours and nginx side by side in
# one run with the same 10 s timeouts: slowhttptest's slow headers (Slowloris), slow body
# (R-U-Dead-Yet) and slow read, each with 1000 connections, while a side channel fetches a
# small file every 100 ms. For each server and attack: whether slowhttptest ever saw the
# service unavailable, the most attack connections open at once, the side channel's failures
# and p99, and the memory each open attack connection cost (VmRSS growth / connections).
# Loopback only.
# Usage: bash benches/slow_clients.sh [seconds per attack]
#        (needs slowhttptest, nginx, curl: apt-get install slowhttptest nginx)
set -euo pipefail
secs=${1:-40}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/slow.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
for t in slowhttptest nginx curl python3; do
  command -v "$t" >/dev/null || { echo "$t is needed (apt-get install slowhttptest nginx)"; exit 1; }
done
(cd "$root" && cargo build --release -q --bin server)
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free); nport=$(free)
mkdir -p "$work/www" "$work/nginx"
head -c 1024 /dev/zero | tr '\0' a > "$work/www/1k.html"
head -c $((4 << 20)) /dev/zero | tr '\0' b > "$work/www/big.bin"
cat > "$work/main.conf" <<CONF
ServerName a.test
Listen 127.0.0.1:$port
DocumentRoot www
ErrorLog logs/error.log
LogLevel warn
PidFile logs/pid
Timeout 10
KeepAliveTimeout 5
CONF
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile 8192;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_header_timeout 10s; client_body_timeout 10s; send_timeout 10s; keepalive_timeout 5s;
  types { text/html html; application/octet-stream bin; }
  server { listen 127.0.0.1:$nport; root $work/www; }
}
CONF
chmod -R a+rX "$work"
ulimit -n 8192 2>/dev/null || true
"$root/target/release/server" --allow-root -d "$work" -f main.conf >"$work/server.out" 2>&1 &
ours_pid=$!; pids+=($ours_pid)
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>/dev/null &
pids+=($!)
for p in $port $nport; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$p/1k.html" && break; sleep 0.1; done
done

rss_of() {  # total VmRSS (KiB) of a process and its children (nginx's workers)
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# attack NAME PORT PID MODE: runs one slowhttptest mode with a side channel; prints a line.
attack() {
  local name=$1 p=$2 pid=$3 mode=$4 base peak=0 r args side
  case $mode in
    headers) args=(-H -i 5 -u "http://127.0.0.1:$p/1k.html") ;;
    body) args=(-B -i 5 -s 100000 -u "http://127.0.0.1:$p/1k.html") ;;
    read) args=(-X -w 10 -y 20 -n 5 -z 32 -k 3 -u "http://127.0.0.1:$p/big.bin") ;;
  esac
  sleep 6   # the previous attack's connections time out
  base=$(rss_of "$pid")
  side="$work/$name.$mode.side"
  : > "$side"
  ( end=$((SECONDS + secs)); while [ $SECONDS -lt $end ]; do
      curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$p/1k.html" >> "$side" || echo "000 5" >> "$side"
      sleep 0.1
    done ) &
  local sp=$!
  slowhttptest -c 1000 -r 200 -l "$secs" -p 3 -g -o "$work/$name.$mode" "${args[@]}" >/dev/null 2>&1 &
  local st=$!
  while kill -0 "$st" 2>/dev/null; do
    r=$(rss_of "$pid"); [ "$r" -gt "$peak" ] && peak=$r; sleep 1
  done
  wait "$sp" || true
  python3 - "$name" "$mode" "$work/$name.$mode.csv" "$side" "$base" "$peak" <<'PY'
import csv, sys
name, mode, path, side, base, peak = sys.argv[1:7]
rows = list(csv.reader(open(path)))[1:]
rows = [r for r in rows if len(r) >= 5]
down = sum(1 for r in rows if r[4].strip() in ("0", "no"))
most = max((int(r[3]) for r in rows), default=0)
t = [(c, float(s)) for c, s in (l.split() for l in open(side) if l.strip())]
failed = sum(1 for c, _ in t if c != "200")
times = sorted(s for c, s in t if c == "200")
p99 = times[max(0, int(len(times) * 0.99) - 1)] * 1000 if times else -1
per = (int(peak) - int(base)) / most if most else 0
print(f"{name:6} {mode:8} unavailable {down:3d}s of {len(rows):3d}s; most open {most:5d}; "
      f"side channel {failed}/{len(t)} failed, p99 {p99:7.1f} ms; {per:6.1f} KiB per open connection")
PY
}
nginx_pid=$(cat "$work/nginx/nginx.pid" 2>/dev/null || pgrep -f "nginx -c $work" | head -1)
for mode in headers body read; do
  attack ours "$port" "$ours_pid" "$mode"
  attack nginx "$nport" "$nginx_pid" "$mode"
done

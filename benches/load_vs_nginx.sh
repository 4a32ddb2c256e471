#!/usr/bin/env bash
# Side-by-side load test against nginx, in one run: the same 1 KiB and 100 KiB files served by
# nginx and by our release build, over HTTP/1.1 keep-alive and over TLS keep-alive (same
# ECDSA P-256 certificate), with wrk on loopback. Runs are interleaved (ours, nginx, ours,
# nginx, ...) so machine noise hits both; the report gives medians and our/nginx ratios.
# Usage: bash benches/load_vs_nginx.sh [seconds per run] [rounds]   (needs wrk, nginx, openssl)
set -euo pipefail
secs=${1:-8}; rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/load-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
for t in wrk nginx openssl; do command -v "$t" >/dev/null || { echo "$t is needed (apt-get install wrk nginx)"; exit 1; }; done
(cd "$root" && cargo build --release -q)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$work/www" "$work/nginx"
head -c 1024 /dev/zero | tr '\0' a > "$work/www/1k.html"
head -c 102400 /dev/zero | tr '\0' b > "$work/www/100k.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench.test" \
  -addext "subjectAltName=DNS:bench.test" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
oh=$(port); os=$(port); nh=$(port); ns=$(port)
cat > "$work/ours.conf" <<CONF
ServerName bench.test
Listen 127.0.0.1:$oh
Listen 127.0.0.1:$os https
DocumentRoot $work/www
PidFile $work/ours.pid
ErrorLog $work/ours.err
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
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  default_type application/octet-stream;
  types { text/html html; }
  server { listen 127.0.0.1:$nh; root $work/www; }
  server { listen 127.0.0.1:$ns ssl; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; root $work/www; }
}
CONF
chmod -R a+rX "$work"   # nginx's workers run as nobody
"$root/target/release/server" --allow-root -f "$work/ours.conf" 2>"$work/ours.stderr" & pids+=($!)
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>/dev/null & pids+=($!)
for p in $oh $nh; do for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$p/1k.html" && break; sleep 0.1; done; done
# Both must serve the same bytes, or the comparison means nothing.
for u in "http://127.0.0.1:$oh" "http://127.0.0.1:$nh" "https://127.0.0.1:$os" "https://127.0.0.1:$ns"; do
  got=$(curl -sk -o /dev/null -w '%{http_code} %{size_download}' -H 'Host: bench.test' "$u/100k.html")
  [[ $got == "200 102400" ]] || { echo "sanity check failed for $u: $got"; cat "$work/ours.stderr"; exit 1; }
done
run() { # run URL -> req/s
  wrk -t2 -c64 -d"${secs}s" -H 'Host: bench.test' "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-26s %12s %12s %8s\n' test ours nginx ratio
for test in "http 1k:http://127.0.0.1:%s/1k.html" "http 100k:http://127.0.0.1:%s/100k.html" \
            "https 1k:https://127.0.0.1:%s/1k.html" "https 100k:https://127.0.0.1:%s/100k.html"; do
  name=${test%%:*}; url=${test#*:}
  case $name in http*) o=$oh; n=$nh;; esac; case $name in https*) o=$os; n=$ns;; esac
  ours=(); theirs=()
  for _ in $(seq 1 "$rounds"); do
    ours+=("$(run "$(printf "$url" "$o")")"); theirs+=("$(run "$(printf "$url" "$n")")")
  done
  a=$(printf '%s\n' "${ours[@]}" | median); b=$(printf '%s\n' "${theirs[@]}" | median)
  printf '%-26s %12s %12s %8s\n' "$name (req/s, median)" "$a" "$b" "$(python3 -c "print(f'{$a/$b:.2f}')")"
done

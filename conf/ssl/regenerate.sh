#!/usr/bin/env bash
# Regenerates the demo certificates in this folder: a demo CA (its key is thrown away), one
# SAN certificate shared by www.localhost and shop.localhost (the first vhost's), and an
# SNI-specific certificate for blog.localhost. Run from anywhere: bash conf/ssl/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")"
days=7300
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/O=vhostd demo/CN=vhostd demo CA" -keyout "$tmp/ca.key" -out demo-ca.crt \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
leaf() { # leaf NAME CN SAN...
  local name=$1 cn=$2; shift 2
  local san; san=$(printf 'DNS:%s,' "$@"); san=${san%,}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=vhostd demo/CN=$cn" \
    -keyout "$name.key" -out "$tmp/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' "$san" > "$tmp/$name.ext"
  openssl x509 -req -in "$tmp/$name.csr" -CA demo-ca.crt -CAkey "$tmp/ca.key" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -days "$days" -extfile "$tmp/$name.ext" -out "$name.crt" 2>/dev/null
  chmod 600 "$name.key"
}
leaf sites www.localhost www.localhost shop.localhost localhost
leaf blog blog.localhost blog.localhost
echo "demo certificates written to $(pwd); trust demo-ca.crt (e.g. curl --cacert conf/ssl/demo-ca.crt)"

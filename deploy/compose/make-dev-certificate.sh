#!/bin/sh
# A self-signed certificate for trying the compose file on one machine (browsers will warn).
# Production: put the real certificate and key at deploy/compose/tls/lectio.crt and lectio.key.
set -eu
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)/tls
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -sha256 -days 30 -nodes \
  -subj '/CN=localhost' -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
  -keyout "$dir/lectio.key" -out "$dir/lectio.crt"
chmod 0644 "$dir/lectio.crt"
chmod 0640 "$dir/lectio.key"
echo "wrote $dir/lectio.crt and lectio.key"

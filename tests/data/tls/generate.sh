#!/bin/sh
# Regenerates the TLS test certificates of the check-tls-* programs (needs
# certtool from gnutls-bin). The outputs are committed, so the tests do not
# need certtool; every certificate except expired.pem is valid from 2020-01-01
# to 9999-12-31.
#
#   ca.pem           test CA (not in any system store)
#   server.pem       issued by the CA: DNS:localhost, IP:127.0.0.1, IP:::1
#   selfsigned.pem   self-signed, same names, not a CA
#   expired.pem      issued by the CA, same names, valid 2000-01-01..2001-01-01
#   client.pem       issued by the CA for TLS client authentication
# Each *.pem has its key in *-key.pem (expired.pem reuses server-key.pem).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key () { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --no-text --outfile "$1" 2>/dev/null; }

key ca-key.pem
key server-key.pem
key selfsigned-key.pem
key client-key.pem

cat > "$tmp/ca.tmpl" <<T
cn = "libmailsync test CA"
organization = "libmailsync tests"
serial = 1
activation_date = "2020-01-01 00:00:00"
expiration_days = -1
ca
cert_signing_key
crl_signing_key
T
certtool --generate-self-signed --load-privkey ca-key.pem --template "$tmp/ca.tmpl" \
  --no-text --outfile ca.pem 2>/dev/null

names='dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"'

cat > "$tmp/server.tmpl" <<T
cn = "localhost"
organization = "libmailsync tests"
serial = 2
activation_date = "2020-01-01 00:00:00"
expiration_days = -1
$names
tls_www_server
signing_key
encryption_key
T
certtool --generate-certificate --load-privkey server-key.pem --load-ca-certificate ca.pem \
  --load-ca-privkey ca-key.pem --template "$tmp/server.tmpl" --no-text --outfile server.pem 2>/dev/null

cat > "$tmp/selfsigned.tmpl" <<T
cn = "localhost"
organization = "libmailsync tests (self-signed)"
serial = 3
activation_date = "2020-01-01 00:00:00"
expiration_days = -1
$names
tls_www_server
signing_key
encryption_key
T
certtool --generate-self-signed --load-privkey selfsigned-key.pem --template "$tmp/selfsigned.tmpl" \
  --no-text --outfile selfsigned.pem 2>/dev/null

cat > "$tmp/expired.tmpl" <<T
cn = "localhost"
organization = "libmailsync tests (expired)"
serial = 4
activation_date = "2000-01-01 00:00:00"
expiration_date = "2001-01-01 00:00:00"
$names
tls_www_server
signing_key
encryption_key
T
certtool --generate-certificate --load-privkey server-key.pem --load-ca-certificate ca.pem \
  --load-ca-privkey ca-key.pem --template "$tmp/expired.tmpl" --no-text --outfile expired.pem 2>/dev/null

cat > "$tmp/client.tmpl" <<T
cn = "libmailsync test client"
organization = "libmailsync tests"
serial = 5
activation_date = "2020-01-01 00:00:00"
expiration_days = -1
tls_www_client
signing_key
T
certtool --generate-certificate --load-privkey client-key.pem --load-ca-certificate ca.pem \
  --load-ca-privkey ca-key.pem --template "$tmp/client.tmpl" --no-text --outfile client.pem 2>/dev/null

#!/bin/bash
# SPDX-License-Identifier: MIT
# make_cert.sh DIR EKU: a server certificate for localhost and 127.0.0.1 in
# DIR/server.pem (key DIR/server.key, the CA in DIR/ca.pem), signed by the test
# CA of the running test services ($DRAFTD_TEST_SVC_DIR/ca.pem and ca.key),
# with extendedKeyUsage = EKU (e.g. serverAuth, codeSigning), or none when EKU
# is "none". For tests of what a client does with a trusted certificate that
# was not issued for a TLS server.
set -eu
dir=$1 eku=$2
svc=${DRAFTD_TEST_SVC_DIR:?run through tests/run.sh}
mkdir -p "$dir"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" >/dev/null 2>&1
{
	echo "basicConstraints=CA:FALSE"
	echo "keyUsage=critical,digitalSignature,keyEncipherment"
	[ "$eku" = none ] || echo "extendedKeyUsage=$eku"
	echo "subjectAltName=DNS:localhost,IP:127.0.0.1"
} >"$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$svc/ca.pem" -CAkey "$svc/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
	-days 30 -extfile "$dir/server.ext" -out "$dir/server.pem" >/dev/null 2>&1
cp "$svc/ca.pem" "$dir/ca.pem"
rm -f "$dir/server.csr" "$dir/server.ext"
chmod 600 "$dir/server.key"

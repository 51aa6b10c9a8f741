#!/usr/bin/env bash
# TLS options for real: a loopback HTTPS server (openssl s_server -WWW, which requires a client
# certificate with -Verify) with a throwaway CA, server and client certificates made here.
# `segexport check --online` reaches the schema registry and a destination (Dotdigital's read
# call, GET /v2/address-books/{id}, served as a file) through it:
#   - without ca_file the server certificate fails verification;
#   - with ca_file but no client certificate the handshake is refused (mTLS required);
#   - with ca_file and client_cert_file/client_key_file both checks pass;
#   - SSL_CERT_FILE and CURL_CA_BUNDLE stand in for a missing ca_file;
# and `check` warns about an http:// URL carrying credentials off the host.
#   test_tls.sh BUILD_DIR
set -u
bin="$(cd "$1" && pwd)/segexport"
dir=$(mktemp -d)
fails=0 passes=0
ok()   { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

cd "$dir" || exit 1
quiet() { "$@" >/dev/null 2>&1 || { echo "setup failed: $*"; exit 1; }; }
quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 \
    -subj "/CN=segexport test CA"
sign() { # sign NAME SUBJECT EXTENSIONS
    quiet openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
    printf '%s\n' "$3" >"$1.ext"
    quiet openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
        -out "$1.pem" -extfile "$1.ext"
}
sign server "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost"
sign client "/CN=segexport" "extendedKeyUsage=clientAuth"
chmod 600 ./*.key

# What the server answers: the registry's subject list and one Dotdigital address book.
mkdir -p www/v2/address-books
echo '[]' >www/subjects
echo '{"id":600001,"name":"Book","visibility":"Private","contacts":0}' >www/v2/address-books/600001

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd www && exec openssl s_server -accept "127.0.0.1:$port" -cert ../server.pem -key ../server.key \
    -CAfile ../ca.pem -Verify 1 -WWW -quiet) >server.log 2>&1 &
server=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

# config TLS_LINES: the same TLS lines under the registry and the destination.
config() {
    cat >c.yaml <<YAML
kafka: {test.mock.num.brokers: "1", group.id: tls-test}
topics: [t]
dead_letter_topic: dlq
schema_registry:
  url: https://127.0.0.1:$port
$(printf '%s\n' "$1" | sed 's/^/  /')
destinations:
  - name: dd
    type: dotdigital
$(printf '%s\n' "$1" | sed 's/^/    /')
    settings:
      api_user: apiuser-1@apiconnector.com
      api_password: pw
      base_url: https://127.0.0.1:$port
    segments: {s1: "600001"}
YAML
}
run_check() { # run_check DESCRIPTION [ENV=VALUE...]
    local what=$1; shift
    env -u SSL_CERT_FILE -u CURL_CA_BUNDLE "$@" "$bin" check --online -c c.yaml >out.txt 2>&1
    grep -E "schema registry|destination dd" out.txt | sed "s/^/  [$what] /"
}
expect() { # expect PATTERN DESCRIPTION
    grep -q -- "$1" out.txt && ok || fail "$2: no '$1' in: $(grep -E 'registry|dd' out.txt)"
}
CA="ca_file: $dir/ca.pem"
CERT="client_cert_file: $dir/client.pem
client_key_file: $dir/client.key"

config "$CERT"
run_check "no ca_file"
expect "FAIL schema registry (GET /subjects): SSL peer certificate" "registry without ca_file"
expect "FAIL destination dd: segment s1 -> audience 600001: SSL peer certificate" \
       "destination without ca_file"

config "$CA"
run_check "no client certificate"
expect "FAIL schema registry (GET /subjects)" "registry without client certificate"
expect "FAIL destination dd: segment s1" "destination without client certificate"

config "$CA
$CERT"
run_check "ca_file and client certificate"
expect "ok   schema registry (GET /subjects)" "registry with ca_file and client certificate"
expect "ok   destination dd: segment s1 -> audience 600001" "destination with ca_file and mTLS"

config "$CERT"
run_check "SSL_CERT_FILE" SSL_CERT_FILE="$dir/ca.pem"
expect "ok   schema registry (GET /subjects)" "registry with SSL_CERT_FILE"
expect "ok   destination dd: segment s1" "destination with SSL_CERT_FILE"
run_check "CURL_CA_BUNDLE" CURL_CA_BUNDLE="$dir/ca.pem"
expect "ok   schema registry (GET /subjects)" "registry with CURL_CA_BUNDLE"
expect "ok   destination dd: segment s1" "destination with CURL_CA_BUNDLE"
grep -q "BEGIN\|pw" out.txt && fail "a secret or key material in the output" || ok

# Plain http:// with credentials to another host: a warning at check time (nothing contacted).
sed -e "s|url: https://127.0.0.1:$port|url: http://user:pass@registry.example.com|" \
    -e "s|base_url: https://127.0.0.1:$port|base_url: http://r1-api.example.com|" c.yaml >w.yaml
env -u SSL_CERT_FILE "$bin" check -c w.yaml >out.txt 2>&1
expect "WARN.*schema_registry.url is http:// with credentials" "http registry warning"
expect "WARN.*destination dd: base_url is http://" "http destination warning"
grep -q "user:pass" out.txt && fail "registry credentials echoed" || ok

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]

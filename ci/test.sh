#!/usr/bin/env bash
# The whole test suite, with what it needs:
# - OpenSSL's headers (libssl-dev, pkg-config) to build, PgBouncer for the pooler tests;
# - PostgreSQL server binaries (the tests start their own throwaway servers) and, as root, the
#   `postgres` OS user to run them as;
# - a Docker engine for the docker backend's tests: Debian's docker.io, started here if none
#   answers (and stopped again at exit, by pid), also listening on TCP with TLS for the
#   remote-engine test, and a PostgreSQL image built from this machine's own binaries
#   (ci/postgres-image/build.sh: no registry needed);
# - check-jsonschema (PyPI) for the workflow's schema test, and the squawk CLI (PyPI) that
#   bench compares lint with.
# Used by .ci/run and by developers: `bash ci/test.sh`. XTASK_SKIP_DOCKER_TESTS=1 leaves Docker out.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else echo "ci/test.sh: need root for: $*" >&2; return 1; fi; }

packages=()
# git: lint --since and its tests read history with git itself.
command -v git >/dev/null 2>&1 || packages+=(git)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  packages+=(postgresql)
fi
# The docker test engine's certificates are made with the openssl CLI.
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
# TLS: the postgres client links OpenSSL (headers and pkg-config to build).
if ! pkg-config --exists openssl 2>/dev/null; then
  packages+=(libssl-dev pkg-config)
fi
# The example services are Node packages (seeds and tests run with node and npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
# Pooler tests run a real PgBouncer.
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  packages+=(pgbouncer)
fi
# The stalled-network test drops a port's packets with nftables.
if ! command -v nft >/dev/null 2>&1 && [ ! -x /usr/sbin/nft ]; then
  packages+=(nftables)
fi
docker_wanted=${XTASK_SKIP_DOCKER_TESTS:-}
if [ -z "$docker_wanted" ] && ! command -v dockerd >/dev/null 2>&1 && ! docker version >/dev/null 2>&1; then
  packages+=(docker.io)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "ci/test.sh: installing ${packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home postgres
fi

# The workflow in ci/ is checked against GitHub's workflow schema with check-jsonschema (PyPI),
# installed once per machine (a fresh clone finds it: ~6 s of pip less) and run through a
# wrapper that sets its PYTHONPATH. XTASK_CI_TOOLS puts it elsewhere.
tools=${XTASK_CI_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/xtask-ci-tools/check-jsonschema-0.39.0-squawk-2.68.0}
mkdir -p "$tools"
if [ ! -x "$tools/check-jsonschema" ]; then
  command -v pip3 >/dev/null 2>&1 || { as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null; }
  pip3 install -q --disable-pip-version-check --target "$tools/python" check-jsonschema==0.39.0 2>&1 | grep -v "^WARNING: Running pip as" || true
  printf '#!/bin/sh\nPYTHONPATH=%s exec python3 %s "$@"\n' "$tools/python" "$tools/python/bin/check-jsonschema" >"$tools/check-jsonschema"
  chmod +x "$tools/check-jsonschema"
fi
export XTASK_CHECK_JSONSCHEMA=$tools/check-jsonschema
# The squawk CLI (PyPI, a native binary), which bench compares lint with.
if [ ! -x "$tools/squawk/bin/squawk" ]; then
  pip3 install -q --disable-pip-version-check --target "$tools/squawk" squawk-cli==2.68.0 2>&1 | grep -v "^WARNING: Running pip as" || true
fi
export XTASK_TEST_SQUAWK=$tools/squawk/bin/squawk

log=$(mktemp)
dockerd_pid=""
cleanup() {
  rm -f "$log" "$log.rest" "$log.xtask" "$log.build" "$log.binaries"
  [ -n "${docker_tls:-}" ] && rm -rf "$docker_tls"
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [ -z "$docker_wanted" ]; then
  if ! docker version >/dev/null 2>&1; then
    echo "ci/test.sh: starting dockerd"
    as_root true
    # Also on TCP with TLS (certificates made here), for the remote-engine test: the
    # listener is on 127.0.0.2, so a client that ignored DOCKER_HOST's host would be seen.
    docker_tls=$(mktemp -d)
    (
      cd "$docker_tls"
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=xtask-test-docker-ca 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost 2>/dev/null
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2\nextendedKeyUsage=serverAuth\n' >server.ext
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile server.ext 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=xtask-test 2>/dev/null
      printf 'extendedKeyUsage=clientAuth\n' >client.ext
      openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext 2>/dev/null
    )
    docker_tcp_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0)); print(s.getsockname()[1])')
    dockerd --iptables=false -H unix:///var/run/docker.sock -H "tcp://127.0.0.2:$docker_tcp_port" \
      --tlsverify --tlscacert "$docker_tls/ca.pem" --tlscert "$docker_tls/server-cert.pem" --tlskey "$docker_tls/server-key.pem" \
      >"${TMPDIR:-/tmp}/xtask-dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 1 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
    if ! docker version >/dev/null 2>&1; then
      echo "ci/test.sh: dockerd did not start:" >&2
      tail -n 20 "${TMPDIR:-/tmp}/xtask-dockerd.log" >&2
      exit 1
    fi
  fi
  if [ -n "${docker_tcp_port:-}" ]; then
    export XTASK_TEST_DOCKER_TLS_HOST="tcp://127.0.0.2:$docker_tcp_port" XTASK_TEST_DOCKER_CERT_PATH="$docker_tls"
  fi
  export XTASK_TEST_DOCKER_IMAGE=xtask-postgres:local
  # Built again when ci/postgres-image/build.sh changed since (its checksum is a label).
  want=$(sha256sum ci/postgres-image/build.sh | cut -c1-16)
  have=$(docker image inspect -f '{{index .Config.Labels "xtask.build"}}' "$XTASK_TEST_DOCKER_IMAGE" 2>/dev/null || true)
  if [ "$have" != "$want" ]; then
    bash ci/postgres-image/build.sh "$XTASK_TEST_DOCKER_IMAGE"
  fi
fi

# The examples' dependencies (pg), from the committed lockfile; tests that copy an example
# find them here. (`cargo xtask verify` would install them itself when missing.)
npm ci --no-audit --no-fund --loglevel=error

# A fresh clone has no incremental state to reuse: writing it only costs (3 s of the test build).
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# Tests that cannot run here write why to this file (test_support::skip): listed at the end,
# and never counted as passed.
export XTASK_TEST_SKIPS="$log.skipped"
rm -f "$XTASK_TEST_SKIPS"
# Built once, then run straight from the binaries (a second `cargo test` selecting other
# packages would unify features differently and build again): xtask's suite runs beside the
# library's suites and then verify --compat's tests, each binary with its own test cluster;
# the second core is idle for a fifth of a single run. Each log is printed whole at the end.
cargo test --workspace --locked --no-run --message-format=json-render-diagnostics >"$log.build"
# One line per test binary: its package directory, its path, its name.
python3 -c '
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["profile"]["test"] and m.get("executable"):
        print(os.path.dirname(m["manifest_path"]), m["executable"], m["target"]["name"], sep="\t")
' <"$log.build" >"$log.binaries"
# Runs one test binary as cargo would, from its package's directory; `limit`: a time limit.
run_binary() {
  local dir=$1 exe=$2 name=$3
  shift 3
  echo
  echo "     Running $name ($exe)"
  (cd "$dir" && CARGO_MANIFEST_DIR=$dir CARGO=$(command -v cargo) ${limit:+timeout "$limit"} "$exe" "$@")
}
set +e
xtask_it=$(awk -F'\t' '$1 ~ /\/xtask$/ && $3 == "it"' "$log.binaries")
# Four test threads on two cores: most tests wait on servers, Node and timeouts, not the CPU
# (xtask's suite: 77 s at two threads, 54-63 s at four, same results).
IFS=$'\t' read -r dir exe name <<<"$xtask_it"
run_binary "$dir" "$exe" "$name" --skip compat:: --test-threads 4 >"$log.xtask" 2>&1 &
xtask_pid=$!
# verify --compat's tests have a time budget of their own: they install a revision's
# dependencies and run its Node tests several times over.
compat_budget=${XTASK_COMPAT_BUDGET:-240}
(
  rest=0
  while IFS=$'\t' read -r dir exe name; do
    [ "$dir	$exe	$name" = "$xtask_it" ] && continue
    run_binary "$dir" "$exe" "$name" --skip compat:: --test-threads 4 || rest=1
  done <"$log.binaries"
  echo "library suites exit: $rest"
  compat_start=$(date +%s)
  compat_status=0
  while IFS=$'\t' read -r dir exe name; do
    left=$(( compat_budget - ($(date +%s) - compat_start) ))
    limit=$(( left < 1 ? 1 : left )) run_binary "$dir" "$exe" "$name" compat:: --test-threads 4
    code=$?
    if [ "$code" != 0 ]; then compat_status=$code; fi
  done <"$log.binaries"
  echo "verify --compat tests: $(( $(date +%s) - compat_start )) s of their ${compat_budget} s budget"
  if [ "$compat_status" = 124 ]; then echo "verify --compat tests: over their time budget" >&2; fi
  echo "verify --compat exit: $compat_status"
) >"$log.rest" 2>&1
wait "$xtask_pid"
status=$?
cat "$log.rest" "$log.xtask" | tee "$log"
for line in "library suites exit" "verify --compat exit"; do
  code=$(sed -n "s/^$line: //p" "$log.rest")
  if [ "$status" = 0 ] && [ "$code" != 0 ]; then status=${code:-1}; fi
done
rm -f "$log.rest" "$log.xtask" "$log.build" "$log.binaries"
set -e
skipped=0
if [ -s "$XTASK_TEST_SKIPS" ]; then
  skipped=$(wc -l < "$XTASK_TEST_SKIPS")
  echo
  echo "skipped (they ran and returned early; not counted as passed):"
  sed 's/^/  /' "$XTASK_TEST_SKIPS"
fi
# One closing line for the whole suite.
awk -v skipped="$skipped" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntests: %d passed, %d skipped, %d failed\n", p - skipped, skipped, f }' "$log"
exit "$status"

#!/usr/bin/env bash
# Installs every Debian package clickagg needs to build, test and run. Idempotent and
# non-interactive: packages already present are not touched, apt runs only when one is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev                                  # libFuzzer targets, sanitizers
  libgtest-dev libgmock-dev libbenchmark-dev                # tests, benchmarks
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev           # JSON, YAML, command line
  libboost-dev                                              # HTTP server (Boost.Beast, Asio)
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev    # HTTP client of the tests (and its deps)
  libsqlite3-dev sqlite3 libpq-dev                          # storage
  librdkafka-dev libzmq3-dev cppzmq-dev libzstd-dev         # streaming
  protobuf-compiler libprotobuf-dev                         # wire format
  openjdk-17-jre-headless maven                             # the Kafka broker for tests
  python3 postgresql-client                                 # integration test drivers
  pybind11-dev python3-dev python3-numpy python3-pytest     # the Python package (bindings/), its tests
  python3-jsonschema openapi-specification                  # OpenAPI contract test
  libavro-dev libsnappy-dev                                 # raw-event archive
  python3-avro python3-snappy python3-confluent-kafka       # its test: independent readers
  python3-zmq python3-protobuf                              # the Python subscriber example's test
  chromium wrk                                              # browser test, load test
  curl gdb                                                  # gdb: thread stacks of a test process that hangs
  valgrind                                                  # instruction counts of the engine (bench/engine_instructions.py)
  file docker-compose                                       # the Debian package (cpack), the compose files' test
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm bundle the dashboard's charting library; a machine may already carry
# them from another source, and Debian's npm conflicts with such a nodejs.
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, exactly as each package-lock.json pins them: the dashboard's charting library
# (embedded into the binary by the build) and the browser test's driver. Installed again only
# when a lock file changed, so later runs need no network.
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in "$root/host/serve/web" "$root/tests/browser"; do
  stamp="$dir/node_modules/.setup-lock"
  if ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "setup: npm ci in ${dir#"$root"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
done
echo "setup: all packages present"

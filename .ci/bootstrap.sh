#!/usr/bin/env bash
# Prepares a machine to build with airlock: npm dependencies, the compiled CLI, a Docker engine without
# networking, and the host's Go toolchain in airlock's store. Safe to run again; never touches an engine
# that already answers.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

log() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

engine_wait_seconds=${AIRLOCK_ENGINE_WAIT:-60}
dockerd_log=${AIRLOCK_DOCKERD_LOG:-/var/log/airlock-dockerd.log}

engine_answers() {
  if [ -n "${DOCKER_HOST:-}" ]; then
    timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
  else
    [ -S /var/run/docker.sock ] &&
      timeout 10 curl -fsS --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1
  fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 0. cosign, pinned, for the tests that check airlock's envelopes with standard sigstore tooling. Building it
#    from source takes minutes of CPU, so it starts first, in the background, and nothing waits for it here:
#    the tests that need it wait for it (test/helpers/airlock-run.ts, ensureCosign, through the .pid file). The
#    binary is kept in a per-user cache that later clones on this machine copy from. It is built without
#    optimisation or debug information (-N -l, -s -w): a few verifications need no speed, and compiling and
#    linking it so is the part of a cold CI run that nothing else can overlap.
cosign_version=${AIRLOCK_COSIGN_VERSION:-v3.1.3}
tools_cache=${AIRLOCK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-test-tools}
cosign_cached="$tools_cache/cosign-$cosign_version"
cosign_log="$tools_cache/cosign-$cosign_version.log"
cosign_pid=""
if [ ! -x .tools/bin/cosign ] && [ ! -x "$cosign_cached" ] && command -v go >/dev/null; then
  mkdir -p "$tools_cache"
  log "building cosign $cosign_version from source in the background (test tooling); log in $cosign_log"
  (
    scratch_bin=$(mktemp -d "$tools_cache/build.XXXXXX")
    # nice: the tests start meanwhile and come first; the compile takes the CPU they leave idle (engine and
    # image waits), and all of it only if the test that needs cosign gets there first and waits for it.
    GOTOOLCHAIN=local GOFLAGS=-modcacherw GOBIN="$scratch_bin" \
      nice -n 19 go install -trimpath -gcflags=all='-N -l' -ldflags='-s -w' "github.com/sigstore/cosign/v3/cmd/cosign@$cosign_version" &&
      mv "$scratch_bin/cosign" "$cosign_cached"
    status=$?
    rm -rf "$scratch_bin"
    exit $status
  ) >"$cosign_log" 2>&1 &
  cosign_pid=$!
  echo "$cosign_pid" >"$tools_cache/cosign-$cosign_version.pid"
fi

# 0b. The CNCF distribution registry, for the tests that push the OCI sandbox image to a real registry on loopback
#     (test/integration/oci-registry.test.ts): Debian's docker-registry package, checked by apt against the
#     archive's signed index, and only unpacked into the per-user cache: installing it would start a registry
#     service on port 5000. Building it from source instead cost CI minutes of CPU.
registry_cached="$tools_cache/docker-registry/usr/bin/docker-registry"
if [ ! -x "$registry_cached" ]; then
  log "unpacking Debian's docker-registry into $tools_cache/docker-registry (test tooling)"
  mkdir -p "$tools_cache"
  registry_deb=$(mktemp -d "$tools_cache/deb.XXXXXX")
  (cd "$registry_deb" && apt-get download docker-registry >/dev/null 2>&1) ||
    { as_root apt-get update -qq >/dev/null && (cd "$registry_deb" && apt-get download docker-registry >/dev/null); } ||
    die "could not download Debian's docker-registry package; check that the Debian archive is reachable"
  rm -rf "$tools_cache/docker-registry"
  dpkg-deb -x "$registry_deb"/docker-registry_*.deb "$tools_cache/docker-registry"
  rm -rf "$registry_deb"
fi

# 0c. Optionally (AIRLOCK_BOOTSTRAP_KUBERNETES=1), what the Kubernetes executor's tests run a cluster with: Debian
#     packages now, and Kubernetes and kube-router built from the Go module proxy into the same per-user cache,
#     in the background like cosign (about ten minutes of CPU when cold, seconds when cached). The tests that
#     need the cluster run `bash .ci/kubernetes.sh wait-install`, then `up`.
if [ "${AIRLOCK_BOOTSTRAP_KUBERNETES:-0}" = 1 ]; then
  if command -v go >/dev/null; then
    bash .ci/kubernetes.sh install-background
  else
    log "no go command: not building Kubernetes"
  fi
fi

# 1. Node dependencies and the compiled CLI.
command -v node >/dev/null || die "node is not installed; install Node.js 20.19 or later and run this again"

# 1b. The test corpus (test/corpus/corpus.json): real third-party Go programs and every module their builds
#     need, fetched by the go command through the Go module proxy (checked against the Go checksum database)
#     into a per-user cache like cosign's. It is mostly download and unpacking, so it runs in the background
#     too; a warm cache (every program stamped complete) is left as it is. AIRLOCK_BOOTSTRAP_CORPUS=0 skips
#     it (air-gapped machines: the corpus tests then skip, or fail under CI=true).
corpus_log="$tools_cache/corpus/fetch.log"
corpus_pid=""
if [ "${AIRLOCK_BOOTSTRAP_CORPUS:-1}" = 0 ]; then
  log "not fetching the test corpus (AIRLOCK_BOOTSTRAP_CORPUS=0)"
elif ! command -v go >/dev/null; then
  log "no go command: not fetching the test corpus"
elif bash .ci/fetch-corpus.sh --check; then
  log "the test corpus is cached in $tools_cache/corpus"
else
  mkdir -p "$tools_cache/corpus"
  log "fetching the test corpus in the background; log in $corpus_log"
  bash .ci/fetch-corpus.sh >"$corpus_log" 2>&1 &
  corpus_pid=$!
fi

# curl talks to the engine's socket; the tests use sha256sum, readelf, file, zip, unzip and xmllint (JUnit files),
# skopeo and umoci (they read the OCI sandbox image as other tools would), and gpg with its agent (Debian's gnupg: `build --gpg-key` and `verify --gpg-pub` run the host's gpg). A fresh
# Debian image has gpgv (apt needs it) but not gpg or gpg-agent, so gnupg is listed for both.
missing=""
for tool in curl:curl readelf:binutils file:file zip:zip unzip:unzip xmllint:libxml2-utils skopeo:skopeo umoci:umoci gpg:gnupg gpg-agent:gnupg; do
  command -v "${tool%%:*}" >/dev/null || missing="$missing ${tool#*:}"
done
# gpg and gpg-agent are one package: it is asked for once.
missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
[ -z "${missing// /}" ] || install_packages $missing
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "compiling the CLI"
npm run --silent build

# 2. A Docker engine. airlock's containers never have a network, so the engine needs no bridge and no
#    iptables rules; an engine that already answers is used as it is.
if engine_answers; then
  log "a Docker engine already answers; leaving it as it is"
elif [ -n "${DOCKER_HOST:-}" ]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
else
  if ! command -v dockerd >/dev/null; then
    log "installing Debian's docker.io"
    install_packages docker.io
  fi
  # A dockerd killed with the machine's jobs leaves its pid file and socket behind.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    as_root rm -f /var/run/docker.pid
  fi
  if pgrep -x dockerd >/dev/null; then
    log "dockerd is running but does not answer yet; waiting for it"
  else
    [ -S /var/run/docker.sock ] && as_root rm -f /var/run/docker.sock
    log "starting dockerd (no bridge, no iptables); log in $dockerd_log"
    as_root sh -c "cd / && nohup dockerd --bridge=none --iptables=false --ip-masq=false >>'$dockerd_log' 2>&1 &"
  fi
  waited=0
  until engine_answers; do
    if [ "$waited" -ge "$engine_wait_seconds" ]; then
      tail -n 20 "$dockerd_log" >&2 2>/dev/null || true
      die "the Docker engine did not answer within ${engine_wait_seconds}s; see $dockerd_log"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "the Docker engine answers after ${waited}s"
fi

# 2b. Optionally (AIRLOCK_BOOTSTRAP_PODMAN=1, set by .ci/run), Podman's Docker-compatible API as a second
#     engine, so the tests can show that both engines build the same bytes.
podman_socket=${AIRLOCK_PODMAN_SOCKET:-/run/airlock-podman/podman.sock}
podman_answers() {
  [ -S "$podman_socket" ] && timeout 10 curl -fsS --unix-socket "$podman_socket" http://localhost/_ping >/dev/null 2>&1
}
if [ "${AIRLOCK_BOOTSTRAP_PODMAN:-0}" = 1 ] && ! podman_answers; then
  command -v podman >/dev/null || { log "installing Debian's podman (second engine for the tests)"; install_packages podman; }
  as_root mkdir -p "$(dirname "$podman_socket")"
  as_root rm -f "$podman_socket"
  log "starting Podman's API service on $podman_socket"
  # From /: the service and its conmon children keep this working directory, and a checkout can be removed.
  as_root sh -c "cd / && nohup podman system service --time=0 'unix://$podman_socket' >>/var/log/airlock-podman.log 2>&1 &"
  waited=0
  until podman_answers; do
    [ "$waited" -lt "$engine_wait_seconds" ] || die "Podman's API did not answer within ${engine_wait_seconds}s; see /var/log/airlock-podman.log"
    sleep 1
    waited=$((waited + 1))
  done
fi

# 3. Verified Go toolchains in airlock's store: the golang.org/toolchain module zips, fetched by the go
#    command through the Go module proxy (which checks them against the Go checksum database), then verified
#    again by airlock against toolchains/go.json before they are stored.
toolchains=${AIRLOCK_BOOTSTRAP_TOOLCHAINS:-go1.26.8 go1.27.3}
case "$(uname -m)" in x86_64) goarch=amd64 ;; aarch64 | arm64) goarch=arm64 ;; *) goarch=$(uname -m) ;; esac
if command -v go >/dev/null; then
  scratch=$(mktemp -d)
  for version in $toolchains; do
    module="golang.org/toolchain@v0.0.1-${version}.linux-${goarch}"
    zip=$(cd "$scratch" && GOTOOLCHAIN=local GOFLAGS=-modcacherw go mod download -json "$module" |
      sed -n 's/^[[:space:]]*"Zip": "\(.*\)",*$/\1/p')
    [ -n "$zip" ] && [ -f "$zip" ] || die "could not download $module through the Go module proxy"
    node build/src/cli/bin.js toolchain import "$zip"
  done
  rm -rf "$scratch"
  # 3b. The modules examples/cli requires, into the go command's module cache: unit tests hold its go.sum to the
  #     hashes the go command recorded there (without them those tests skip, or fail under CI=true).
  (cd examples/cli && GOTOOLCHAIN=local GOFLAGS='-mod=mod -modcacherw' go mod download) ||
    die "could not download the modules of examples/cli through the Go module proxy"
  # 4. cosign (started in step 0) into .tools/bin, where the tests look for it, when it is already built; while
  #    it is still building, the tests that need it wait for it.
  if [ ! -x .tools/bin/cosign ] && [ -x "$cosign_cached" ]; then
    mkdir -p .tools/bin
    cp "$cosign_cached" .tools/bin/cosign
    log "cosign $cosign_version is in .tools/bin"
  elif [ -n "$cosign_pid" ]; then
    log "cosign $cosign_version is still building in the background; the tests that need it wait for it"
  fi
else
  log "no go command on this machine; import a toolchain with 'airlock toolchain import FILE'"
fi
# 5. The test corpus (started in step 1b).
if [ -n "$corpus_pid" ]; then
  if ! wait "$corpus_pid"; then
    tail -n 30 "$corpus_log" >&2 || true
    die "fetching the test corpus failed; see $corpus_log"
  fi
  log "the test corpus is cached in $tools_cache/corpus"
fi
log "ready"

#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, beside the Docker engine, for the Kubernetes executor's
# integration tests (issue 22). Nothing comes from a container image registry: the binaries are built from the Go
# module proxy, the packages come from Debian, and every image (the pod sandbox's "pause" image too) is written
# here as an OCI image archive and imported into a private containerd.
#
#   install           Debian packages, then the Kubernetes binaries and kube-router built once per user into
#                     the tools cache (a warm cache is left as it is)
#   install-background
#                     the Debian packages, then `install` in the background (log and PID file in the tools cache)
#   wait-install      wait for an install that install-background started; fail if it failed
#   up                start etcd, a private containerd, the control plane, the kubelet and kube-router; wait for
#                     the node to be Ready; print `export KUBECONFIG=...`
#   status            say whether the cluster is up and where things are; exit 1 if it is not up
#   import-image FILE import an OCI image archive and tag it under its digest name; print NAME@sha256:...
#   make-image OUT NAME FILE...
#                     write a deterministic FROM-scratch OCI image archive: each FILE at /<its base name>, mode
#                     0755, the first one the entrypoint
#   down              stop everything `up` started and remove what it left on the host; idempotent
#
# Environment:
#   AIRLOCK_TOOLS_CACHE             per-user cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/airlock-test-tools)
#   AIRLOCK_K8S_VERSION             Kubernetes version built from the k8s.io/kubernetes module (default v1.34.4)
#   AIRLOCK_KUBE_ROUTER_VERSION     kube-router version (default v2.1.0)
#   AIRLOCK_K8S_GOCACHE             Go build cache kept for rebuilds (default <tools cache>/kubernetes-gocache)
#   AIRLOCK_K8S_STATE               the running cluster's files (default /var/lib/airlock-k8s)
#   AIRLOCK_K8S_NODE_IP             the node's address (default: the address of the default route's interface)
#   AIRLOCK_K8S_API_PORT            the API server's port (default 6443)
#
# With the cluster up: the admin kubeconfig is $AIRLOCK_K8S_STATE/admin.kubeconfig and the kubelet's seccomp
# profile directory (for `seccompProfile: {type: Localhost, localhostProfile: NAME}`) is
# $AIRLOCK_K8S_STATE/kubelet/seccomp. One cluster per machine: the ports below are fixed.
set -euo pipefail

# Progress goes to stderr: stdout carries only what a caller uses (`eval "$(bash .ci/kubernetes.sh up)"`, the
# reference import-image prints).
log() { printf 'kubernetes: %s: %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'kubernetes: error: %s\n' "$*" >&2; exit 1; }

k8s_version=${AIRLOCK_K8S_VERSION:-v1.34.4}
kube_router_version=${AIRLOCK_KUBE_ROUTER_VERSION:-v2.1.0}
tools_cache=${AIRLOCK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-test-tools}
k8s_cache="$tools_cache/kubernetes-$k8s_version"
k8s_bin="$k8s_cache/bin"
router_cache="$tools_cache/kube-router-$kube_router_version"
router_bin="$router_cache/bin"
pause_archive="$tools_cache/kubernetes-pause/pause.oci.tar"
go_build_cache=${AIRLOCK_K8S_GOCACHE:-$tools_cache/kubernetes-gocache}
install_log="$tools_cache/kubernetes-install.log"
install_pid_file="$tools_cache/kubernetes-install.pid"
k8s_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

state=${AIRLOCK_K8S_STATE:-/var/lib/airlock-k8s}
state=${state%/}
case "$state" in /?*/?*) ;; *) die "AIRLOCK_K8S_STATE must be an absolute path below a directory, not '$state'" ;; esac
# `up` marks the state dir as its own; `down` removes only a directory so marked.
state_marker="$state/.airlock-k8s-state"
api_port=${AIRLOCK_K8S_API_PORT:-6443}
etcd_client_port=2379
etcd_peer_port=2380
node_name=airlock-node
cluster_cidr=10.244.0.0/16  # the controller-manager hands the node 10.244.0.0/24 out of it (kube-router wants it)
pod_cidr=10.244.0.0/24
nonet_cidr=10.245.0.0/24    # the runc-nonet handler's bridge: no gateway, no routes
service_cidr=10.96.0.0/24
pod_bridge=airlock-k8s0
nonet_bridge=airlock-nonet0
pause_image=airlock.invalid/pause:1 # .invalid: a name no registry can ever answer for
cni_bin_dir=/usr/lib/cni


as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

running() { # running PID: the process exists and is not a zombie (waiting for PID 1 to reap it)
  [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) \([A-Z]\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Runs a step and reports how long it took, so the slow parts of a cold machine are visible in CI logs.
timed() {
  local what=$1 started=$SECONDS
  shift
  "$@"
  log "$what took $((SECONDS - started))s"
}

# ---------------------------------------------------------------------------------------------------------------
# install

install_packages() {
  # etcd-server's maintainer script would start etcd as a system service; a policy-rc.d that answers 101
  # ("action forbidden") stops that for this install only. The cluster runs its own etcd with its own data dir.
  local policy=/usr/sbin/policy-rc.d missing=()
  local pkg
  for pkg in etcd-server containernetworking-plugins conntrack socat ipset openssl iptables containerd runc; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} = 0 ]; then
    log "Debian packages already installed"
    return
  fi
  log "installing Debian packages: ${missing[*]}"
  # A policy-rc.d already there (container images ship one) is put back afterwards.
  [ -e "$policy" ] && as_root mv "$policy" "$policy.airlock-saved"
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
  as_root chmod 0755 "$policy"
  # Others may be installing packages on this machine at the same time: wait for the dpkg lock, not fail.
  local status=0
  {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
  } || status=$?
  as_root rm -f "$policy"
  [ -e "$policy.airlock-saved" ] && as_root mv "$policy.airlock-saved" "$policy"
  [ "$status" = 0 ] || die "apt-get failed ($status)"
}

# The go command, for every build here: the host's toolchain only, a build cache of our own that is kept (a
# rebuild of the Kubernetes binaries then takes seconds instead of minutes), the module cache left writable so it
# stays removable, no workspace, no cgo (static binaries).
go_env=(env GOTOOLCHAIN=local GOWORK=off GOFLAGS=-modcacherw CGO_ENABLED=0)

build_kubernetes() {
  local scratch=$1
  command -v go >/dev/null || die "the go command is needed to build Kubernetes"
  local staging_version="v0.${k8s_version#v1.}" # k8s.io/kubernetes v1.X.Y publishes its staging modules as v0.X.Y

  log "downloading k8s.io/kubernetes@$k8s_version through the Go module proxy"
  local dir
  dir=$(cd "$scratch" && "${go_env[@]}" go mod download -json "k8s.io/kubernetes@$k8s_version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -n "$dir" ] && [ -f "$dir/go.mod" ] || die "k8s.io/kubernetes@$k8s_version did not download"

  # The module zip has neither staging/ nor vendor/, while go.mod replaces each k8s.io/X staging module with
  # ./staging/src/k8s.io/X. Each replace is pointed at the published module of the same release instead (the
  # go command then checks it against the checksum database), and the go.work files, which name staging/, go.
  local src="$scratch/kubernetes"
  cp -R "$dir" "$src"
  chmod -R u+w "$src"
  rm -f "$src/go.work" "$src/go.work.sum"
  local edits=() module
  for module in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*#\1#p' "$src/go.mod"); do
    edits+=("-replace=$module=$module@$staging_version")
  done
  [ ${#edits[@]} -gt 20 ] || die "expected the staging replace directives in k8s.io/kubernetes's go.mod, found ${#edits[@]}"
  (cd "$src" && "${go_env[@]}" go mod edit "${edits[@]}")
  log "pointed ${#edits[@]} staging modules at $staging_version"

  # The version the binaries report (kubectl version, the node's kubeletVersion), as the release build sets it.
  local minor=${k8s_version#v1.}
  minor=${minor%%.*}
  local ldflags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done

  # One go build for all five binaries: the packages they share are compiled once. nice: this runs beside other
  # people's builds and tests, and in the background of .ci/bootstrap.sh.
  local cmds=() name
  for name in "${k8s_binaries[@]}"; do cmds+=("./cmd/$name"); done
  mkdir -p "$scratch/bin"
  log "building ${k8s_binaries[*]} (GOCACHE=$go_build_cache)"
  (cd "$src" && GOCACHE="$go_build_cache" "${go_env[@]}" GOFLAGS="-modcacherw -mod=mod" \
    nice -n 19 go build -trimpath -ldflags="$ldflags" -o "$scratch/bin/" "${cmds[@]}")
  for name in "${k8s_binaries[@]}"; do
    [ -x "$scratch/bin/$name" ] || die "$name was not built"
  done
  mkdir -p "$k8s_cache"
  rm -rf "$k8s_bin"
  mv "$scratch/bin" "$k8s_bin"
  # Stamped only once every binary is in place: a build that was interrupted is built again.
  echo "$k8s_version" >"$k8s_cache/complete"
}

build_kube_router() {
  local scratch=$1
  log "building kube-router $kube_router_version"
  mkdir -p "$scratch/router-bin"
  GOCACHE="$go_build_cache" GOBIN="$scratch/router-bin" "${go_env[@]}" \
    nice -n 19 go install -trimpath \
    -ldflags="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$kube_router_version" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$kube_router_version"
  [ -x "$scratch/router-bin/kube-router" ] || die "kube-router was not built"
  mkdir -p "$router_cache"
  rm -rf "$router_bin"
  mv "$scratch/router-bin" "$router_bin"
  echo "$kube_router_version" >"$router_cache/complete"
}

# The pod sandbox ("pause") program: it holds the pod's namespaces and does nothing else. Written here, not
# taken from an image, because no registry can be reached. As PID 1 of a pod that shares its process namespace
# it also reaps orphaned children.
write_pause_source() {
  cat >"$1/main.go" <<'EOF'
// pause holds a Kubernetes pod's namespaces until it is told to stop.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
EOF
  printf 'module airlock.invalid/pause\n\ngo 1.22\n' >"$1/go.mod"
}

build_pause_image() {
  local scratch=$1
  log "building the pause image"
  mkdir -p "$scratch/pause"
  write_pause_source "$scratch/pause"
  (cd "$scratch/pause" && GOCACHE="$go_build_cache" "${go_env[@]}" go build -trimpath -ldflags="-s -w" -o pause .)
  mkdir -p "$(dirname "$pause_archive")"
  make_image "$scratch/pause.oci.tar" "$pause_image" "$scratch/pause/pause"
  mv "$scratch/pause.oci.tar" "$pause_archive"
}

binaries_cached() {
  [ -f "$k8s_cache/complete" ] && [ -f "$router_cache/complete" ] && [ -f "$pause_archive" ]
}

cmd_install() {
  local started=$SECONDS
  timed "Debian packages" install_packages
  mkdir -p "$tools_cache"
  # One build at a time per cache: a second install waits for the first, then finds the cache warm.
  exec 9>"$tools_cache/kubernetes-install.lock"
  flock 9
  if binaries_cached; then
    log "Kubernetes $k8s_version and kube-router $kube_router_version are cached in $tools_cache"
    log "install took $((SECONDS - started))s"
    return
  fi
  mkdir -p "$tools_cache"
  local scratch
  scratch=$(mktemp -d "$tools_cache/kubernetes-build.XXXXXX")
  # shellcheck disable=SC2064 # the path is fixed now
  trap "chmod -R u+w '$scratch' 2>/dev/null; rm -rf '$scratch'" EXIT
  [ -f "$k8s_cache/complete" ] || timed "Kubernetes $k8s_version binaries" build_kubernetes "$scratch"
  [ -f "$router_cache/complete" ] || timed "kube-router $kube_router_version" build_kube_router "$scratch"
  [ -f "$pause_archive" ] || timed "pause image" build_pause_image "$scratch"
  log "install took $((SECONDS - started))s; cache: $(du -sh "$k8s_cache" "$router_cache" "$go_build_cache" 2>/dev/null | awk '{printf "%s %s; ", $2, $1}')"
}

# For .ci/bootstrap.sh (AIRLOCK_BOOTSTRAP_KUBERNETES=1): the Debian packages now (apt-get must not run beside the
# bootstrap's own), the builds, minutes of CPU on a cold machine, in the background; `wait-install` waits for them.
cmd_install_background() {
  install_packages
  if binaries_cached; then
    log "Kubernetes $k8s_version and kube-router $kube_router_version are cached in $tools_cache"
    return
  fi
  mkdir -p "$tools_cache"
  log "building Kubernetes $k8s_version in the background; log in $install_log"
  bash "${BASH_SOURCE[0]}" install >"$install_log" 2>&1 &
  echo $! >"$install_pid_file"
}

# Waits for the background install and fails when it failed (its log says why).
cmd_wait_install() {
  local pid=""
  [ -f "$install_pid_file" ] && pid=$(cat "$install_pid_file")
  if [ -n "$pid" ] && running "$pid"; then
    log "waiting for the background install (pid $pid; log in $install_log)"
    while running "$pid"; do sleep 2; done
  fi
  if ! binaries_cached; then
    [ -f "$install_log" ] && tail -n 30 "$install_log" >&2
    die "Kubernetes $k8s_version is not installed; see $install_log, or run: bash .ci/kubernetes.sh install"
  fi
  log "Kubernetes $k8s_version and kube-router $kube_router_version are installed"
}

# ---------------------------------------------------------------------------------------------------------------
# OCI image archives, written by hand: no registry and no Docker needed, and the same inputs give the same bytes
# (names sorted, owner 0, mtime 0), so the same image always has the same digest.

deterministic_tar() { # deterministic_tar OUT DIR: a tar of what DIR holds, names without "./", DIR not itself
  (cd "$2" && find . -mindepth 1 | sed 's#^\./##' | LC_ALL=C sort) |
    tar --create --file "$1" --directory "$2" --no-recursion --files-from - --format=gnu --mtime=@0 \
      --owner=0 --group=0 --numeric-owner --mode=u+w,go-w,a+rX --no-acls --no-xattrs --no-selinux
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

make_image() { # make_image OUT NAME FILE...
  local out=$1 name=$2
  shift 2
  [ $# -ge 1 ] || die "make-image: no files"
  local work
  work=$(mktemp -d)
  mkdir -p "$work/rootfs" "$work/layout/blobs/sha256"
  local file
  for file in "$@"; do
    [ -f "$file" ] || die "make-image: $file is not a file"
    install -m 0755 "$file" "$work/rootfs/$(basename "$file")"
  done
  deterministic_tar "$work/layer.tar" "$work/rootfs"
  local layer_digest layer_size
  layer_digest=$(sha256_of "$work/layer.tar")
  layer_size=$(stat -c %s "$work/layer.tar")
  mv "$work/layer.tar" "$work/layout/blobs/sha256/$layer_digest"

  printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/%s"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$(go_arch)" "$(basename "$1")" "$layer_digest" >"$work/config.json"
  local config_digest config_size
  config_digest=$(sha256_of "$work/config.json")
  config_size=$(stat -c %s "$work/config.json")
  mv "$work/config.json" "$work/layout/blobs/sha256/$config_digest"

  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
  local manifest_digest manifest_size
  manifest_digest=$(sha256_of "$work/manifest.json")
  manifest_size=$(stat -c %s "$work/manifest.json")
  mv "$work/manifest.json" "$work/layout/blobs/sha256/$manifest_digest"

  # io.containerd.image.name: the name `ctr images import` gives the image (used as it is, not prefixed).
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$name" "${name##*:}" >"$work/layout/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/layout/oci-layout"
  deterministic_tar "$out.tmp" "$work/layout"
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

go_arch() {
  case "$(uname -m)" in x86_64) echo amd64 ;; aarch64 | arm64) echo arm64 ;; *) uname -m ;; esac
}

cmd_make_image() {
  [ $# -ge 3 ] || die "usage: kubernetes.sh make-image OUT.tar NAME:TAG FILE..."
  make_image "$@"
  log "wrote $1"
}

# ---------------------------------------------------------------------------------------------------------------
# the running cluster: every file under $state, every daemon's PID in $state/pids, its log in $state/logs

pki="$state/pki"
containerd_dir="$state/containerd"
containerd_sock="$containerd_dir/containerd.sock"
kubelet_root="$state/kubelet"
seccomp_dir="$kubelet_root/seccomp"
admin_kubeconfig="$state/admin.kubeconfig"
# The order they start in; they stop in the reverse order.
daemons=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-router)

ctr_() { "$(command -v ctr)" --address "$containerd_sock" --namespace k8s.io "$@"; }
kubectl_() { "$k8s_bin/kubectl" --kubeconfig "$admin_kubeconfig" "$@"; }

pid_of() { # pid_of NAME: the PID of a daemon this script started, if it still runs
  local pid
  pid=$(cat "$state/pids/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && running "$pid" || return 1
  # Not a PID that another process has been given since: every daemon's command line names a file under the
  # state dir.
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$state/" || return 1
  echo "$pid"
}

start_daemon() { # start_daemon NAME COMMAND...: in its own session (a Ctrl-C to the caller does not reach it)
  local name=$1
  shift
  mkdir -p "$state/pids" "$state/logs"
  (cd / && exec setsid "$@" </dev/null >>"$state/logs/$name.log" 2>&1) &
  echo $! >"$state/pids/$name.pid"
}

wait_for() { # wait_for SECONDS WHAT COMMAND...: poll COMMAND every 0.2s
  local limit=$1 what=$2 started=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $((SECONDS - started)) -ge "$limit" ]; then
      die "$what did not happen within ${limit}s (logs in $state/logs; what was started runs on until: bash .ci/kubernetes.sh down)"
    fi
    sleep 0.2
  done
}

daemon_alive_or_die() {
  pid_of "$1" >/dev/null || { tail -n 30 "$state/logs/$1.log" >&2 || true; die "$1 exited; see $state/logs/$1.log"; }
}

detect_node_ip() {
  if [ -n "${AIRLOCK_K8S_NODE_IP:-}" ]; then
    echo "$AIRLOCK_K8S_NODE_IP"
    return
  fi
  # The kubelet and the pods need an address that is not loopback: the one of the interface the default route
  # leaves through.
  local dev
  dev=$(ip -4 route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
  [ -n "$dev" ] || die "no default route to take the node's address from; set AIRLOCK_K8S_NODE_IP"
  ip -4 -o addr show dev "$dev" scope global | sed -n 's#.* inet \([0-9.]*\)/.*#\1#p' | head -n 1
}

# --- certificates and kubeconfigs, made with openssl; short-lived, made anew on every `up`

new_cert() { # new_cert NAME SUBJECT EXTENSIONS: a P-256 key and a certificate signed by the cluster's CA
  local name=$1 subject=$2 extensions=$3
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr"
  printf '%s\n' "$extensions" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -days 30 \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

client_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

write_kubeconfig() { # write_kubeconfig FILE CERT-NAME: credentials embedded, so the file stands alone
  umask 077
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: airlock
  cluster:
    server: https://$node_ip:$api_port
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$pki/$2.crt")
    client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
- name: airlock
  context: {cluster: airlock, user: $2}
current-context: airlock
EOF
  umask 022
}

make_pki() {
  mkdir -p "$pki"
  chmod 0700 "$pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=airlock-k8s-ca" -days 30 -out "$pki/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  new_cert apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:$node_ip,IP:127.0.0.1,IP:${service_cidr%.0/*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  new_cert kubelet-serving "/CN=$node_name" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:$node_ip,DNS:$node_name"
  # Who is who: the groups (O) and names (CN) the API server's built-in RBAC roles and Node authoriser expect.
  new_cert admin "/O=system:masters/CN=airlock-admin" "$client_ext"
  new_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"
  new_cert controller-manager "/CN=system:kube-controller-manager" "$client_ext"
  new_cert scheduler "/CN=system:kube-scheduler" "$client_ext"
  new_cert kubelet "/O=system:nodes/CN=system:node:$node_name" "$client_ext"
  new_cert kube-router "/CN=airlock:kube-router" "$client_ext"
  # The key pair that signs and checks service account tokens.
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key" 2>/dev/null
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  local who
  for who in admin controller-manager scheduler kubelet kube-router; do
    write_kubeconfig "$state/$who.kubeconfig" "$who"
  done
}

# --- etcd: Debian's, on loopback only, its data in the state dir

start_etcd() {
  mkdir -p "$state/etcd"
  chmod 0700 "$state/etcd"
  # Plain HTTP is acceptable only because it listens on loopback and lives as long as one test run.
  start_daemon etcd etcd --name airlock --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_client_port" --advertise-client-urls "http://127.0.0.1:$etcd_client_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "airlock=http://127.0.0.1:$etcd_peer_port" --initial-cluster-state new \
    --snapshot-count 10000 --log-level warn
  wait_for 30 "etcd answering" curl -fsS "http://127.0.0.1:$etcd_client_port/health"
}

# --- a private containerd: Debian's binary, but its own root, state, socket and runc root, so Docker's containerd
#     and its containers never see it

write_cni_configs() {
  # The default network: a bridge with the node as gateway, so pods reach the API server at the node's
  # address. No IP masquerading: pods have nowhere else to go, and it would add NAT rules to the host.
  # host-local keeps its leases under the state dir.
  mkdir -p "$state/cni/net.d" "$state/cni-nonet/net.d"
  cat >"$state/cni/net.d/10-airlock.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "airlock-k8s",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$pod_bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{"subnet": "$pod_cidr"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false}
  ]
}
EOF
  # The runc-nonet handler's network: a bridge that is not a gateway (the host has no address on it) and
  # routes that are none, so a pod's every connection fails with "network is unreachable" from its first
  # instant, with no policy agent to wait for. Pods of this handler do share the bridge among themselves.
  cat >"$state/cni-nonet/net.d/10-airlock-nonet.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "airlock-nonet",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$nonet_bridge",
      "isGateway": false,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni-nonet/ipam",
        "ranges": [[{"subnet": "$nonet_cidr"}]],
        "routes": []
      }
    }
  ]
}
EOF
}

start_containerd() {
  mkdir -p "$containerd_dir/root" "$containerd_dir/state" "$containerd_dir/runc" "$containerd_dir/opt"
  local runc
  runc=$(command -v runc) || die "runc is not installed"
  cat >"$containerd_dir/config.toml" <<EOF
version = 2
root = "$containerd_dir/root"
state = "$containerd_dir/state"

[grpc]
  address = "$containerd_sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$containerd_dir/opt"

[plugins."io.containerd.grpc.v1.cri"]
  # No registry: the sandbox image is the one imported below.
  sandbox_image = "$pause_image"
  # This machine's root lacks CAP_SYS_RESOURCE: without this every sandbox dies in runc create.
  restrict_oom_score_adj = true
  # Network namespaces under the state dir, not /var/run/netns, which others use.
  netns_mounts_under_state_dir = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin_dir"
    conf_dir = "$state/cni/net.d"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$runc"
        Root = "$containerd_dir/runc"
        SystemdCgroup = false

    # RuntimeClass airlock-nonet: the same runc, its own CNI config (no gateway, no routes).
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-nonet]
      runtime_type = "io.containerd.runc.v2"
      cni_conf_dir = "$state/cni-nonet/net.d"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-nonet.options]
        BinaryName = "$runc"
        Root = "$containerd_dir/runc"
        SystemdCgroup = false
EOF
  start_daemon containerd containerd --config "$containerd_dir/config.toml"
  wait_for 30 "the private containerd answering" ctr_ version
  ctr_ images import "$pause_archive" >/dev/null
}

# --- the control plane

start_apiserver() {
  mkdir -p "$state/apiserver"
  start_daemon kube-apiserver "$k8s_bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_client_port" \
    --advertise-address="$node_ip" --bind-address="$node_ip" --secure-port="$api_port" \
    --cert-dir="$state/apiserver" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range="$service_cidr" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,PodSecurity \
    --profiling=false
  wait_for 90 "the API server ready" curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://$node_ip:$api_port/readyz"
}

start_controllers() {
  # --allocate-node-cidrs: kube-router takes the node's pod range from the Node object.
  start_daemon kube-controller-manager "$k8s_bin/kube-controller-manager" \
    --kubeconfig="$state/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false \
    --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --allocate-node-cidrs=true --cluster-cidr="$cluster_cidr" --node-cidr-mask-size=24 \
    --service-cluster-ip-range="$service_cidr"
  start_daemon kube-scheduler "$k8s_bin/kube-scheduler" \
    --kubeconfig="$state/scheduler.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false --profiling=false
}

# What the cluster needs before its node comes: kube-router's read access, and the RuntimeClass.
apply_cluster_objects() {
  kubectl_ apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: airlock:kube-router
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, endpoints, nodes]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: airlock:kube-router
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: airlock:kube-router
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: airlock:kube-router
---
# Pods that must have no network at all: containerd's runc-nonet handler (see start_containerd).
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: airlock-nonet
handler: runc-nonet
EOF
}

# --- the node

start_kubelet() {
  mkdir -p "$kubelet_root" "$state/pod-logs"
  cat >"$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$containerd_sock
# cgroup v1 hybrid and no systemd as PID 1 on this machine.
cgroupDriver: cgroupfs
failCgroupV1: false
# Otherwise the kubelet adds its own chains to the host's iptables.
makeIPTablesUtilChains: false
address: $node_ip
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
podLogsDir: $state/pod-logs
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
failSwapOn: false
# Images cannot be pulled again (there is no registry), and the disk is shared with other people's builds: no
# image garbage collection, and evictions only when the disk is really full.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
EOF
  # --root-dir: the kubelet bind-mounts it onto itself, and `down` unmounts it. Its seccomp/ subdirectory holds
  # the profiles of `seccompProfile: {type: Localhost}`.
  mkdir -p "$seccomp_dir"
  start_daemon kubelet "$k8s_bin/kubelet" --config="$state/kubelet.yaml" \
    --kubeconfig="$state/kubelet.kubeconfig" --root-dir="$kubelet_root" --cert-dir="$kubelet_root/pki" \
    --hostname-override="$node_name" --node-ip="$node_ip" --v=1
}

start_kube_router() {
  # NetworkPolicy only: no routing (one node), no service proxy (the tests talk to the API server directly), no
  # CNI config of its own (written above).
  start_daemon kube-router "$router_bin/kube-router" --kubeconfig="$state/kube-router.kubeconfig" \
    --hostname-override="$node_name" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --enable-ipv4=true --enable-ipv6=false \
    --service-cluster-ip-range="$service_cidr" --metrics-port=0
}

node_has_pod_cidr() {
  [ -n "$(kubectl_ get node "$node_name" -o 'jsonpath={.spec.podCIDR}' 2>/dev/null)" ]
}

node_ready() {
  [ "$(kubectl_ get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

cluster_up() {
  local name
  for name in "${daemons[@]}"; do pid_of "$name" >/dev/null || return 1; done
  [ -f "$admin_kubeconfig" ] && node_ready
}

print_environment() {
  echo "export KUBECONFIG=$admin_kubeconfig"
  # Where a test puts the profiles that pods name with seccompProfile {type: Localhost, localhostProfile: FILE}.
  echo "export AIRLOCK_K8S_SECCOMP_DIR=$seccomp_dir"
}

need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root (it runs containers, mounts and changes iptables)"
}

cmd_up() {
  local started=$SECONDS
  need_root up
  binaries_cached || die "Kubernetes $k8s_version is not installed; run: bash .ci/kubernetes.sh install"
  if [ -f "$state/node-ip" ] && node_ip=$(cat "$state/node-ip") && cluster_up; then
    log "the cluster is already up"
    print_environment
    return
  fi
  if [ -f "$state_marker" ]; then
    log "cleaning up what an earlier cluster left"
    cmd_down
  fi
  node_ip=$(detect_node_ip)
  [ -n "$node_ip" ] || die "could not find the node's address; set AIRLOCK_K8S_NODE_IP"
  for cmd in etcd containerd ctr runc openssl ipset iptables curl; do
    command -v "$cmd" >/dev/null || die "$cmd is not installed; run: bash .ci/kubernetes.sh install"
  done
  mkdir -p "$state"
  chmod 0755 "$state"
  [ -z "$(ls -A "$state")" ] || die "$state is not empty and not a cluster's state dir; choose another AIRLOCK_K8S_STATE"
  touch "$state_marker"
  echo "$node_ip" >"$state/node-ip"
  export PATH="$k8s_bin:$PATH"
  timed "certificates" make_pki
  timed "etcd" start_etcd
  write_cni_configs
  timed "containerd and the pause image" start_containerd
  timed "kube-apiserver" start_apiserver
  start_controllers
  timed "RBAC and the RuntimeClass" apply_cluster_objects
  start_kubelet
  # kube-router reads its node (and the pod range the controller-manager gave it) when it starts, and exits when
  # the node is not there yet.
  wait_for 120 "the node registered with a pod range" node_has_pod_cidr
  start_kube_router
  wait_for 120 "the node Ready" node_ready
  log "node $node_name Ready after $((SECONDS - started))s"
  wait_for 60 "the default service account" kubectl_ -n default get serviceaccount default
  for name in "${daemons[@]}"; do daemon_alive_or_die "$name"; done
  log "up took $((SECONDS - started))s"
  print_environment
}

cmd_status() {
  local node_ip=""
  [ -f "$state/node-ip" ] && node_ip=$(cat "$state/node-ip")
  local name up=1
  for name in "${daemons[@]}"; do
    if pid=$(pid_of "$name"); then
      printf '%-24s running (pid %s)\n' "$name" "$pid"
    else
      printf '%-24s not running\n' "$name"
      up=0
    fi
  done
  if [ "$up" = 1 ] && node_ready; then
    echo "state:      up"
    echo "KUBECONFIG: $admin_kubeconfig"
    echo "seccomp:    $seccomp_dir"
    echo "node:       $node_name $node_ip"
    echo "kubernetes: $(kubectl_ version -o yaml 2>/dev/null | sed -n 's/^  gitVersion: //p' | paste -sd' ' -) (client server)"
    echo "kubelet:    $(kubectl_ get node "$node_name" -o 'jsonpath={.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')"
    echo "kube-router: $kube_router_version; etcd: $(etcd --version | sed -n 's/^etcd Version: //p')"
    return 0
  fi
  echo "state:      down"
  return 1
}

# --- images

cmd_import_image() {
  [ $# = 1 ] || die "usage: kubernetes.sh import-image ARCHIVE (an OCI image archive)"
  local archive=$1 index
  [ -f "$archive" ] || die "$archive is not a file"
  pid_of containerd >/dev/null || die "the cluster is not up"
  index=$(tar -xOf "$archive" index.json 2>/dev/null || tar -xOf "$archive" ./index.json 2>/dev/null) || die "$archive is not an OCI image archive (no index.json)"
  # The first descriptor of the index: the image's manifest (or its own index, for several platforms).
  local digest
  digest=$(printf '%s' "$index" | grep -o '"digest"[[:space:]]*:[[:space:]]*"sha256:[0-9a-f]\{64\}"' | head -n 1 |
    grep -o 'sha256:[0-9a-f]\{64\}') || die "no manifest digest in $archive's index.json"
  ctr_ images import "$archive" >/dev/null
  # The name the import gave it (not one that is already a digest name).
  local name
  name=$(ctr_ images ls | awk -v d="$digest" '$3 == d && $1 !~ /@/ && $1 !~ /^sha256:/ {print $1; exit}')
  [ -n "$name" ] || die "the import of $archive gave its image no name (index.json needs an io.containerd.image.name or org.opencontainers.image.ref.name annotation)"
  # A pod that names the image by digest (repo@sha256:...) with imagePullPolicy Never is refused with
  # ErrImageNeverPull unless the image is also known under that very name.
  local repo=$name last=${name##*/}
  case "$last" in *:*) repo=${name%:*} ;; esac
  ctr_ images tag --force "$name" "$repo@$digest" >/dev/null
  echo "$repo@$digest"
}

# --- down

# Processes in the kubepods cgroups (the containers) of every hierarchy.
kubepods_pids() {
  local dir
  for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$dir" ] && find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -u
}

stop_daemons() { # stop_daemons NAME...: SIGTERM to all at once, SIGKILL to any still running after 5s
  local name pid pids=() waited=0
  for name in "$@"; do
    if pid=$(pid_of "$name"); then
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 25 ]; do
      sleep 0.2
      waited=$((waited + 1))
    done
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

our_shims() { # the runc shims of the private containerd: their command lines name its socket
  pgrep -f -- "containerd-shim-runc-v2 .*-address $containerd_sock( |\$)" || true
}

unmount_under() { # every mount point under $1 (and $1 itself), deepest first
  local point
  awk -v root="$1" '$5 == root || index($5, root "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r point; do
      umount "$point" 2>/dev/null || umount -l "$point" 2>/dev/null || log "could not unmount $point"
    done
}

remove_stale_netns() { # network namespaces named cni-* that no process is in any more
  local ns inode in_use
  for ns in /var/run/netns/cni-*; do
    [ -e "$ns" ] || continue
    inode=$(stat -L -c %i "$ns" 2>/dev/null) || continue
    in_use=$(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l\n' 2>/dev/null | grep -c "^net:\[$inode\]$" || true)
    if [ "$in_use" = 0 ]; then
      umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true
      rm -f "$ns"
    fi
  done
}

remove_kube_iptables() {
  # KUBE-* chains (kube-router's and the kubelet's), in every table: first the rules that jump to them from
  # other chains, then the chains. Docker's and everyone else's chains are left alone.
  local iptables table chains chain
  for iptables in iptables ip6tables; do
    command -v "$iptables" >/dev/null || continue
    for table in filter nat mangle raw; do
      chains=$("$iptables" -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\)$/\1/p') || continue
      [ -n "$chains" ] || continue
      "$iptables" -t "$table" -S 2>/dev/null | grep -E '^-A [^ ]+ .*-j KUBE-' | grep -vE '^-A KUBE-' |
        while read -r rule; do
          # shellcheck disable=SC2086 # the rule is split into its words as iptables printed them
          eval "$iptables -t $table ${rule/#-A/-D}" 2>/dev/null || true
        done
      for chain in $chains; do "$iptables" -t "$table" -F "$chain" 2>/dev/null || true; done
      for chain in $chains; do "$iptables" -t "$table" -X "$chain" 2>/dev/null || true; done
    done
  done
}

remove_kube_ipsets() { # kube-router's ipsets (after the rules that use them)
  command -v ipset >/dev/null || return 0
  local set
  for set in $(ipset list -n 2>/dev/null | grep -E '^(inet6:)?(KUBE-|kube-router)'); do
    ipset destroy "$set" 2>/dev/null || log "could not destroy ipset $set"
  done
}

remove_kubepods_cgroups() {
  local dir
  for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$dir" ] && log "could not remove cgroup $dir"
  done
  return 0
}

cmd_down() {
  local started=$SECONDS pid
  need_root down
  # The node and the controllers first, so nothing restarts what is stopped below.
  stop_daemons kube-router kubelet kube-scheduler kube-controller-manager
  # The containers: killed through the private containerd while it runs, so its shims exit and unmount.
  if pid_of containerd >/dev/null; then
    local task
    for task in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks kill --all --signal SIGKILL "$task" >/dev/null 2>&1 || true
    done
    for task in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks delete --force "$task" >/dev/null 2>&1 || true
    done
  fi
  # The API server waits many seconds on SIGTERM for requests to drain; its data is thrown away below.
  if pid=$(pid_of kube-apiserver); then kill -KILL "$pid" 2>/dev/null || true; fi
  stop_daemons containerd etcd
  # Whatever is left: shims of the private containerd, processes still in the pods' cgroups.
  for pid in $(our_shims) $(kubepods_pids); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  sleep 0.2
  rm -rf "$state/pids"
  # Container root file systems, sandbox /dev/shm, network namespaces, the kubelet's root and its volumes.
  [ -f "$state_marker" ] && unmount_under "$state"
  remove_stale_netns
  remove_kubepods_cgroups
  local bridge
  for bridge in "$pod_bridge" "$nonet_bridge"; do
    ip link show "$bridge" >/dev/null 2>&1 && ip link delete "$bridge"
  done
  remove_kube_iptables
  remove_kube_ipsets
  # Outside the state dir, what containerd's CNI library and the kubelet write to fixed paths: CNI's result cache
  # (<network>-<sandbox>-<interface>; the loopback network of our sandboxes too), the kubelet's log links, and its
  # device plugin directory (which ignores --root-dir).
  local result sandbox
  for result in /var/lib/cni/results/airlock-k8s-* /var/lib/cni/results/airlock-nonet-*; do
    [ -e "$result" ] || continue
    sandbox=${result##*/airlock-k8s-}
    sandbox=${sandbox##*/airlock-nonet-}
    sandbox=${sandbox%-eth0}
    rm -f "$result" "/var/lib/cni/results/cni-loopback-$sandbox-lo"
  done
  find /var/log/containers -maxdepth 1 -type l -lname "$state/*" -delete 2>/dev/null || true
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet 2>/dev/null || true
  if [ -f "$state_marker" ]; then
    rm -rf "$state"
  elif [ -e "$state" ]; then
    log "left $state as it is: it is not marked as a cluster's state dir"
  fi
  log "down took $((SECONDS - started))s"
}

# ---------------------------------------------------------------------------------------------------------------

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local command=${1:-}
  [ $# -gt 0 ] && shift
  case "$command" in
    install) cmd_install "$@" ;;
    install-background) cmd_install_background "$@" ;;
    wait-install) cmd_wait_install "$@" ;;
    make-image) cmd_make_image "$@" ;;
    up) cmd_up "$@" ;;
    status) cmd_status "$@" ;;
    import-image) cmd_import_image "$@" ;;
    down) cmd_down "$@" ;;
    *) usage ;;
  esac
}

# On one line: bash reads a script as it runs it, so a checkout updated meanwhile cannot feed it another line.
main "$@"; exit

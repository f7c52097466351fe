#!/usr/bin/env bash
# Fetches the test corpus (the real third-party Go programs of test/corpus/corpus.json) into a per-user cache,
# for the corpus integration tests and the bench. The go command does the fetching, through the Go module
# proxy, and checks every module against go.sum and the Go checksum database (GOSUMDB is left at its default).
#
#   <cache>/gomodcache/   a GOMODCACHE holding each program's module and every module its build needs; its
#                         cache/download/ is a file proxy from which `go mod vendor`, `go build` and
#                         `airlock modules pack` work offline
#   <cache>/stamps/       NAME@VERSION, written only after that program's cache was proven complete offline
#
# <cache> is ${AIRLOCK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-test-tools}/corpus.
#   .ci/fetch-corpus.sh           fetch what is missing (a warm cache: nothing to do)
#   .ci/fetch-corpus.sh --check   exit 0 if every program is cached, 1 otherwise; fetches nothing
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus_dir=${AIRLOCK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-test-tools}/corpus
modcache="$corpus_dir/gomodcache"
stamps="$corpus_dir/stamps"

log() { printf 'fetch-corpus: %s: %s\n' "$(date +%T)" "$*"; }
die() { printf 'fetch-corpus: error: %s\n' "$*" >&2; exit 1; }

# One line per program: name, module, version, main package, tags (comma-separated, "-" for none).
programs=$(node -e '
  const { programs } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const p of programs) console.log([p.name, p.module, p.version, p.main, p.tags.join(",") || "-"].join("\t"));
' "$repo/test/corpus/corpus.json")

missing=""
while IFS=$'\t' read -r name module version main tags; do
  [ -f "$stamps/$name@$version" ] || missing="$missing $name"
done <<<"$programs"

if [ "${1:-}" = --check ]; then
  [ -z "$missing" ]
  exit
fi
if [ -z "$missing" ]; then
  log "every program is cached in $corpus_dir"
  exit 0
fi

command -v go >/dev/null || die "the go command is needed to fetch the corpus"
mkdir -p "$modcache" "$stamps"
scratch=$(mktemp -d "$corpus_dir/tmp.XXXXXX")
# -modcacherw everywhere: the module caches stay removable (the go command makes them read-only otherwise).
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT

# The user's go env (a site's GOPROXY, GONOSUMDB) is honoured for fetching; GOFLAGS and the toolchain are not.
fetch_env=(env GOMODCACHE="$modcache" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off)

while IFS=$'\t' read -r name module version main tags; do
  [ -f "$stamps/$name@$version" ] && continue
  started=$SECONDS
  log "$name: fetching $module@$version"
  # -json reports a failure in its "Error" field on stdout, so the whole answer goes to the log then.
  if ! (cd "$scratch" && "${fetch_env[@]}" go mod download -json "$module@$version" >"$scratch/download.json"); then
    cat "$scratch/download.json" >&2
    die "$name: $module@$version did not download"
  fi
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' "$scratch/download.json")
  [ -n "$dir" ] && [ -f "$dir/go.mod" ] || die "$name: $module@$version has no go.mod in the module cache"

  # Every module the program's build needs: inside an unpacked copy, `go mod download` fetches the zip of every
  # module go.mod requires (with module graph pruning, every module that provides a package to the build) and
  # the go.mod files of the module graph.
  work="$scratch/$name"
  cp -R "$dir" "$work"
  chmod -R u+w "$work"
  (cd "$work" && "${fetch_env[@]}" go mod download) || die "$name: downloading the modules its build needs failed"

  # Proof, offline, from an empty module cache and the cache's file proxy alone, as the tests use it: what
  # `airlock modules pack` runs (download, then every package of the module), `go mod vendor`, and the main
  # package's dependencies with the program's tags, in module mode and from vendor/.
  proof_env=(env GOMODCACHE="$scratch/proof-modcache" GOPROXY="file://$modcache/cache/download" GOSUMDB=off
    GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0)
  tag_args=()
  [ "$tags" = - ] || tag_args=(-tags "$tags")
  (
    cd "$work"
    "${proof_env[@]}" go mod download
    "${proof_env[@]}" go list -mod=mod -deps ./... >/dev/null
    "${proof_env[@]}" go list -mod=mod -deps "${tag_args[@]}" "$main" >/dev/null
    "${proof_env[@]}" go mod vendor
    "${proof_env[@]}" go list -mod=vendor -deps "${tag_args[@]}" "$main" >/dev/null
  ) || die "$name: the cache is incomplete: $module@$version does not load offline from it"
  chmod -R u+w "$scratch/proof-modcache" "$work"
  rm -rf "$scratch/proof-modcache" "$work"

  printf '%s@%s\n' "$module" "$version" >"$stamps/$name@$version"
  log "$name: cached and proven offline in $((SECONDS - started)) s"
done <<<"$programs"
log "every program is cached in $corpus_dir"

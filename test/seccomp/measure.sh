#!/usr/bin/env bash
# Measures which syscalls the sandbox's `go build` makes, and regenerates airlock's seccomp profile from that.
#
# The one command (from anywhere; it works in the repository that holds this script):
#
#   AIRLOCK_HOME=/path/to/airlock/home test/seccomp/measure.sh             # every linux toolchain in that store
#   test/seccomp/measure.sh /path/to/goroot-1 /path/to/goroot-2           # or name the GOROOTs yourself
#
# Needs bash, strace, and node >= 20 with `npm ci` done in this repository (the script compiles it with tsc).
# Nothing goes to the network: GOPROXY=off, and the examples are stdlib-only or vendored.
#
# What it does, for every GOROOT, every example module and every target below:
#   * one cold-cache build, traced with `strace -f -qq -e trace=all`, with the environment and flags the
#     sandbox uses (see src/sandbox/policy.ts); temporary files and the build cache live on a tmpfs
#     (/dev/shm unless AIRLOCK_MEASURE_TMPFS names another directory) and the module and the output on
#     disk, as in the container, so the output is moved across file systems the same way;
#   * for the native target of each module, one warm-cache rebuild;
#   * one cold build per toolchain under `ulimit -Sn 1024 -Hn 4096`, so Go's RLIMIT_NOFILE raise happens.
# It then checks the arguments of the syscalls the profile filters on arguments (clone, prlimit64, prctl,
# personality), writes templates/seccomp/measured-syscalls.json (every distinct name, sorted) and runs
# `node build/test/seccomp/generate-profile.js`, which writes templates/seccomp/airlock-go-build.json.
#
# Optional: AIRLOCK_MEASURE_TARGETS="linux/amd64 ..." for a quicker partial run (the JSON records what ran);
# AIRLOCK_MEASURE_KEEP=1 keeps the strace logs and prints where they are.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

die() { echo "measure.sh: $*" >&2; exit 1; }

strace_bin=$(command -v strace) || die "strace is not installed (apt-get install strace)"
command -v node >/dev/null || die "node is not installed"
[[ -d node_modules ]] || die "run npm ci in $root first"

read -r -a targets <<<"${AIRLOCK_MEASURE_TARGETS:-linux/amd64 linux/arm64 windows/amd64 darwin/arm64}"
# directory | package | vendored (GOFLAGS=-mod=vendor)
modules=(
  "examples/hello|.|no"
  "examples/cli|./cmd/cli|yes"
)

echo "== compiling airlock (tsc)"
npx --no-install tsc -p tsconfig.json

case "$(uname -m)" in
  x86_64) host_arch=amd64 ;;
  aarch64) host_arch=arm64 ;;
  *) die "unsupported host architecture $(uname -m)" ;;
esac

goroots=()
if (($# > 0)); then
  goroots=("$@")
else
  [[ -n "${AIRLOCK_HOME:-}" ]] || echo "measure.sh: AIRLOCK_HOME is not set; using airlock's default store" >&2
  mapfile -t goroots < <(node build/src/cli/bin.js toolchain list --json | node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      for (const t of JSON.parse(text)) if (t.goos === "linux" && t.goarch === process.argv[1]) console.log(t.goroot);
    });' "$host_arch")
fi
((${#goroots[@]} > 0)) || die "no toolchain to measure: import one (airlock toolchain import) or pass GOROOTs"

versions=()
for goroot in "${goroots[@]}"; do
  [[ -x "$goroot/bin/go" ]] || die "$goroot/bin/go is not an executable go command"
  if [[ -f "$goroot/VERSION" ]]; then
    version=$(head -n 1 "$goroot/VERSION")
  else
    version=$(env -i GOTOOLCHAIN=local GOENV=off "$goroot/bin/go" env GOVERSION)
  fi
  versions+=("$version")
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/airlock-seccomp.XXXXXX")
tmpfs_base=${AIRLOCK_MEASURE_TMPFS:-/dev/shm}
if [[ -d "$tmpfs_base" && -w "$tmpfs_base" ]]; then
  fast=$(mktemp -d "$tmpfs_base/airlock-seccomp.XXXXXX")
else
  echo "measure.sh: $tmpfs_base is not writable; temporary files stay on the same file system as the output" >&2
  fast=$(mktemp -d "$scratch/tmp.XXXXXX")
fi
cleanup() {
  rm -rf "$fast"
  if [[ "${AIRLOCK_MEASURE_KEEP:-}" == 1 ]]; then echo "strace logs kept in $scratch/logs"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
mkdir -p "$scratch/logs" "$scratch/names" "$scratch/args"

# run_build LABEL GOROOT MODULE_DIR PACKAGE VENDORED GOOS GOARCH GOCACHE [rlimit]
run_build() {
  local label=$1 goroot=$2 module=$3 package=$4 vendored=$5 goos=$6 goarch=$7 gocache=$8 mode=${9:-}
  local tmp src out log
  tmp=$(mktemp -d "$fast/run.XXXXXX")
  src="$scratch/src/$label"
  out="$scratch/out/$label/prog"
  log="$scratch/logs/$label.log"
  rm -rf "$src"
  mkdir -p "$(dirname "$src")" "$(dirname "$out")" "$gocache"
  cp -R "$module" "$src"

  local -a environment=(
    "PATH=$goroot/bin" "HOME=$tmp/home" "TMPDIR=$tmp" "GOCACHE=$gocache" "GOPATH=$tmp/gopath"
    GOENV=off GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0 "GOOS=$goos" "GOARCH=$goarch"
  )
  [[ "$vendored" == yes ]] && environment+=(GOFLAGS=-mod=vendor)

  local started=$SECONDS status=0
  (
    cd "$src"
    if [[ "$mode" == rlimit ]]; then
      # Soft first (a hard limit below the current soft one is refused); Go raises soft to hard at start-up.
      ulimit -Sn 1024 && ulimit -Hn 4096 || exit 90
      [[ "$(ulimit -Sn):$(ulimit -Hn)" == 1024:4096 ]] || exit 90
    fi
    exec env -i "${environment[@]}" "$strace_bin" -f -qq -e trace=all -o "$log" \
      "$goroot/bin/go" build -trimpath -buildvcs=false "-ldflags=-buildid=" -o "$out" "$package"
  ) >"$scratch/logs/$label.out" 2>&1 || status=$?
  if ((status != 0)) || [[ ! -s "$out" ]]; then
    cat "$scratch/logs/$label.out" >&2
    die "build $label failed (exit $status)"
  fi

  # "PID name(" starts every call, finished or not; resumed calls, signals and exits start otherwise.
  grep -oE '^[0-9]+ +[a-z_][a-z0-9_]*\(' "$log" | sed -E 's/^[0-9]+ +//; s/\($//' | LC_ALL=C sort -u >"$scratch/names/$label.txt"
  grep -E '^[0-9]+ +(clone|prlimit64|prctl|personality)\(' "$log" | sed -E 's/^[0-9]+ +//' >"$scratch/args/$label.txt" || true
  [[ "${AIRLOCK_MEASURE_KEEP:-}" == 1 ]] || rm -f "$log"
  rm -rf "$tmp"
  printf '   %-48s %3d syscalls  %4ds\n' "$label" "$(wc -l <"$scratch/names/$label.txt")" $((SECONDS - started))
}

for i in "${!goroots[@]}"; do
  goroot=${goroots[$i]}
  version=${versions[$i]}
  echo "== $version ($goroot)"
  for entry in "${modules[@]}"; do
    IFS='|' read -r module package vendored <<<"$entry"
    name=$(basename "$module")
    for target in "${targets[@]}"; do
      goos=${target%/*}
      goarch=${target#*/}
      cache="$fast/cache-$version-$name-$goos-$goarch"
      run_build "$version-$name-$goos-$goarch-cold" "$goroot" "$module" "$package" "$vendored" "$goos" "$goarch" "$cache"
      if [[ "$target" == "linux/$host_arch" ]]; then
        run_build "$version-$name-$goos-$goarch-warm" "$goroot" "$module" "$package" "$vendored" "$goos" "$goarch" "$cache"
      fi
      rm -rf "$cache"
    done
  done
  IFS='|' read -r module package vendored <<<"${modules[0]}"
  run_build "$version-$(basename "$module")-linux-$host_arch-rlimit" "$goroot" "$module" "$package" "$vendored" linux "$host_arch" \
    "$fast/cache-$version-rlimit" rlimit
  rm -rf "$fast/cache-$version-rlimit"
done

LC_ALL=C sort -u "$scratch"/names/*.txt >"$scratch/syscalls.txt"

echo "== checking the measured set"
if grep -E '^syscall_' "$scratch/syscalls.txt"; then
  die "strace printed syscalls it cannot name (above); use a newer strace"
fi
grep -q '^setrlimit$\|^prlimit64$' "$scratch/syscalls.txt" || die "the rlimit run raised no limit: neither setrlimit nor prlimit64 was seen"
# The profile allows these only with the arguments below; a build that needs others must fail here, not in the sandbox.
args=$(cat "$scratch"/args/*.txt)
refuse() { # refuse CALL FILTER MESSAGE: the calls of CALL that FILTER (grep -E, applied with -v when prefixed by !) selects
  local call=$1 filter=$2 message=$3 bad
  if [[ "$filter" == '!'* ]]; then
    bad=$(grep -E "^$call\\(" <<<"$args" | grep -vE "${filter#!}" || true)
  else
    bad=$(grep -E "^$call\\(" <<<"$args" | grep -E "$filter" || true)
  fi
  [[ -z "$bad" ]] || { head -n 3 <<<"$bad" >&2; die "$message"; }
}
refuse clone 'CLONE_NEW' "clone was called with namespace flags (above); the profile masks them out"
refuse prlimit64 '!^prlimit64\(0, ' "prlimit64 was called on another process (above); the profile allows only pid 0"
refuse prctl '!^prctl\(PR_SET_VMA, PR_SET_VMA_ANON_NAME, ' \
  "prctl was called with another option than PR_SET_VMA/PR_SET_VMA_ANON_NAME (above); the profile allows only that one"
refuse personality '!^personality\(0xffffffff' "personality was asked to change the persona (above); the profile allows only the query"

kernel=$(uname -r)
strace_version=$("$strace_bin" -V | head -n 1 | sed -E 's/.*version ([^ ]+).*/\1/')
module_names=()
for entry in "${modules[@]}"; do module_names+=("${entry%%|*}"); done

mkdir -p templates/seccomp
node -e '
  const fs = require("node:fs");
  const [out, namesFile, kernel, strace, toolchains, modules, targets] = process.argv.slice(1);
  const list = (s) => s.split("\n").filter((x) => x !== "");
  const measurement = {
    schema: "airlock.dev/seccomp-measurement/v1",
    measuredWith: { toolchains: list(toolchains), modules: list(modules), targets: list(targets), kernel, strace },
    syscalls: list(fs.readFileSync(namesFile, "utf8")).sort(),
  };
  fs.writeFileSync(out, JSON.stringify(measurement, null, 2) + "\n");
' templates/seccomp/measured-syscalls.json "$scratch/syscalls.txt" "$kernel" "$strace_version" \
  "$(printf '%s\n' "${versions[@]}")" "$(printf '%s\n' "${module_names[@]}")" "$(printf '%s\n' "${targets[@]}")"

echo "== $(wc -l <"$scratch/syscalls.txt") distinct syscalls: templates/seccomp/measured-syscalls.json"
node build/test/seccomp/generate-profile.js

# Every name in the profile should be a syscall of x86_64 or aarch64 (runc skips names it cannot resolve, so a
# typo would silently allow or deny nothing). Checked against the kernel UAPI headers when they are installed.
x86_header=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
generic_header=/usr/include/asm-generic/unistd.h
if [[ -r "$x86_header" && -r "$generic_header" ]]; then
  node -e '
    const fs = require("node:fs");
    const [profileFile, ...headers] = process.argv.slice(1);
    const known = new Set(headers.flatMap((h) => [...fs.readFileSync(h, "utf8").matchAll(/__NR_([a-z0-9_]+)/g)].map((m) => m[1])));
    const names = JSON.parse(fs.readFileSync(profileFile, "utf8")).syscalls.flatMap((rule) => rule.names);
    const unknown = [...new Set(names)].filter((name) => !known.has(name));
    if (unknown.length > 0) { console.error(`measure.sh: not syscalls of x86_64 or aarch64: ${unknown.join(", ")}`); process.exit(1); }
    console.log(`== all ${new Set(names).size} names in the profile are x86_64 or aarch64 syscalls (UAPI headers)`);
  ' templates/seccomp/airlock-go-build.json "$x86_header" "$generic_header"
else
  echo "== skipped the syscall-name check: install linux-libc-dev for the UAPI headers"
fi

#!/usr/bin/env bash
# Measures which syscalls `go vet` and `go test` make in airlock's sandbox, and regenerates airlock's seccomp
# profile for tests (templates/seccomp/airlock-go-test.json) from that and the build measurement.
#
# The one command (as root, from anywhere; it works in the repository that holds this script):
#
#   AIRLOCK_HOME=/path/to/airlock/home test/seccomp/measure-tests.sh     # every linux toolchain in that store
#   test/seccomp/measure-tests.sh /path/to/goroot-1 /path/to/goroot-2    # or name the GOROOTs yourself
#
# Needs root (it makes namespaces and a root directory, and drops to uid 65534), bash, strace, util-linux
# (unshare, setpriv), iproute2 (ip), and node >= 20 with `npm ci` done in this repository (it compiles it with
# tsc). Nothing goes to the network: GOPROXY=off, the corpus programs are vendored from the corpus cache
# (.ci/fetch-corpus.sh) through a private module cache, and the runs have no network but loopback.
#
# Every run emulates the sandbox a test run gets (src/sandbox/policy.ts), without a container engine:
#   * private mount, network, PID, IPC namespaces; the network has only `lo`, up;
#   * a root directory holding only the toolchain at /usr/local/go (read-only), the module at /work/src
#     (read-only, root's), a scratch directory at /scratch (GOCACHE and GOTMPDIR), a tmpfs /tmp (TMPDIR, HOME
#     under it; exec allowed, as the test policy needs), /proc, a read-only /sys, a few /dev nodes, /etc/hosts
#     with localhost, /etc/passwd and /etc/group from templates/sandbox -- plus strace and the libraries it
#     loads, the measuring instrument (the traced go command and test binaries are static and never use them);
#   * uid and gid 65534 with no supplementary groups, no capabilities, no_new_privs, RLIMIT_NOFILE 4096;
#   * the sandbox's environment: PATH=/usr/local/go/bin only, HOME, TMPDIR, GOCACHE, GOTMPDIR, GOPATH, GOENV=off,
#     GOPROXY=off, GOSUMDB=off, GOTOOLCHAIN=local, CGO_ENABLED=0, GOOS/GOARCH native, GOFLAGS=-mod=vendor where
#     vendored, and ZONEINFO=/usr/local/go/lib/time/zoneinfo.zip.
# In it, for every GOROOT and every suite below, with one build cache per toolchain, it traces
# `go vet PACKAGES` and then `go test -count=1 -json [FLAGS] PACKAGES` under `strace -f -qq -e trace=all`.
# Test failures do not stop the measurement (it wants the syscalls, not passes): it prints pass/fail/skip
# counts per suite, the programs the runs executed, and which program made each call beyond the build profile
# (test/seccomp/analyse-trace.ts, which also leaves out names none of whose calls returned: strace artifacts
# of calls cut off by a concurrent exit_group, listed for review). It then checks the arguments of the calls the
# profiles filter on arguments (clone, prlimit64, prctl, personality; socket families: AF_VSOCK or AF_PACKET
# fail the measurement, other families outside the allowed ones are reported, as they would get EPERM; mknodat
# other than fifos is reported), writes templates/seccomp/measured-test-syscalls.json (every distinct name,
# sorted) and runs `node build/test/seccomp/generate-test-profile.js`.
#
# Optional: AIRLOCK_MEASURE_SUITES="typical-tests examples/service ..." measures only the named suites (the JSON
# records what ran; a partial run is for trying things, not for committing); AIRLOCK_MEASURE_KEEP=1 keeps the
# strace logs and go test output and prints where they are.
set -euo pipefail

# ---- inside the namespaces (the script runs itself here through unshare): build the root, then run one command.
if [[ "${1:-}" == --in-sandbox ]]; then
  shift
  root=$1 goroot=$2 src=$3 scratch_dir=$4 log_dir=$5 strace_bin=$6 templates=$7
  shift 7
  [[ "$1" == -- ]] && shift
  ip link set lo up
  mount -t tmpfs -o mode=0755 airlock-root "$root"
  mkdir -p "$root"/{usr/local/go,work/src,scratch,measure,tmp,proc,sys,dev,etc}
  mount --bind -o ro "$goroot" "$root/usr/local/go"
  mount --bind -o ro "$src" "$root/work/src"
  mount --bind "$scratch_dir" "$root/scratch"
  mount --bind "$log_dir" "$root/measure"
  mount -t tmpfs -o rw,nosuid,nodev,size=1g,mode=1777 tmpfs "$root/tmp"
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
  mount -t tmpfs -o nosuid,mode=0755 tmpfs "$root/dev"
  for node in null zero full random urandom tty; do
    touch "$root/dev/$node"
    mount --bind "/dev/$node" "$root/dev/$node"
  done
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mkdir "$root/dev/shm"
  mount -t tmpfs -o nosuid,nodev,noexec,size=64m tmpfs "$root/dev/shm"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  for file in passwd group; do
    sed -e 's/{{UID}}/65534/g; s/{{GID}}/65534/g' "$templates/$file" >"$root/etc/$file"
  done
  # The measuring instrument: strace and what its loader needs, at the same paths, read-only.
  for file in "$strace_bin" $(ldd "$strace_bin" | grep -oE '/[^ ]+'); do
    mkdir -p "$root$(dirname "$file")"
    touch "$root$file"
    mount --bind -o ro "$file" "$root$file"
  done
  mount -o remount,ro,bind "$root" 2>/dev/null || mount -o remount,ro "$root"
  ulimit -Sn 4096 && ulimit -Hn 4096
  # Not exec: this shell stays PID 1 of the namespace and reaps what the tests leave behind, as the worker does.
  status=0
  env -i "$@" || status=$?
  exit "$status"
fi

# ---- outside: the measurement.
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

die() { echo "measure-tests.sh: $*" >&2; exit 1; }

((EUID == 0)) || die "run it as root: it makes namespaces and a root directory and drops to uid 65534"
strace_bin=$(command -v strace) || die "strace is not installed (apt-get install strace)"
for tool in unshare setpriv ip ldd node; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -d node_modules ]] || die "run npm ci in $root first"

corpus_dir=${AIRLOCK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-test-tools}/corpus
# suite | source: a directory of this repository, or corpus:NAME | packages | go test flags
# golangci-lint: its unit-tested packages that do not link the whole program, plus one linter's integration
# test, with -short. Its ~120 linter packages are integration tests that each link a test binary and then run
# `make build` in the source tree (absent from, and read-only in, the sandbox): `./...` would take an hour here.
# yq: -short.
suites=(
  "examples/service|examples/service|./...|"
  "typical-tests|test/seccomp/typical-tests|./...|"
  "dasel|corpus:dasel|./...|"
  "fzf|corpus:fzf|./...|"
  "yq|corpus:yq|./...|-short"
  "golangci-lint|corpus:golangci-lint|./internal/... ./pkg/fsutils/... ./pkg/goutil/... ./pkg/golinters/errcheck/...|-short"
)
if [[ -n "${AIRLOCK_MEASURE_SUITES:-}" ]]; then
  selected=()
  for entry in "${suites[@]}"; do
    for name in $AIRLOCK_MEASURE_SUITES; do [[ "${entry%%|*}" == "$name" ]] && selected+=("$entry"); done
  done
  ((${#selected[@]} > 0)) || die "AIRLOCK_MEASURE_SUITES names no suite of: $(printf '%s ' "${suites[@]%%|*}")"
  suites=("${selected[@]}")
fi

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
  [[ -n "${AIRLOCK_HOME:-}" ]] || echo "measure-tests.sh: AIRLOCK_HOME is not set; using airlock's default store" >&2
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

scratch=$(mktemp -d "${TMPDIR:-/tmp}/airlock-seccomp-tests.XXXXXX")
chmod 755 "$scratch"
cleanup() {
  chmod -R u+w "$scratch" 2>/dev/null || true
  if [[ "${AIRLOCK_MEASURE_KEEP:-}" == 1 ]]; then echo "logs and go test output kept in $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
mkdir -p "$scratch/src" "$scratch/names" "$scratch/args" "$scratch/execs" "$scratch/results" "$scratch/roots" "$scratch/artifacts" "$scratch/attribution"

# The sources: a copy per suite, root's and read-only to the build user as in the sandbox; corpus programs are
# vendored from the corpus cache through a module cache of their own (the shared cache is only read).
program_names=()
for entry in "${suites[@]}"; do
  IFS='|' read -r name source packages flags <<<"$entry"
  dir="$scratch/src/${name//\//-}"
  if [[ "$source" == corpus:* ]]; then
    program=${source#corpus:}
    line=$(node -e '
      const { programs } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const p = programs.find((p) => p.name === process.argv[2]);
      if (p) console.log(`${p.module}\t${p.version}`);' test/corpus/corpus.json "$program")
    [[ -n "$line" ]] || die "$program is not in test/corpus/corpus.json"
    IFS=$'\t' read -r module version <<<"$line"
    [[ -f "$corpus_dir/stamps/$program@$version" ]] || die "the corpus cache $corpus_dir lacks $program@$version: run .ci/fetch-corpus.sh"
    # The module cache escapes capital letters as !lowercase (as src/modules/module-path.ts does).
    escaped=$(sed -E 's/([A-Z])/!\L\1/g' <<<"$module")
    cp -R "$corpus_dir/gomodcache/$escaped@$version" "$dir"
    chmod -R u+w "$dir"
    echo "== vendoring $program@$version (offline, from the corpus cache)"
    (cd "$dir" && env -i PATH="${goroots[0]}/bin:/usr/bin:/bin" HOME="$scratch" GOMODCACHE="$scratch/gomodcache" \
      GOPROXY="file://$corpus_dir/gomodcache/cache/download" GOSUMDB=off GOTOOLCHAIN=local GOWORK=off GOENV=off \
      GOFLAGS="-mod=mod -modcacherw" GOCACHE="$scratch/vendor-gocache" "${goroots[0]}/bin/go" mod vendor) ||
      die "go mod vendor of $program failed"
    program_names+=("corpus:$program@$version")
  else
    cp -R "$source" "$dir"
    program_names+=("$source")
  fi
  chown -R root:root "$dir"
  chmod -R a+rX,go-w "$dir"
done
chmod -R u+w "$scratch/gomodcache" 2>/dev/null || true
rm -rf "$scratch/gomodcache" "$scratch/vendor-gocache"

# run LABEL GOROOT SUITE_DIR VENDORED RESULT_FILE -- GO ARGUMENTS...; returns the go command's exit status.
run() {
  local label=$1 goroot=$2 src=$3 vendored=$4 result=$5 suite_scratch=$6
  shift 7
  local logs="$scratch/logs/$label"
  mkdir -p "$logs"
  chown 65534:65534 "$logs"
  local -a environment=(
    PATH=/usr/local/go/bin HOME=/tmp/home TMPDIR=/tmp GOCACHE=/scratch/gocache GOTMPDIR=/scratch/tmp GOPATH=/tmp/gopath
    GOENV=off GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0 GOOS=linux "GOARCH=$host_arch"
    ZONEINFO=/usr/local/go/lib/time/zoneinfo.zip
  )
  [[ "$vendored" == yes ]] && environment+=(GOFLAGS=-mod=vendor)
  local status=0
  mkdir -p "$scratch/roots/$label"
  timeout --kill-after=30 1500 unshare --mount --net --pid --ipc --uts --fork --kill-child --propagation private -- \
    "$self" --in-sandbox "$scratch/roots/$label" "$goroot" "$src" "$suite_scratch" "$logs" "$strace_bin" "$root/templates/sandbox" -- \
    "${environment[@]}" "$(command -v setpriv)" --no-new-privs -- "$(command -v unshare)" --root="$scratch/roots/$label" --wd=/work/src \
    --setgid=65534 --setuid=65534 -- "$strace_bin" -f -qq -s 128 -e trace=all -o /measure/trace.log /usr/local/go/bin/go "$@" \
    >"$result" 2>"$result.stderr" || status=$?
  local log="$logs/trace.log"
  [[ -s "$log" ]] || { cat "$result.stderr" >&2; die "$label: no strace log (exit $status)"; }
  # The names (a name counts when one of its calls returned: strace artifacts never do), the names dropped
  # for that, and which program made each call the build profile does not allow (test/seccomp/analyse-trace.ts).
  node build/test/seccomp/analyse-trace.js "$log" templates/seccomp/airlock-go-build.json \
    "$scratch/names/$label.txt" "$scratch/artifacts/$label.txt" "$scratch/attribution/$label.txt"
  grep -E '^[0-9]+ +(clone|clone3|prlimit64|prctl|personality|socket|socketpair|mknod|mknodat)\(' "$log" | sed -E 's/^[0-9]+ +//' |
    LC_ALL=C sort -u >"$scratch/args/$label.txt" || true
  grep -oE '^[0-9]+ +execve\("[^"]*"' "$log" | sed -E 's/^[0-9]+ +execve\("//; s/"$//' | LC_ALL=C sort | uniq -c >"$scratch/execs/$label.txt" || true
  [[ "${AIRLOCK_MEASURE_KEEP:-}" == 1 ]] || rm -f "$log"
  rmdir "$scratch/roots/$label" 2>/dev/null || true
  return "$status"
}

summaries=()
started_all=$SECONDS
for i in "${!goroots[@]}"; do
  goroot=${goroots[$i]}
  version=${versions[$i]}
  echo "== $version ($goroot)"
  # One build cache per toolchain, cold at its first suite: the first traces the standard library's cold
  # compile, the later ones the cache hits (the compilers' syscalls are the same in every suite).
  toolchain_scratch="$scratch/scratch/$version"
  mkdir -p "$toolchain_scratch/gocache" "$toolchain_scratch/tmp"
  chown -R 65534:65534 "$toolchain_scratch"
  for entry in "${suites[@]}"; do
    IFS='|' read -r name source packages flags <<<"$entry"
    dir="$scratch/src/${name//\//-}"
    vendored=no
    [[ -d "$dir/vendor" ]] && vendored=yes
    label="$version-${name//\//-}"
    read -r -a package_args <<<"$packages"
    read -r -a flag_args <<<"$flags"

    started=$SECONDS
    vet_status=0
    run "$label-vet" "$goroot" "$dir" "$vendored" "$scratch/results/$label-vet.txt" "$toolchain_scratch" -- vet "${package_args[@]}" || vet_status=$?
    vet_seconds=$((SECONDS - started))
    started=$SECONDS
    test_status=0
    run "$label-test" "$goroot" "$dir" "$vendored" "$scratch/results/$label-test.json" "$toolchain_scratch" -- \
      test -count=1 -json "${flag_args[@]}" "${package_args[@]}" || test_status=$?
    test_seconds=$((SECONDS - started))
    ((test_status == 124 || test_status == 137)) && die "$label: go test ran into the measurement's time limit"
    counts=$(node -e '
      // Counts of a go test -json stream, and why tests failed: per failed test its first line of output that
      // is not a test2json marker, grouped (file:line prefixes, paths and numbers folded).
      const fs = require("fs");
      const tests = { pass: 0, fail: 0, skip: 0 }, packages = { ok: 0, fail: 0, none: 0 };
      const output = new Map(), reasons = new Map(), build = new Map();
      const fold = (text) => text.trim().replace(/^[\w.-]+\.go:\d+: /, "").replace(/\/[^\s:"]+/g, "PATH").replace(/\d+/g, "N").slice(0, 110);
      for (const line of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
        if (!line.startsWith("{")) continue;
        let e; try { e = JSON.parse(line); } catch { continue; }
        const key = `${e.Package} ${e.Test}`;
        if (e.Action === "output" && e.Test && !/^\s*(=== |--- )/.test(e.Output) && e.Output.trim() && !output.has(key)) output.set(key, e.Output);
        if (e.Action === "build-output" && /: /.test(e.Output) && !build.has(e.ImportPath)) build.set(e.ImportPath, e.Output);
        if (e.Test && e.Action in tests) tests[e.Action]++;
        if (e.Test && e.Action === "fail" && !e.Test.includes("/")) {
          const reason = fold(output.get(key) ?? "no output");
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
        if (!e.Test && e.Action === "pass") packages.ok++;
        if (!e.Test && e.Action === "fail") packages.fail++;
        if (!e.Test && e.Action === "skip") packages.none++;
      }
      for (const [path, text] of build) reasons.set(`[build failed] ${path}: ${text.trim().slice(0, 110)}`, 1);
      const why = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([reason, n]) => `\n        ${n} x ${reason}`).join("");
      console.log(`packages ok ${packages.ok} fail ${packages.fail} no-tests ${packages.none}; tests pass ${tests.pass} fail ${tests.fail} skip ${tests.skip}${why}`);
    ' "$scratch/results/$label-test.json")
    summary=$(printf '%-30s vet exit %d (%ds), test exit %d (%ds): %s' "$label" "$vet_status" "$vet_seconds" "$test_status" "$test_seconds" "$counts")
    echo "   $summary"
    summaries+=("$summary")
  done
  chmod -R u+w "$toolchain_scratch" && rm -rf "$toolchain_scratch"
done
echo "== traced runs took $((SECONDS - started_all)) s"

LC_ALL=C sort -u "$scratch"/names/*.txt >"$scratch/syscalls.txt"
args=$(cat "$scratch"/args/*.txt)

echo "== programs the runs executed (count, path; not found is normal: the sandbox holds only the toolchain)"
cat "$scratch"/execs/*.txt | sed -E 's|/go-build[0-9]+/b[0-9]+/|/go-build*/|; s|[0-9]{6,}|N|g' |
  awk '{ n[$2] += $1 } END { for (p in n) printf "   %6d %s\n", n[p], p }' | LC_ALL=C sort -k2

echo "== syscalls beyond the build profile, and the programs that made them (suite: program)"
for file in "$scratch"/attribution/*.txt; do
  label=$(basename "$file" .txt)
  label=${label#go*.*.*-}
  awk -v suite="${label%-*}" -F '\t' '{ print $1 "\t" suite ": " $2 }' "$file"
done | LC_ALL=C sort -u | awk -F '\t' '
  $1 != name { if (name != "") print "   " name ": " list; name = $1; list = $2; next }
  { list = list ", " $2 }
  END { if (name != "") print "   " name ": " list }'

echo "== checking the measured set"
if [[ -n "$(cat "$scratch"/artifacts/*.txt)" ]]; then
  echo "   not counted: names none of whose calls returned (strace 6.1 prints another thread's register as the number of a"
  echo "   call a concurrent exit_group cuts off; such a call never returns):"
  for file in "$scratch"/artifacts/*.txt; do sed "s/^/     $(basename "$file" .txt): /" "$file"; done
fi
if grep -E '^syscall_' "$scratch/syscalls.txt"; then
  die "strace printed syscalls it cannot name (above); use a newer strace"
fi
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
refuse socket 'AF_VSOCK|AF_PACKET' "a test opened an AF_VSOCK or AF_PACKET socket (above); the test profile must keep both denied"

# Socket families, netlink with its protocol, as strace names them.
families=$(grep -E '^(socket|socketpair)\(' <<<"$args" | sed -E 's/^(socket|socketpair)\(([^,]+), [^,]+, ([^,)]+).*/\1 \2 \3/' |
  awk '{ f = $2; if (f == "AF_NETLINK") f = f "/" $3; print $1, f }' | LC_ALL=C sort -u)
socket_families=$(awk '$1 == "socket" { print $2 }' <<<"$families" | LC_ALL=C sort -u)
echo "== socket families opened: $(tr '\n' ' ' <<<"$socket_families")"
other=$(grep -vxE 'AF_UNIX|AF_INET|AF_INET6|AF_NETLINK/NETLINK_ROUTE' <<<"$socket_families" || true)
[[ -z "$other" ]] || echo "measure-tests.sh: warning: tests opened sockets of families the test profile denies (EPERM in the sandbox): $other" >&2
pairs=$(awk '$1 == "socketpair" && $2 != "AF_UNIX" { print $2 }' <<<"$families")
[[ -z "$pairs" ]] || echo "measure-tests.sh: warning: socketpair of families the test profile denies: $pairs" >&2
fifo_bad=$(grep -E '^mknodat\(' <<<"$args" | grep -vE '^mknodat\([^,]+, "[^"]*"(\.\.\.)?, S_IFIFO[|,)]' || true)
[[ -z "$fifo_bad" ]] || { head -n 3 <<<"$fifo_bad" >&2; echo "measure-tests.sh: warning: mknodat of something other than a fifo (above): EPERM in the sandbox" >&2; }

kernel=$(uname -r)
strace_version=$("$strace_bin" -V | head -n 1 | sed -E 's/.*version ([^ ]+).*/\1/')
commands=("go vet PACKAGES" "go test -count=1 -json [-short] PACKAGES")
module_names=()
for i in "${!suites[@]}"; do
  IFS='|' read -r name source packages flags <<<"${suites[$i]}"
  description="${program_names[$i]}"
  [[ "$packages" == ./... ]] || description+=" $packages"
  [[ -z "$flags" ]] || description+=" ($flags)"
  module_names+=("$description")
done

mkdir -p templates/seccomp
node -e '
  const fs = require("node:fs");
  const [out, namesFile, kernel, strace, toolchains, modules, commands, target, families] = process.argv.slice(1);
  const list = (s) => s.split("\n").filter((x) => x !== "");
  const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const measurement = {
    schema: "airlock.dev/seccomp-test-measurement/v1",
    measuredWith: { toolchains: list(toolchains), modules: list(modules), commands: list(commands), targets: [target], kernel, strace },
    socketFamilies: list(families).sort(byName),
    syscalls: list(fs.readFileSync(namesFile, "utf8")).sort(byName),
  };
  fs.writeFileSync(out, JSON.stringify(measurement, null, 2) + "\n");
' templates/seccomp/measured-test-syscalls.json "$scratch/syscalls.txt" "$kernel" "$strace_version" \
  "$(printf '%s\n' "${versions[@]}")" "$(printf '%s\n' "${module_names[@]}")" "$(printf '%s\n' "${commands[@]}")" \
  "linux/$host_arch" "$socket_families"

echo "== $(wc -l <"$scratch/syscalls.txt") distinct syscalls: templates/seccomp/measured-test-syscalls.json"
node build/test/seccomp/generate-test-profile.js

x86_header=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
generic_header=/usr/include/asm-generic/unistd.h
if [[ -r "$x86_header" && -r "$generic_header" ]]; then
  node -e '
    const fs = require("node:fs");
    const [profileFile, ...headers] = process.argv.slice(1);
    const known = new Set(headers.flatMap((h) => [...fs.readFileSync(h, "utf8").matchAll(/__NR_([a-z0-9_]+)/g)].map((m) => m[1])));
    const names = JSON.parse(fs.readFileSync(profileFile, "utf8")).syscalls.flatMap((rule) => rule.names);
    const unknown = [...new Set(names)].filter((name) => !known.has(name));
    if (unknown.length > 0) { console.error(`measure-tests.sh: not syscalls of x86_64 or aarch64: ${unknown.join(", ")}`); process.exit(1); }
    console.log(`== all ${new Set(names).size} names in the profile are x86_64 or aarch64 syscalls (UAPI headers)`);
  ' templates/seccomp/airlock-go-test.json "$x86_header" "$generic_header"
else
  echo "== skipped the syscall-name check: install linux-libc-dev for the UAPI headers"
fi

echo "== per suite (vet and test exit status, go test -json counts)"
printf '   %s\n' "${summaries[@]}"

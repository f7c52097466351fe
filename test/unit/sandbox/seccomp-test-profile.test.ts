import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';

import { packageRoot } from '../../../src/util/package-root.js';
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  AF_UNIX,
  ENOSYS,
  EPERM,
  NETLINK_ROUTE,
  S_IFIFO,
  SECCOMP_MEASUREMENT_FILE,
  SECCOMP_TEST_MEASUREMENT_FILE,
  TEST_MEASURED_BUT_DENIED,
  TEST_PROFILE_FILE,
  TEST_SECCOMP_MARGIN,
  TEST_SOCKET_FAMILIES,
  TEST_SOCKET_OPERATIONS,
  type SeccompAction,
  type SeccompArg,
  type SeccompProfile,
  allowedSyscalls,
  buildSeccompProfile,
  buildTestSeccompProfile,
  deniedSyscalls,
  parseSeccompMeasurement,
  parseSeccompTestMeasurement,
  renderSeccompProfile,
  testDeniedSyscalls,
} from '../../seccomp/seccomp-profile.js';

const directory = path.join(packageRoot(), 'templates', 'seccomp');
const committedText = fs.readFileSync(path.join(directory, TEST_PROFILE_FILE), 'utf8');
const committed = JSON.parse(committedText) as SeccompProfile;
const buildMeasurement = parseSeccompMeasurement(JSON.parse(fs.readFileSync(path.join(directory, SECCOMP_MEASUREMENT_FILE), 'utf8')));
const testMeasurement = parseSeccompTestMeasurement(JSON.parse(fs.readFileSync(path.join(directory, SECCOMP_TEST_MEASUREMENT_FILE), 'utf8')));
const buildProfile = buildSeccompProfile(buildMeasurement.syscalls);

// Constants the kernel defines; written out here rather than imported, so a wrong value in the profile's module shows.
const AF_PACKET = 17;
const AF_ALG = 38;
const AF_VSOCK = 40;
const AF_BLUETOOTH = 31;
const AF_XDP = 44;
const NETLINK_KOBJECT_UEVENT = 15;
const NETLINK_AUDIT = 9;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_VM_VFORK_SIGCHLD = 0x100 | 0x4000 | 17;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFREG = 0o100000;
const S_IFSOCK = 0o140000;

interface Verdict {
  action: SeccompAction;
  errno?: number;
}

/**
 * What a seccomp filter made from the profile answers, the way libseccomp builds it: the rules that name the
 * call and whose comparisons all hold (ANDed within a rule) decide; rules of one name are alternatives (ORed);
 * a call no rule matches gets the default action. Rules that match together must agree (libseccomp refuses
 * conflicting ones), and the evaluator fails the test when they do not.
 */
function evaluate(profile: SeccompProfile, name: string, args: readonly number[] = []): Verdict {
  const holds = (arg: SeccompArg): boolean => {
    const value = BigInt(args[arg.index] ?? 0);
    if (arg.op === 'SCMP_CMP_EQ') return value === BigInt(arg.value);
    return (value & BigInt(arg.value)) === BigInt(arg.valueTwo);
  };
  const matching = profile.syscalls.filter((rule) => rule.names.includes(name) && (rule.args ?? []).every(holds));
  if (matching.length === 0) return { action: profile.defaultAction, errno: profile.defaultErrnoRet };
  const verdicts = new Set(matching.map((rule) => `${rule.action}/${rule.errnoRet ?? ''}`));
  if (verdicts.size > 1) throw new Error(`rules for ${name}(${args.join(', ')}) disagree: ${[...verdicts].join(' ')}`);
  const [rule] = matching;
  return rule!.action === 'SCMP_ACT_ALLOW' ? { action: 'SCMP_ACT_ALLOW' } : { action: rule!.action, errno: rule!.errnoRet ?? profile.defaultErrnoRet };
}

const ALLOW: Verdict = { action: 'SCMP_ACT_ALLOW' };
const DENY: Verdict = { action: 'SCMP_ACT_ERRNO', errno: EPERM };

test('the committed test profile is byte-identical to what generate-test-profile makes from the two committed measurements', (t) => {
  const expected = renderSeccompProfile(buildTestSeccompProfile(buildMeasurement.syscalls, testMeasurement.syscalls));
  t.true(committedText === expected, 'templates/seccomp/airlock-go-test.json is stale or edited by hand: run `node build/test/seccomp/generate-test-profile.js`');
});

test('the test measurement is sorted, without duplicates, and records what it covered', (t) => {
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  t.deepEqual(testMeasurement.syscalls, [...new Set(testMeasurement.syscalls)].sort(byName));
  t.deepEqual(testMeasurement.socketFamilies, [...new Set(testMeasurement.socketFamilies)].sort(byName));
  for (const key of ['toolchains', 'modules', 'commands', 'targets'] as const) t.true(testMeasurement.measuredWith[key].length > 0, key);
});

test('the test profile is the build profile plus what tests need: same default, architectures and rules, only the EPERM group shrinks', (t) => {
  t.is(committed.defaultAction, 'SCMP_ACT_ERRNO');
  t.is(committed.defaultErrnoRet, EPERM);
  t.deepEqual(committed.archMap, buildProfile.archMap);
  const kept = buildProfile.syscalls.slice(0, -1);
  t.deepEqual(committed.syscalls.slice(0, kept.length), kept);
  const denyGroup = committed.syscalls.at(-1);
  t.is(denyGroup?.action, 'SCMP_ACT_ERRNO');
  t.is(denyGroup?.errnoRet, EPERM);
  t.deepEqual(denyGroup?.names, testDeniedSyscalls(testMeasurement.syscalls));
  for (const rule of committed.syscalls) if (rule.args) t.is(rule.names.length, 1, `argument rules name one syscall each: ${rule.names.join(', ')}`);
});

test('socket: AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK/NETLINK_ROUTE only; every other family and netlink protocol gets EPERM', (t) => {
  for (const type of [SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM | SOCK_CLOEXEC]) {
    t.deepEqual(evaluate(committed, 'socket', [AF_INET, type, 0]), ALLOW, `AF_INET type ${type}`);
    t.deepEqual(evaluate(committed, 'socket', [AF_INET, type, 262]), ALLOW, `AF_INET type ${type} IPPROTO_MPTCP`);
    t.deepEqual(evaluate(committed, 'socket', [AF_INET6, type, 0]), ALLOW, `AF_INET6 type ${type}`);
    t.deepEqual(evaluate(committed, 'socket', [AF_UNIX, type, 0]), ALLOW, `AF_UNIX type ${type}`);
  }
  t.deepEqual(evaluate(committed, 'socket', [AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE]), ALLOW);
  t.deepEqual(evaluate(committed, 'socket', [AF_VSOCK, SOCK_STREAM, 0]), DENY, 'AF_VSOCK');
  t.deepEqual(evaluate(committed, 'socket', [AF_PACKET, SOCK_RAW, 0x0300]), DENY, 'AF_PACKET');
  t.deepEqual(evaluate(committed, 'socket', [AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT]), DENY, 'AF_NETLINK/NETLINK_KOBJECT_UEVENT');
  t.deepEqual(evaluate(committed, 'socket', [AF_NETLINK, SOCK_RAW, NETLINK_AUDIT]), DENY, 'AF_NETLINK/NETLINK_AUDIT');
  t.deepEqual(evaluate(committed, 'socket', [AF_ALG, 5, 0]), DENY, 'AF_ALG');
  t.deepEqual(evaluate(committed, 'socket', [AF_BLUETOOTH, SOCK_RAW, 0]), DENY, 'AF_BLUETOOTH');
  t.deepEqual(evaluate(committed, 'socket', [AF_XDP, SOCK_RAW, 0]), DENY, 'AF_XDP');
  // Every family number the kernel knows (AF_MAX is 46 in Linux 6.x) and a few beyond, with every netlink protocol.
  const allowed = new Set([AF_UNIX, AF_INET, AF_INET6]);
  for (let family = 0; family < 64; family++) {
    for (const protocol of family === AF_NETLINK ? Array.from({ length: 32 }, (_, i) => i) : [0, 1, 6, 17]) {
      const expected = allowed.has(family) || (family === AF_NETLINK && protocol === NETLINK_ROUTE) ? ALLOW : DENY;
      t.deepEqual(evaluate(committed, 'socket', [family, SOCK_RAW, protocol]), expected, `socket(${family}, SOCK_RAW, ${protocol})`);
    }
  }
  // Upper bits set: the filter compares all 64 bits, so an allow rule fails closed (the kernel would read the low 32).
  t.deepEqual(evaluate(committed, 'socket', [2 ** 32 + AF_INET, SOCK_STREAM, 0]), DENY);
});

test('socketpair: AF_UNIX only', (t) => {
  t.deepEqual(evaluate(committed, 'socketpair', [AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0]), ALLOW);
  for (const family of [AF_INET, AF_INET6, AF_NETLINK, AF_VSOCK, AF_PACKET]) t.deepEqual(evaluate(committed, 'socketpair', [family, SOCK_STREAM, 0]), DENY, `${family}`);
});

test('socket operations: the measured ones and the margin are allowed; accept, sendmmsg and recvmmsg stay denied by name', (t) => {
  for (const name of TEST_SOCKET_OPERATIONS) t.deepEqual(evaluate(committed, name), ALLOW, name);
  for (const name of ['accept', 'sendmmsg', 'recvmmsg']) {
    t.deepEqual(evaluate(committed, name), DENY, name);
    t.true(committed.syscalls.at(-1)!.names.includes(name), `${name} is in the EPERM group`);
  }
  for (const entry of TEST_SECCOMP_MARGIN) {
    t.true(entry.reason.trim().length >= 10, `margin entry ${entry.name} needs a reason`);
    t.true(TEST_SOCKET_OPERATIONS.includes(entry.name), `${entry.name} is a socket operation`);
  }
});

test('everything else the build profile denies stays denied (ptrace, mounts, namespaces, setuid, bpf, io_uring, keyrings, vsock, ...)', (t) => {
  const opened = new Set([...TEST_SOCKET_OPERATIONS, 'socket', 'socketpair', 'mknodat']);
  for (const name of deniedSyscalls()) {
    if (opened.has(name)) continue;
    t.deepEqual(evaluate(committed, name), DENY, name);
    t.true(committed.syscalls.at(-1)!.names.includes(name), `${name} is still denied by name`);
  }
  for (const name of ['ptrace', 'mount', 'unshare', 'setns', 'setuid', 'setresuid', 'setgroups', 'bpf', 'perf_event_open', 'io_uring_setup', 'keyctl', 'memfd_create', 'ioctl', 'mknod', 'open_by_handle_at']) {
    t.deepEqual(evaluate(committed, name), DENY, name);
  }
  t.deepEqual(evaluate(committed, 'clone', [CLONE_NEWUSER | CLONE_VM_VFORK_SIGCHLD]), DENY, 'clone with CLONE_NEWUSER');
  t.deepEqual(evaluate(committed, 'clone', [CLONE_VM_VFORK_SIGCHLD]), ALLOW, 'clone without namespace flags');
  t.deepEqual(evaluate(committed, 'clone3'), { action: 'SCMP_ACT_ERRNO', errno: ENOSYS });
  t.deepEqual(evaluate(committed, 'prlimit64', [1]), DENY, 'prlimit64 on another process');
  t.deepEqual(evaluate(committed, 'personality', [0x0040000]), DENY, 'personality(ADDR_NO_RANDOMIZE)');
  t.deepEqual(evaluate(committed, 'sysinfo'), DENY, 'an unlisted call gets the default');
});

test('mknodat: fifos only, and only when the measurement shows it', (t) => {
  const measured = testMeasurement.syscalls.includes('mknodat');
  t.deepEqual(evaluate(committed, 'mknodat', [-100, 0, S_IFIFO | 0o600, 0]), measured ? ALLOW : DENY, 'a fifo');
  for (const kind of [S_IFCHR, S_IFBLK, S_IFREG, S_IFSOCK]) t.deepEqual(evaluate(committed, 'mknodat', [-100, 0, kind | 0o600, 0x0103]), DENY, `mode ${kind.toString(8)}`);

  const withFifo = buildTestSeccompProfile(buildMeasurement.syscalls, ['read', 'mknodat']);
  t.deepEqual(evaluate(withFifo, 'mknodat', [-100, 0, S_IFIFO | 0o644, 0]), ALLOW);
  t.deepEqual(evaluate(withFifo, 'mknodat', [-100, 0, S_IFCHR | 0o644, 0x0103]), DENY);
  t.deepEqual(evaluate(withFifo, 'mknod', [0, S_IFIFO | 0o644, 0]), DENY);
  const withoutFifo = buildTestSeccompProfile(buildMeasurement.syscalls, ['read']);
  t.deepEqual(evaluate(withoutFifo, 'mknodat', [-100, 0, S_IFIFO | 0o644, 0]), DENY);
  t.true(withoutFifo.syscalls.at(-1)!.names.includes('mknodat'));
});

test('every measured name is allowed, unless TEST_MEASURED_BUT_DENIED explains why it stays denied', (t) => {
  const allowed = new Set(allowedSyscalls(committed));
  const explained = new Map(TEST_MEASURED_BUT_DENIED.map((entry) => [entry.name, entry.reason]));
  t.deepEqual(
    testMeasurement.syscalls.filter((name) => !allowed.has(name) && !explained.has(name)),
    [],
  );
  for (const [name, reason] of explained) {
    t.deepEqual(evaluate(committed, name), DENY, name);
    t.true(reason.trim().length >= 10, `${name} needs a reason`);
  }
});

test('every name the test profile adds to the build profile was measured in a test run, is a margin entry or an argument rule', (t) => {
  const buildAllowed = new Set(allowedSyscalls(buildProfile));
  const measured = new Set(testMeasurement.syscalls);
  const margin = new Set(TEST_SECCOMP_MARGIN.map((entry) => entry.name));
  const added = allowedSyscalls(committed).filter((name) => !buildAllowed.has(name));
  t.deepEqual(
    added.filter((name) => !measured.has(name) && !margin.has(name) && !['socket', 'socketpair', 'mknodat'].includes(name)),
    [],
  );
  t.true(added.length < 50, `${added.length} names added`);
});

test('every socket family the measured tests opened is allowed, and none is vsock or packet', (t) => {
  const numbers: Record<string, [number, number]> = {
    AF_UNIX: [AF_UNIX, 0],
    AF_INET: [AF_INET, 0],
    AF_INET6: [AF_INET6, 0],
    'AF_NETLINK/NETLINK_ROUTE': [AF_NETLINK, NETLINK_ROUTE],
  };
  t.deepEqual([...TEST_SOCKET_FAMILIES].sort(), Object.keys(numbers).sort());
  for (const family of testMeasurement.socketFamilies) {
    const known = numbers[family];
    if (!known) {
      t.fail(`the tests opened ${family}, which the profile denies: note it in the report, or decide the policy`);
      continue;
    }
    t.deepEqual(evaluate(committed, 'socket', [known[0], SOCK_STREAM, known[1]]), ALLOW, family);
  }
});

test('buildTestSeccompProfile: same bytes whatever the order or repetition of the measured names', (t) => {
  const names = testMeasurement.syscalls;
  const shuffled = [...names].reverse().concat(names.slice(0, 5));
  t.is(renderSeccompProfile(buildTestSeccompProfile(buildMeasurement.syscalls, shuffled)), renderSeccompProfile(buildTestSeccompProfile(buildMeasurement.syscalls, names)));
});

test('buildTestSeccompProfile refuses a measured call the policy denies, and an unnamed syscall', (t) => {
  t.throws(() => buildTestSeccompProfile(buildMeasurement.syscalls, ['read', 'ptrace']), { message: /ptrace.*denies by policy/ });
  t.throws(() => buildTestSeccompProfile(buildMeasurement.syscalls, ['read', 'accept']), { message: /accept.*denies by policy/ });
  t.throws(() => buildTestSeccompProfile(buildMeasurement.syscalls, ['read', 'syscall_0x1c7']), { message: /not syscall names: syscall_0x1c7/ });
  t.throws(() => buildTestSeccompProfile(['read', 'socket'], ['read']), { message: /socket.*denies by policy/ }, 'the build measurement is checked as before');
});

test('parseSeccompTestMeasurement rejects other shapes', (t) => {
  t.throws(() => parseSeccompTestMeasurement({ ...testMeasurement, schema: 'airlock.dev/seccomp-measurement/v1' }), { message: /schema/ });
  t.throws(() => parseSeccompTestMeasurement({ ...testMeasurement, syscalls: [] }), { message: /syscalls/ });
  t.throws(() => parseSeccompTestMeasurement({ ...testMeasurement, socketFamilies: 'AF_INET' }), { message: /socketFamilies/ });
  t.throws(() => parseSeccompTestMeasurement({ ...testMeasurement, measuredWith: { ...testMeasurement.measuredWith, commands: undefined } }), { message: /commands/ });
});

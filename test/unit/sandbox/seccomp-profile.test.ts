import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';

import { packageRoot } from '../../../src/util/package-root.js';
import { STRICT_PROFILE_FILE } from '../../../src/sandbox/seccomp-choice.js';
import {
  CLONE_NAMESPACE_MASK,
  ENOSYS,
  EPERM,
  SECCOMP_DENIED,
  SECCOMP_MARGIN,
  SECCOMP_MEASUREMENT_FILE,
  type SeccompProfile,
  type SeccompRule,
  allowedSyscalls,
  buildSeccompProfile,
  deniedSyscalls,
  parseSeccompMeasurement,
  renderSeccompProfile,
} from '../../seccomp/seccomp-profile.js';

const directory = path.join(packageRoot(), 'templates', 'seccomp');
const committedText = fs.readFileSync(path.join(directory, STRICT_PROFILE_FILE), 'utf8');
const committed = JSON.parse(committedText) as SeccompProfile;
const measurement = parseSeccompMeasurement(JSON.parse(fs.readFileSync(path.join(directory, SECCOMP_MEASUREMENT_FILE), 'utf8')));

const SOCKET_FAMILY = [
  'socket',
  'socketpair',
  'socketcall',
  'connect',
  'bind',
  'listen',
  'accept',
  'accept4',
  'sendto',
  'recvfrom',
  'sendmsg',
  'recvmsg',
  'sendmmsg',
  'recvmmsg',
  'getsockopt',
  'setsockopt',
  'getsockname',
  'getpeername',
  'shutdown',
];

const rulesFor = (profile: SeccompProfile, name: string): SeccompRule[] => profile.syscalls.filter((rule) => rule.names.includes(name));

const onlyRuleFor = (t: { fail(message: string): void }, profile: SeccompProfile, name: string): SeccompRule | undefined => {
  const rules = rulesFor(profile, name);
  if (rules.length !== 1) t.fail(`${name} should be in exactly one rule, found ${rules.length}`);
  return rules[0];
};

test('the committed profile allows every syscall go build was measured making', (t) => {
  const allowed = new Set(allowedSyscalls(committed));
  const missing = measurement.syscalls.filter((name) => !allowed.has(name));
  t.deepEqual(missing, [], `measured but not allowed: ${missing.join(', ')}`);
});

test('the committed profile is byte-identical to what generate-profile makes from the committed measurement', (t) => {
  const expected = renderSeccompProfile(buildSeccompProfile(measurement.syscalls));
  t.true(committedText === expected, 'templates/seccomp/airlock-go-build.json is stale or edited by hand: run `node build/test/seccomp/generate-profile.js`');
});

test('the measurement is sorted, without duplicates, and records what it covered', (t) => {
  const sorted = [...new Set(measurement.syscalls)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  t.deepEqual(measurement.syscalls, sorted);
  t.true(measurement.measuredWith.toolchains.length > 0);
  t.true(measurement.measuredWith.targets.length > 0);
  t.true(measurement.measuredWith.modules.length > 0);
});

test('the default action is ERRNO (EPERM, as Docker 20.10 answers regardless)', (t) => {
  t.is(committed.defaultAction, 'SCMP_ACT_ERRNO');
  t.is(committed.defaultErrnoRet, EPERM);
});

test('no socket-family syscall is allowed, and socket and socketpair are denied by name', (t) => {
  const allowed = new Set(allowedSyscalls(committed));
  t.deepEqual(
    SOCKET_FAMILY.filter((name) => allowed.has(name)),
    [],
  );
  for (const name of ['socket', 'socketpair', 'connect', 'bind']) {
    const rule = onlyRuleFor(t, committed, name);
    t.is(rule?.action, 'SCMP_ACT_ERRNO', name);
    t.is(rule?.errnoRet, EPERM, name);
  }
});

test('clone3 returns ENOSYS so callers fall back to clone', (t) => {
  const rule = onlyRuleFor(t, committed, 'clone3');
  t.deepEqual(rule && { action: rule.action, errnoRet: rule.errnoRet, args: rule.args }, { action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, args: undefined });
  t.is(ENOSYS, 38);
});

test('clone is allowed only without namespace flags (mask 0x7E020000)', (t) => {
  const rule = onlyRuleFor(t, committed, 'clone');
  t.is(CLONE_NAMESPACE_MASK, 0x7e020000);
  t.is(rule?.action, 'SCMP_ACT_ALLOW');
  t.deepEqual(rule?.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
});

test('prlimit64 only on the own process, personality only as a query, prctl only to name memory', (t) => {
  t.deepEqual(onlyRuleFor(t, committed, 'prlimit64')?.args, [{ index: 0, value: 0, valueTwo: 0, op: 'SCMP_CMP_EQ' }]);
  t.deepEqual(onlyRuleFor(t, committed, 'personality')?.args, [{ index: 0, value: 0xffffffff, valueTwo: 0, op: 'SCMP_CMP_EQ' }]);
  t.deepEqual(onlyRuleFor(t, committed, 'prctl')?.args, [
    { index: 0, value: 0x53564d41, valueTwo: 0, op: 'SCMP_CMP_EQ' },
    { index: 1, value: 0, valueTwo: 0, op: 'SCMP_CMP_EQ' },
  ]);
  for (const rule of committed.syscalls) {
    if (rule.args) t.is(rule.names.length, 1, `argument rules name one syscall each: ${rule.names.join(', ')}`);
  }
});

test('archMap: x86_64 and aarch64 only, with no x32/x86/arm sub-architectures', (t) => {
  t.deepEqual(committed.archMap, [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] },
  ]);
  const text = JSON.stringify(committed.archMap);
  t.false(/X32|SCMP_ARCH_X86"|SCMP_ARCH_ARM"/.test(text));
});

test('the allowlist is small and every name on it is measured, argument-filtered or a margin entry with a reason', (t) => {
  const allowed = allowedSyscalls(committed);
  t.true(allowed.length < 100, `${allowed.length} allowed names`);
  const measured = new Set(measurement.syscalls);
  const margin = new Map(SECCOMP_MARGIN.map((entry) => [entry.name, entry.reason]));
  const filtered = new Set(committed.syscalls.filter((rule) => rule.args).flatMap((rule) => rule.names));
  const unexplained = allowed.filter((name) => !measured.has(name) && !margin.has(name) && !filtered.has(name));
  t.deepEqual(unexplained, [], `allowed without a measurement or a reason: ${unexplained.join(', ')}`);
  for (const entry of SECCOMP_MARGIN) t.true(entry.reason.trim().length >= 10, `margin entry ${entry.name} needs a reason`);
  t.is(margin.size, SECCOMP_MARGIN.length, 'a margin name is listed twice');
  // The margin rule holds exactly the margin names the measurement did not already show.
  const marginRule = committed.syscalls.find((rule) => rule.comment.startsWith('margin:'));
  const expectedMargin = SECCOMP_MARGIN.map((entry) => entry.name).filter((name) => !measured.has(name) && !filtered.has(name));
  t.deepEqual([...(marginRule?.names ?? [])].sort(), expectedMargin.sort());
});

test('no syscall is both allowed and denied, and every deny group has a reason', (t) => {
  const denied = new Set(deniedSyscalls());
  t.deepEqual(
    allowedSyscalls(committed).filter((name) => denied.has(name)),
    [],
  );
  t.deepEqual(
    SECCOMP_MARGIN.filter((entry) => denied.has(entry.name)).map((entry) => entry.name),
    [],
  );
  for (const group of SECCOMP_DENIED) t.true(group.reason.length > 0, group.names.join(', '));
  const names = committed.syscalls.flatMap((rule) => rule.names);
  t.is(new Set(names).size, names.length, 'a name appears in two rules');
  for (const name of ['ptrace', 'mount', 'unshare', 'setns', 'keyctl', 'bpf', 'io_uring_setup', 'memfd_create', 'ioctl', 'setuid', 'mknodat', 'open_by_handle_at']) {
    t.true(denied.has(name), name);
  }
});

test('buildSeccompProfile: same bytes whatever the order or repetition of the measured names', (t) => {
  const names = measurement.syscalls;
  const shuffled = [...names].reverse().concat(names.slice(0, 5));
  t.is(renderSeccompProfile(buildSeccompProfile(shuffled)), renderSeccompProfile(buildSeccompProfile(names)));
  t.true(renderSeccompProfile(buildSeccompProfile(names)).endsWith('}\n'));
});

test('buildSeccompProfile refuses a measurement with a denied call or an unnamed syscall', (t) => {
  t.throws(() => buildSeccompProfile(['read', 'socket']), { message: /socket.*denies by policy/ });
  t.throws(() => buildSeccompProfile(['read', 'syscall_0x1c7']), { message: /not syscall names: syscall_0x1c7/ });
  t.throws(() => buildSeccompProfile(['Read']), { message: /not syscall names/ });
});

test('parseSeccompMeasurement rejects other shapes', (t) => {
  t.throws(() => parseSeccompMeasurement({ schema: 'x' }), { message: /schema/ });
  t.throws(() => parseSeccompMeasurement({ ...measurement, syscalls: [] }), { message: /syscalls/ });
  t.throws(() => parseSeccompMeasurement({ ...measurement, measuredWith: { ...measurement.measuredWith, kernel: 6 } }), { message: /kernel/ });
});

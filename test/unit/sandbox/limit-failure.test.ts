/**
 * Which sandbox limit stopped a build, read from what the real go command printed when it hit each one
 * (test/fixtures/limit-failures/, captured by its capture.sh from builds of examples/cli in the sandbox image
 * under one lowered limit each). Every limit is named with its value and its airlock.json key, and no limit
 * ever tells the user to fix their code; a real compile error is never taken for a limit.
 */
import fs from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { packageRoot } from '../../../src/util/package-root.js';
import { diagnoseLimitFailure, scratchOverrunDiagnosis, timeoutDiagnosis } from '../../../src/sandbox/limit-failure.js';
import { applySandboxLimits, defaultSandboxPolicy } from '../../../src/sandbox/policy.js';
import { explainGoBuildFailure } from '../../../src/sandbox/build-failure.js';

const FIXTURES = path.join(packageRoot(), 'test', 'fixtures', 'limit-failures');
const LABEL = './cmd/cli for linux/amd64 with go1.26.8';
const policy = applySandboxLimits(defaultSandboxPolicy(2), { pids: 16, nofile: 16, memoryMiB: 256, tmpfsMiB: 32, scratchMiB: 512 });

function captured(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, `${name}.go1.26.8.stderr`), 'utf8');
}

const CASES = [
  { fixture: 'pids-limit', limit: 'pids-limit', names: /limit of 16 processes and threads \(sandbox\.pids\)/, hint: /sandbox\.pids/ },
  { fixture: 'nofile-limit', limit: 'nofile-limit', names: /limit of 16 open files \(sandbox\.nofile\)/, hint: /sandbox\.nofile/ },
  { fixture: 'out-of-memory', limit: 'out-of-memory', names: /limit is 256 MiB \(sandbox\.memoryMiB\)/, hint: /sandbox\.memoryMiB/ },
  { fixture: 'tmpfs-full', limit: 'disk-full', names: /32 MiB tmpfs at \/tmp \(sandbox\.tmpfsMiB\)/, hint: /sandbox\.tmpfsMiB/ },
  { fixture: 'file-too-large', limit: 'disk-full', names: /scratch limit of 512 MiB \(sandbox\.scratchMiB\)/, hint: /sandbox\.scratchMiB/ },
  { fixture: 'scratch-device-full', limit: 'disk-full', names: /the engine's disk is full/, hint: /free space.*sandbox\.scratchMiB/ },
] as const;

for (const { fixture, limit, names, hint } of CASES) {
  test(`real go output under a lowered limit: ${fixture} is ${limit}, named with its value and key`, (t) => {
    const stderr = captured(fixture);
    t.true(stderr.length > 0, 'the fixture holds what the go command printed');
    const diagnosis = diagnoseLimitFailure({ exitCode: 1, stderr }, policy, LABEL);
    t.truthy(diagnosis, stderr.slice(0, 400));
    t.is(diagnosis!.limit, limit);
    t.regex(diagnosis!.message, names);
    t.true(diagnosis!.message.startsWith(`go build of ${LABEL}`));
    t.regex(diagnosis!.hint, hint);
    t.notRegex(diagnosis!.hint, /fix the errors|your code/);
  });
}

test('a real compile error is no limit, and keeps the compile-error hint', (t) => {
  const stderr = captured('compile-error');
  t.regex(stderr, /undefined: undefinedName/);
  t.is(diagnoseLimitFailure({ exitCode: 1, stderr }, policy, LABEL), undefined);
  t.regex(explainGoBuildFailure(stderr), /fix the errors the go command reports/);
});

test('the go command killed outright (exit 137) is out of memory, whatever it printed', (t) => {
  t.is(diagnoseLimitFailure({ exitCode: 137, stderr: '' }, policy, LABEL)?.limit, 'out-of-memory');
});

test('a full device under the scratch volume\'s /scratch/tmp is the disk, not the /tmp tmpfs', (t) => {
  const stderr = 'math: write /scratch/tmp/go-build1/b001/importcfg: no space left on device\n';
  t.regex(diagnoseLimitFailure({ exitCode: 1, stderr }, policy, LABEL)!.message, /engine's disk is full/);
  const tmp = 'math: write /tmp/x/importcfg: no space left on device\n';
  t.regex(diagnoseLimitFailure({ exitCode: 1, stderr: tmp }, policy, LABEL)!.message, /tmpfs at \/tmp/);
});

test('each limit is named from the policy, not from fixed numbers', (t) => {
  const other = applySandboxLimits(defaultSandboxPolicy(2), { pids: 700, nofile: 9000, memoryMiB: 5000 });
  t.regex(diagnoseLimitFailure({ exitCode: 1, stderr: captured('pids-limit') }, other, LABEL)!.message, /limit of 700 processes/);
  t.regex(diagnoseLimitFailure({ exitCode: 1, stderr: captured('nofile-limit') }, other, LABEL)!.message, /limit of 9000 open files/);
  t.regex(diagnoseLimitFailure({ exitCode: 1, stderr: captured('out-of-memory') }, other, LABEL)!.message, /5000 MiB/);
});

test('the guard stopping a build names the scratch limit and its key; a full cache volume says how to empty it', (t) => {
  const scratch = scratchOverrunDiagnosis({ volume: 'w0-scratch', bytes: 700 * 1024 ** 2, limitBytes: 512 * 1024 ** 2 }, LABEL, 'airlock-gocache-x');
  t.is(scratch.limit, 'disk-full');
  t.regex(scratch.message, /wrote 700 MiB of scratch .* limit of 512 MiB \(sandbox\.scratchMiB\)/);
  t.regex(scratch.hint, /raise sandbox\.scratchMiB/);
  const cache = scratchOverrunDiagnosis({ volume: 'airlock-gocache-x', bytes: 700 * 1024 ** 2, limitBytes: 512 * 1024 ** 2 }, LABEL, 'airlock-gocache-x');
  t.regex(cache.message, /build cache volume airlock-gocache-x holds 700 MiB/);
  t.regex(cache.hint, /airlock prune/);
});

test('the time limit is named with its value and key', (t) => {
  const diagnosis = timeoutDiagnosis(applySandboxLimits(defaultSandboxPolicy(2), { timeoutSeconds: 42 }), LABEL);
  t.is(diagnosis.limit, 'timeout');
  t.regex(diagnosis.message, /limit of 42s \(sandbox\.timeoutSeconds\)/);
  t.regex(diagnosis.hint, /sandbox\.timeoutSeconds/);
});

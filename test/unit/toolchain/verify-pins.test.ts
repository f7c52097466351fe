import path from 'node:path';

import test from 'ava';

import { ExitCode, VerificationError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { findPins, loadToolchainMatrix, parseToolchainMatrix } from '../../../src/toolchain/matrix.js';
import { type ToolchainEvidence, verifyAgainstMatrix } from '../../../src/toolchain/verify-pins.js';

// The shipped matrix, read from a fixed path so AIRLOCK_TOOLCHAINS in the environment cannot change the goldens.
const MATRIX = loadToolchainMatrix(path.join(packageRoot(), 'toolchains', 'go.json'));
const PINS_1268 = findPins(MATRIX, 'go1.26.8', 'linux/amd64')!;
const PINS_1273 = findPins(MATRIX, 'go1.27.3', 'linux/amd64')!;

// A digest of the right shape that no pin has.
const OTHER_H1 = 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const OTHER_SHA256 = 'f'.repeat(64);

const evidence = (overrides: Partial<ToolchainEvidence> = {}): ToolchainEvidence => ({
  identity: { version: 'go1.26.8', goos: 'linux', goarch: 'amd64' },
  treeDigest: PINS_1268.treeDigest,
  ...overrides,
});

const PINNED = { trustOnFirstUse: false };
const TOFU = { trustOnFirstUse: true };

test('the pins these tests use are in the shipped matrix', (t) => {
  t.is(PINS_1268.treeDigest, 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=');
  t.is(PINS_1268.module?.h1, PINS_1268.treeDigest);
  t.is(PINS_1268.archive?.sha256, 'd0f743b33e8d8945e6b1f432edd15785c70507121d6e2a723b21285eddf8b57b');
  t.is(PINS_1273.archive, undefined, 'go1.27.3 has no archive pin');
  t.not(OTHER_H1, PINS_1268.treeDigest);
});

test('a tree matching its pin is pinned, with the check listed', (t) => {
  t.deepEqual(verifyAgainstMatrix(MATRIX, evidence(), PINNED), {
    status: 'pinned',
    checks: [`tree digest ${PINS_1268.treeDigest}`],
    notes: [],
  });
  // The same with trust on first use allowed: a pinned toolchain is still verified as pinned.
  t.is(verifyAgainstMatrix(MATRIX, evidence(), TOFU).status, 'pinned');
});

test('a module zip matching its pin lists the zip h1 check before the tree check', (t) => {
  const result = verifyAgainstMatrix(MATRIX, evidence({ moduleH1: PINS_1268.module!.h1 }), PINNED);
  t.deepEqual(result, {
    status: 'pinned',
    checks: [`module zip h1 ${PINS_1268.module!.h1}`, `tree digest ${PINS_1268.treeDigest}`],
    notes: [],
  });
});

test('a tree that does not match its pin is a VerificationError with the expected and the actual digest', (t) => {
  const error = t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ treeDigest: OTHER_H1 }), PINNED), { instanceOf: VerificationError });
  t.is(error?.exitCode, ExitCode.verificationFailed);
  t.true(error?.message.includes(PINS_1268.treeDigest), 'expected digest');
  t.true(error?.message.includes(OTHER_H1), 'actual digest');
  t.true(error!.message.indexOf(PINS_1268.treeDigest) < error!.message.indexOf(OTHER_H1), 'expected before actual');
  t.regex(error?.message ?? '', /go1\.26\.8 linux\/amd64/);
});

test('trust on first use does not weaken a pin: a mismatching tree of a pinned release is still refused', (t) => {
  t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ treeDigest: OTHER_H1 }), TOFU), { instanceOf: VerificationError });
  t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ moduleH1: OTHER_H1 }), TOFU), { instanceOf: VerificationError });
});

test("another release's tree is refused: go1.27.3's digest presented as go1.26.8", (t) => {
  const error = t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ treeDigest: PINS_1273.treeDigest }), PINNED), {
    instanceOf: VerificationError,
  });
  t.true(error?.message.includes(PINS_1273.treeDigest));
});

test('a module zip whose h1 does not match its pin is a VerificationError with both, even when the tree matches', (t) => {
  const error = t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ moduleH1: OTHER_H1 }), PINNED), { instanceOf: VerificationError });
  t.is(error?.exitCode, ExitCode.verificationFailed);
  t.true(error?.message.includes(PINS_1268.module!.h1), 'expected h1');
  t.true(error?.message.includes(OTHER_H1), 'actual h1');
  t.regex(error?.message ?? '', /module zip/);
});

test('when both the zip and the tree are wrong, the zip is reported', (t) => {
  const bothWrong = 'h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=';
  const error = t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ moduleH1: OTHER_H1, treeDigest: bothWrong }), PINNED), {
    instanceOf: VerificationError,
  });
  t.regex(error?.message ?? '', /module zip/);
  t.true(error?.message.includes(OTHER_H1));
});

test('a release or platform missing from the matrix is a VerificationError whose hint mentions --trust-on-first-use', (t) => {
  for (const identity of [
    { version: 'go1.26.9', goos: 'linux', goarch: 'amd64' },
    { version: 'go1.26.8', goos: 'darwin', goarch: 'arm64' },
  ]) {
    const name = `${identity.version} ${identity.goos}/${identity.goarch}`;
    const error = t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ identity }), PINNED), { instanceOf: VerificationError }, name);
    t.is(error?.message, `${name} is not in the toolchain matrix ${MATRIX.location}`);
    t.regex(error?.hint ?? '', /--trust-on-first-use/);
    t.regex(error?.hint ?? '', /airlock toolchain pin/);
  }
});

test('with trust on first use, a toolchain missing from the matrix is accepted unverified, with a note of its digest', (t) => {
  const identity = { version: 'go1.28rc1', goos: 'linux', goarch: 'amd64' };
  const result = verifyAgainstMatrix(MATRIX, evidence({ identity, treeDigest: OTHER_H1, moduleH1: OTHER_H1, archiveSha256: OTHER_SHA256 }), TOFU);
  t.deepEqual(result, {
    status: 'trust-on-first-use',
    checks: [],
    notes: [`go1.28rc1 linux/amd64 is not in the toolchain matrix; accepted on first use with tree digest ${OTHER_H1}`],
  });
});

test('an archive byte-identical to the pinned one records the sha256 check', (t) => {
  const sha256 = PINS_1268.archive!.sha256;
  const result = verifyAgainstMatrix(MATRIX, evidence({ archiveSha256: sha256 }), PINNED);
  t.deepEqual(result, {
    status: 'pinned',
    checks: [`tree digest ${PINS_1268.treeDigest}`, `archive sha256 ${sha256}`],
    notes: [],
  });
});

test('a different archive whose files match the pinned tree is pinned, with a note and without the sha256 check', (t) => {
  const result = verifyAgainstMatrix(MATRIX, evidence({ archiveSha256: OTHER_SHA256 }), PINNED);
  t.is(result.status, 'pinned');
  t.deepEqual(result.checks, [`tree digest ${PINS_1268.treeDigest}`]);
  t.is(result.notes.length, 1);
  t.true(result.notes[0]!.includes(OTHER_SHA256));
  t.true(result.notes[0]!.includes('go1.26.8.linux-amd64.tar.gz'));
  t.regex(result.notes[0]!, /matches the pinned tree/);
});

test('a different archive with a mismatching tree is refused for the tree', (t) => {
  const error = t.throws(() => verifyAgainstMatrix(MATRIX, evidence({ archiveSha256: OTHER_SHA256, treeDigest: OTHER_H1 }), PINNED), {
    instanceOf: VerificationError,
  });
  t.regex(error?.message ?? '', /toolchain tree does not match/);
});

test('evidence for which the release has no pin is neither checked nor noted', (t) => {
  // go1.27.3 linux/amd64 has no archive pin: an archive sha256 adds nothing.
  const result = verifyAgainstMatrix(
    MATRIX,
    evidence({ identity: { version: 'go1.27.3', goos: 'linux', goarch: 'amd64' }, treeDigest: PINS_1273.treeDigest, archiveSha256: OTHER_SHA256 }),
    PINNED,
  );
  t.deepEqual(result, { status: 'pinned', checks: [`tree digest ${PINS_1273.treeDigest}`], notes: [] });
  // A release pinned by tree digest alone: a module h1 is not compared with anything.
  const treeOnly = parseToolchainMatrix(
    JSON.stringify({ schema: 'airlock.dev/toolchains/v1', releases: [{ version: 'go1.26.8', platforms: [{ platform: 'linux/amd64', treeDigest: PINS_1268.treeDigest }] }] }),
    'tree-only.json',
  );
  t.deepEqual(verifyAgainstMatrix(treeOnly, evidence({ moduleH1: OTHER_H1 }), PINNED), {
    status: 'pinned',
    checks: [`tree digest ${PINS_1268.treeDigest}`],
    notes: [],
  });
});

// Golden file for what a user reads when verification fails. The matrix location is the fixed name of a custom
// matrix holding the shipped go1.26.8 linux/amd64 pins, so the text does not depend on where the checkout lives.
test('verification error messages (golden)', (t) => {
  const custom = parseToolchainMatrix(
    JSON.stringify({ schema: 'airlock.dev/toolchains/v1', releases: [{ version: 'go1.26.8', platforms: [PINS_1268] }] }),
    '/etc/airlock/go.json',
  );
  const describe = (run: () => unknown): string => {
    const error = t.throws(run, { instanceOf: VerificationError });
    return `${error?.message}\nhint: ${error?.hint}`;
  };
  t.snapshot(describe(() => verifyAgainstMatrix(custom, evidence({ treeDigest: OTHER_H1 }), PINNED)), 'tree mismatch');
  t.snapshot(describe(() => verifyAgainstMatrix(custom, evidence({ moduleH1: OTHER_H1 }), PINNED)), 'module zip mismatch');
  t.snapshot(
    describe(() => verifyAgainstMatrix(custom, evidence({ identity: { version: 'go1.27.3', goos: 'linux', goarch: 'amd64' } }), PINNED)),
    'not in the matrix',
  );
  t.snapshot(verifyAgainstMatrix(custom, evidence({ archiveSha256: OTHER_SHA256 }), PINNED).notes.join('\n'), 'archive differs note');
});

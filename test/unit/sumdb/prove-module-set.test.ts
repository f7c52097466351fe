/**
 * Proving a real module set (examples/cli's, packed with its checksum database evidence) offline: every module
 * version proven; a poisoned go.sum line, a set without evidence, private modules and another database's key.
 */
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';

import test from 'ava';

import { VerificationError } from '../../../src/errors.js';
import { type GoSumEntry, parseGoSum } from '../../../src/modules/go-sum.js';
import { readChecksumDatabaseEvidence } from '../../../src/modules/module-set.js';
import { matchesPrivatePatterns } from '../../../src/sumdb/private-patterns.js';
import { proveModuleSet } from '../../../src/sumdb/prove-module-set.js';
import { SUM_GOLANG_ORG_KEY, keyHash, parseVerifierKey } from '../../../src/sumdb/verifier-key.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { proveSupplyChain, supplyChainFailure } from '../../../src/workflows/prove-supply-chain.js';
import { CLI_GO_SUM_TEXT, extractCliModuleSet } from '../../helpers/cli-module-set.js';
import { execFileAsync, tempDir } from '../../helpers/host-tools.js';

const KEY = parseVerifierKey(SUM_GOLANG_ORG_KEY);
const GO_SUM: GoSumEntry[] = parseGoSum(CLI_GO_SUM_TEXT);
const UUID_H1 = 'h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=';
const POISON_H1 = 'h1:sbMAyDEKc0eSmJ0u3c0lBnwXuQ8yq6dUkc9Hq4l0BFA=';

async function cliEvidence(t: Parameters<typeof extractCliModuleSet>[0]) {
  const dir = await extractCliModuleSet(t);
  const files = await readChecksumDatabaseEvidence({ dir }, 'sum.golang.org');
  const manifest = JSON.parse((await execFileAsync('cat', [path.join(dir, 'airlock-modules.json')])).stdout) as { modules: Array<{ path: string; version: string }> };
  return { files, setModules: manifest.modules.map((m) => ({ path: m.path, version: m.version })) };
}

test('every module version of examples/cli and every go.sum line is proven in one signed tree head', async (t) => {
  const { files, setModules } = await cliEvidence(t);
  const proof = proveModuleSet({ evidence: files, key: KEY, goSum: GO_SUM, setModules, privatePatterns: '', source: 'cli-modules.tar.gz' });
  t.deepEqual(proof.database?.tree, { size: 73014680, hash: 'jb6Q4HD+QFUKiN6tAeB33WCIT4sm6ygfUN2r6ZMT5yQ=' });
  t.is(proof.modules.length, 9);
  t.deepEqual(new Set(proof.modules.map((m) => m.status)), new Set(['proven']));
  t.like(proof.modules.find((m) => m.path === 'github.com/google/uuid'), { record: 22152757 });
});

test('a poisoned go.sum line is a mismatch naming both hashes, and stops a build even with --allow-unproven', async (t) => {
  const { files, setModules } = await cliEvidence(t);
  const poisoned = GO_SUM.map((entry) => (entry.hash === UUID_H1 ? { ...entry, hash: POISON_H1 } : entry));
  t.not(JSON.stringify(poisoned), JSON.stringify(GO_SUM));
  const proof = proveSupplyChain({ files, goSum: poisoned, setModules }, { privatePatterns: '', allowUnproven: true }, 'set');
  const uuid = proof.modules.find((m) => m.path === 'github.com/google/uuid')!;
  t.is(uuid.status, 'mismatch');
  t.is(uuid.detail, `go.sum says github.com/google/uuid v1.6.0 ${POISON_H1}, the checksum database says ${UUID_H1} (record 22152757)`);
  t.is(proof.modules.filter((m) => m.status === 'proven').length, 8);
  const failure = supplyChainFailure(proof);
  t.true(failure instanceof VerificationError);
  t.is(failure?.exitCode, 4);
  t.regex(failure?.message ?? '', /^1 module disagrees with the Go checksum database; first: github\.com\/google\/uuid@v1\.6\.0: go\.sum says .*h1:sbMA.*, the checksum database says h1:NIva/);
});

test('a set packed before sets carried evidence: every module has no evidence, which fails unless --allow-unproven', async (t) => {
  const dir = await tempDir(t, 'airlock-old-set-');
  await execFileAsync('tar', ['-xzf', path.join(packageRoot(), 'test/fixtures/module-sets/cli-modules-before-evidence.tar.gz'), '-C', dir]);
  const files = await readChecksumDatabaseEvidence({ dir }, 'sum.golang.org');
  t.is(files.size, 0);
  const input = { files, goSum: GO_SUM, setModules: [] };
  const strict = proveSupplyChain(input, { privatePatterns: '', allowUnproven: false }, 'old.tar.gz');
  t.deepEqual(new Set(strict.modules.map((m) => m.status)), new Set(['no-evidence']));
  t.is(strict.tree, undefined);
  t.regex(supplyChainFailure(strict)?.message ?? '', /^9 modules are not proven in the Go checksum database; first: github\.com\/cpuguy83\/go-md2man\/v2@v2\.0\.6: the module set carries no checksum database evidence/);
  t.regex(supplyChainFailure(strict)?.hint ?? '', /--allow-unproven/);
  t.is(supplyChainFailure(proveSupplyChain(input, { privatePatterns: '', allowUnproven: true }, 'old.tar.gz')), undefined);
});

test("modules matched by this machine's GONOSUMDB are private: trusted by go.sum only, the rest still proven", async (t) => {
  const { files, setModules } = await cliEvidence(t);
  const proof = proveModuleSet({ evidence: files, key: KEY, goSum: GO_SUM, setModules, privatePatterns: 'github.com/spf13', source: 'set' });
  t.deepEqual(
    proof.modules.filter((m) => m.status === 'private').map((m) => m.path),
    ['github.com/spf13/cobra', 'github.com/spf13/pflag'],
  );
  t.is(proof.modules.filter((m) => m.status === 'proven').length, 7);
});

test('GONOSUMDB patterns match leading path elements with path.Match globs, as the go command matches them', (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['github.com/spf13', 'github.com/spf13/cobra', true],
    ['github.com/spf13', 'github.com/spf13', true],
    ['github.com/spf1', 'github.com/spf13/cobra', false],
    ['*.corp.example', 'git.corp.example/team/lib', true],
    ['*.corp.example', 'corp.example/lib', false],
    ['github.com/*/private-*', 'github.com/acme/private-lib/v2', true],
    ['github.com/*/private-*', 'github.com/acme/public', false],
    ['example.com/a,example.com/b', 'example.com/b/c', true],
    [' example.com/a , ', 'example.com/a', true],
    ['example.com/[ab]', 'example.com/b/x', true],
    ['example.com/[^ab]', 'example.com/b/x', false],
    ['', 'example.com/a', false],
    ['example.com/a/b/c', 'example.com/a', false],
  ];
  for (const [patterns, modulePath, expected] of cases) t.is(matchesPrivatePatterns(patterns, modulePath), expected, `${patterns} ~ ${modulePath}`);
});

test("another database's key: the set's head carries no signature by it, a one-line VerificationError", async (t) => {
  const { files, setModules } = await cliEvidence(t);
  // A real Ed25519 key under another name, in the GOSUMDB form.
  const raw = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const keyData = Buffer.concat([Buffer.of(1), raw]);
  const other = parseVerifierKey(`sum.example.com+${keyHash('sum.example.com', keyData).toString('hex')}+${keyData.toString('base64')}`);
  const error = t.throws(() => proveModuleSet({ evidence: files, key: other, goSum: GO_SUM, setModules, privatePatterns: '', source: 'set' }), {
    instanceOf: VerificationError,
  });
  t.regex(error.message, /^set latest: the signed note carries no signature by sum\.example\.com$/);
});

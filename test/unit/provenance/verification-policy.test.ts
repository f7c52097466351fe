import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { type VerificationPolicy, evaluatePolicy, provenanceFacts } from '../../../src/provenance/verification-policy.js';
import { readVerificationPolicy } from '../../../src/workflows/read-verification-policy.js';
import { tempDir } from '../../helpers/host-tools.js';

const H1 = `h1:${'A'.repeat(43)}=`;
const POLICY_DIGEST = `sha256:${'c'.repeat(64)}`;
const SIGNER = `sha256:${'d'.repeat(64)}`;
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const REPO = 'https://git.corp.example/payments/cli.git';

interface Dependency {
  name: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations: Record<string, unknown>;
}

/** The fields of an airlock SLSA statement a policy reads, as buildProvenanceStatement writes them. */
const STATEMENT: {
  predicate: { buildDefinition: { externalParameters: Record<string, unknown>; internalParameters: Record<string, unknown>; resolvedDependencies: Dependency[] } };
} = {
  predicate: {
    buildDefinition: {
      externalParameters: { go: 'go1.27.3' },
      internalParameters: { moduleSource: 'module-set', modulesVerifiedAgainstGoSum: true, sandbox: { policyDigest: POLICY_DIGEST, seccomp: 'airlock', network: 'none' } },
      resolvedDependencies: [
        { name: 'go-toolchain:go1.27.3', annotations: { h1: H1 } },
        { name: 'source', digest: { dirHash: 'x', gitCommit: COMMIT }, annotations: { gitDirty: false, gitRemote: REPO, gitTags: ['latest', 'v1.4.2'] } },
        { name: 'github.com/google/uuid@v1.6.0', uri: 'pkg:golang/github.com/google/uuid@v1.6.0', annotations: { checksumDatabase: 'proven' } },
        { name: 'corp.example/lib@v0.3.0', uri: 'pkg:golang/corp.example/lib@v0.3.0', annotations: { checksumDatabase: 'private' } },
      ],
    },
  },
};

const MET: VerificationPolicy = {
  signers: [SIGNER],
  source: { gitCommit: '[0-9a-f]{40}', clean: true, repositories: [REPO], gitTag: 'v[0-9]+\\.[0-9]+\\.[0-9]+' },
  toolchains: [{ version: 'go1.27.3', h1: H1 }],
  sandbox: { policyDigests: [POLICY_DIGEST], seccomp: ['airlock'], network: 'none' },
  modules: { verifiedAgainstGoSum: true, sources: ['module-set', 'vendor'], checksumDatabase: ['proven', 'private'] },
};

test('a release that meets every expectation has no violation', (t) => {
  t.deepEqual(evaluatePolicy(MET, SIGNER, [provenanceFacts('tool', STATEMENT)]), []);
  t.deepEqual(evaluatePolicy({}, undefined, [provenanceFacts('tool', STATEMENT)]), [], 'an empty policy requires nothing');
});

test('each expectation violated once names the field, the expected and the actual value', (t) => {
  const facts = [provenanceFacts('tool', STATEMENT)];
  const cases: Array<[VerificationPolicy, string | undefined, string]> = [
    [{ signers: [SIGNER] }, `sha256:${'e'.repeat(64)}`, `signers: expected ${SIGNER}, found sha256:${'e'.repeat(64)}`],
    [{ signers: [SIGNER] }, undefined, `signers: expected ${SIGNER}, found no --key: the signatures were not checked`],
    [{ source: { gitCommit: 'ffff.*' } }, SIGNER, `source.gitCommit: expected a commit matching ffff.*, found ${COMMIT}`],
    [{ toolchains: [{ version: 'go1.26.8' }] }, SIGNER, `toolchains: expected go1.26.8, found go1.27.3 (${H1})`],
    [{ toolchains: [{ version: 'go1.27.3', h1: `h1:${'B'.repeat(43)}=` }] }, SIGNER, `toolchains: expected go1.27.3 (h1:${'B'.repeat(43)}=), found go1.27.3 (${H1})`],
    [{ sandbox: { policyDigests: [`sha256:${'0'.repeat(64)}`] } }, SIGNER, `sandbox.policyDigests: expected sha256:${'0'.repeat(64)}, found ${POLICY_DIGEST}`],
    [{ sandbox: { seccomp: ['strict', 'airlock-go-test'] } }, SIGNER, 'sandbox.seccomp: expected one of strict, airlock-go-test, found airlock'],
    [{ sandbox: { network: 'host' } }, SIGNER, 'sandbox.network: expected host, found none'],
    [{ modules: { sources: ['vendor'] } }, SIGNER, 'modules.sources: expected vendor, found module-set'],
    [{ source: { repositories: ['https://git.corp.example/payments/other.git'] } }, SIGNER, `source.repositories: expected https://git.corp.example/payments/other.git, found ${REPO}`],
    [{ source: { gitTag: 'release-.*' } }, SIGNER, 'source.gitTag: expected a tag at the commit matching release-.*, found tags latest, v1.4.2'],
    [{ modules: { checksumDatabase: ['proven'] } }, SIGNER, 'modules.checksumDatabase: expected every module proven, found 1 of 2 modules not; first: corp.example/lib@v0.3.0 private'],
  ];
  for (const [policy, signer, expected] of cases) {
    const violations = evaluatePolicy(policy, signer, facts);
    t.is(violations.length, 1, expected);
    t.is(`${violations[0]!.field}: expected ${violations[0]!.expected}, found ${violations[0]!.actual}`, expected);
  }
  const dirty = structuredClone(STATEMENT);
  dirty.predicate.buildDefinition.resolvedDependencies[1]!.annotations = { gitDirty: true };
  dirty.predicate.buildDefinition.internalParameters.modulesVerifiedAgainstGoSum = false;
  t.deepEqual(
    evaluatePolicy({ source: { clean: true }, modules: { verifiedAgainstGoSum: true } }, SIGNER, [provenanceFacts('tool', dirty)]).map((v) => `${v.file} ${v.field}: ${v.actual}`),
    ['tool source.clean: uncommitted changes', 'tool modules.verifiedAgainstGoSum: false'],
  );
  t.deepEqual(evaluatePolicy({ toolchains: [{ version: 'go1.27.3' }] }, SIGNER, []).map((v) => v.field), ['(release)'], 'no binary is no release to pass');
});

test('a malformed policy file is bad input: one line naming the file and the problem, exit 2', async (t) => {
  const dir = await tempDir(t, 'airlock-policy-');
  const cases: Array<[string, string, RegExp]> = [
    ['syntax.json', '{"signers": [', /policy\.json|syntax\.json is not JSON: /],
    ['unknown.json', '{"signer": []}', /unknown\.json is not a verification policy: signer: unknown field$/],
    ['fingerprint.json', '{"signers": ["abc"]}', /fingerprint\.json is not a verification policy: signers\[0\]: must match pattern/],
    ['version.json', '{"toolchains": [{"version": "1.27.3"}]}', /version\.json is not a verification policy: toolchains\[0\]\.version: must match pattern/],
    ['regex.json', '{"source": {"gitCommit": "(["}}', /regex\.json is not a verification policy: source\.gitCommit is not a regular expression/],
    ['tag-regex.json', '{"source": {"gitTag": "v("}}', /tag-regex\.json is not a verification policy: source\.gitTag is not a regular expression/],
    ['status.json', '{"modules": {"checksumDatabase": ["trusted"]}}', /status\.json is not a verification policy: modules\.checksumDatabase/],
    ['array.json', '[]', /array\.json is not a verification policy: \(top level\): must be object$/],
  ];
  for (const [name, text, pattern] of cases) {
    const file = path.join(dir, name);
    await fs.writeFile(file, text);
    const error = t.throws(() => readVerificationPolicy(file), { instanceOf: InputError });
    t.is(error!.exitCode, ExitCode.badInput);
    t.regex(error!.message, pattern);
    t.false(error!.message.includes('\n'));
  }
  t.throws(() => readVerificationPolicy(path.join(dir, 'missing.json')), { message: /missing\.json does not exist/ });
  await fs.writeFile(path.join(dir, 'good.json'), JSON.stringify(MET));
  t.deepEqual(readVerificationPolicy(path.join(dir, 'good.json')), MET);
});

test('a statement without git remote, tags or checksum database statuses fails what requires them, naming what is missing', (t) => {
  const bare = structuredClone(STATEMENT);
  bare.predicate.buildDefinition.resolvedDependencies = [
    { name: 'source', digest: { dirHash: 'x', gitCommit: COMMIT }, annotations: { gitDirty: false } },
    { name: 'github.com/google/uuid@v1.6.0', uri: 'pkg:golang/github.com/google/uuid@v1.6.0', annotations: {} },
  ];
  const violations = evaluatePolicy({ source: { repositories: [REPO], gitTag: 'v.*' }, modules: { checksumDatabase: ['proven'] } }, SIGNER, [provenanceFacts('tool', bare)]);
  t.deepEqual(
    violations.map((v) => `${v.field}: ${v.actual}`),
    ['source.repositories: no origin remote recorded', 'source.gitTag: no tag at the commit', 'modules.checksumDatabase: 1 of 1 modules not; first: github.com/google/uuid@v1.6.0 not recorded'],
  );
});

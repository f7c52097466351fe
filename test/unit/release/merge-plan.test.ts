/**
 * planMerge on listings made from real plans and their real shard manifests (selectShard), with SHA256SUMS
 * written the way the build writes them: what a merge of every shard decides, and every way it refuses.
 */
import { createHash } from 'node:crypto';

import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';

import { formatSha256Sums } from '../../../src/release/checksums.js';
import { type MergePlan, type ShardListing, parseShardManifest, planMerge } from '../../../src/release/merge-plan.js';
import { CHECKSUMS_FILE } from '../../../src/release/layout.js';
import { AirlockError, ExitCode, InputError, VerificationError } from '../../../src/errors.js';
import { type BuildPlan, checksumGroups } from '../../../src/plan/build-plan.js';
import { SHARD_MANIFEST_FILE, type ShardManifest, selectShard } from '../../../src/plan/shards.js';
import { assertProperty } from '../../helpers/properties.js';
import { syntheticPlan } from '../../helpers/synthetic-plan.js';

const PORTS = ['linux/amd64', 'linux/arm64', 'linux/386', 'darwin/arm64', 'darwin/amd64', 'windows/amd64', 'windows/arm64', 'freebsd/amd64'];

function wholePlan(toolchains: number, mains: number, targets: number): BuildPlan {
  return syntheticPlan(PORTS, toolchains, mains, targets);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** The digest every fixture gives an output's binary (and its SBOM), so expectations can be computed. */
const binaryDigest = (output: string): string => sha256(`binary ${output}`);
const sbomDigest = (output: string): string => sha256(`sbom ${output}`);

const basename = (file: string): string => file.slice(file.lastIndexOf('/') + 1);
const directoryOf = (file: string): string => (file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '');
const join = (directory: string, name: string): string => (directory === '' ? name : `${directory}/${name}`);

interface ListingOptions {
  sbom?: boolean;
  signed?: boolean;
  dir?: string;
}

/** A shard directory as `airlock build --shard` writes it: binaries, envelopes, SBOMs, SHA256SUMS per group, manifest. */
function listingFor(manifest: ShardManifest, options: ListingOptions = {}): ShardListing {
  const dir = options.dir ?? `shard-${manifest.shard.index}`;
  const files: string[] = [SHARD_MANIFEST_FILE];
  const byGroup = new Map<string, Array<{ name: string; sha256: string }>>();
  for (const output of manifest.outputs) {
    files.push(output, `${output}.intoto.jsonl`);
    const entries = byGroup.get(directoryOf(output)) ?? [];
    entries.push({ name: basename(output), sha256: binaryDigest(output) });
    if (options.sbom) {
      files.push(`${output}.cdx.json`);
      entries.push({ name: `${basename(output)}.cdx.json`, sha256: sbomDigest(output) });
    }
    byGroup.set(directoryOf(output), entries);
  }
  const checksums: Record<string, string> = {};
  for (const [group, entries] of byGroup) {
    const sums = join(group, CHECKSUMS_FILE);
    checksums[sums] = formatSha256Sums(entries);
    files.push(sums);
    if (options.signed) files.push(`${sums}.sig`);
  }
  return { dir, realPath: `/work/${dir}`, manifest: `${JSON.stringify(manifest, null, 2)}\n`, files: files.sort(), checksums };
}

function manifests(plan: BuildPlan, count: number): ShardManifest[] {
  return Array.from({ length: count }, (_, index) => selectShard(plan, { index: index + 1, count }).manifest);
}

function listings(plan: BuildPlan, count: number, options: ListingOptions = {}): ShardListing[] {
  return manifests(plan, count).map((manifest) => listingFor(manifest, options));
}

/** What the unsharded build writes into each SHA256SUMS. */
function unshardedSums(plan: BuildPlan, sbom = false): Record<string, string> {
  const result: Record<string, string> = {};
  for (const group of checksumGroups(plan)) {
    const entries = group.jobs.flatMap((job) => [
      { name: basename(job.output), sha256: binaryDigest(job.output) },
      ...(sbom ? [{ name: `${basename(job.output)}.cdx.json`, sha256: sbomDigest(job.output) }] : []),
    ]);
    result[join(group.directory, CHECKSUMS_FILE)] = formatSha256Sums(entries);
  }
  return result;
}

function mergedSums(merge: MergePlan): Record<string, string> {
  return Object.fromEntries(merge.groups.map((group) => [join(group.directory, CHECKSUMS_FILE), formatSha256Sums(group.entries)]));
}

/** Replaces one shard's manifest (and keeps its other files), as tampering or another run would. */
function withManifest(listing: ShardListing, change: (manifest: ShardManifest) => ShardManifest): ShardListing {
  return { ...listing, manifest: JSON.stringify(change(JSON.parse(listing.manifest!) as ShardManifest)) };
}

function refuses<E extends AirlockError>(t: ExecutionContext, input: ShardListing[], kind: new (...args: never[]) => E, message: RegExp): E {
  const error = t.throws(() => planMerge(input), { instanceOf: kind, message });
  t.truthy(error?.hint, 'every refusal says what to do');
  t.false(error?.message.includes('\n'), 'one line');
  return error!;
}

test('two shards of a flat plan: every output once, in plan order, with its envelope, and the unsharded SHA256SUMS', (t) => {
  const plan = wholePlan(1, 1, 3);
  const merge = planMerge(listings(plan, 2));
  t.is(merge.layout, 'flat');
  t.is(merge.count, 2);
  t.deepEqual(
    merge.shards.map((shard) => shard.dir),
    ['shard-1', 'shard-2'],
  );
  t.deepEqual(
    merge.files.map((file) => [file.shardLabel, file.file, file.kind]),
    [
      ['shard-1', 'tool0_linux_amd64', 'binary'],
      ['shard-1', 'tool0_linux_amd64.intoto.jsonl', 'envelope'],
      ['shard-2', 'tool0_linux_arm64', 'binary'],
      ['shard-2', 'tool0_linux_arm64.intoto.jsonl', 'envelope'],
      ['shard-2', 'tool0_linux_386', 'binary'],
      ['shard-2', 'tool0_linux_386.intoto.jsonl', 'envelope'],
    ],
  );
  t.is(merge.files[0]!.shardDir, '/work/shard-1');
  t.is(merge.files[0]!.sha256, binaryDigest('tool0_linux_amd64'));
  t.deepEqual(mergedSums(merge), unshardedSums(plan));
  t.false(merge.sbom);
  t.deepEqual(merge.ignored, []);
  t.false(merge.files.some((file) => file.file === SHARD_MANIFEST_FILE), 'the shard manifest is never part of the release');
});

test('a per-toolchain plan: one SHA256SUMS per toolchain, also for a shard that spans two toolchains', (t) => {
  const plan = wholePlan(2, 1, 4);
  const input = listings(plan, 3, { sbom: true, signed: true });
  t.deepEqual(Object.keys(input[1]!.checksums).sort(), ['go1.26.8/SHA256SUMS', 'go1.27.3/SHA256SUMS'], 'shard 2 holds builds of both');
  const merge = planMerge(input);
  t.is(merge.layout, 'per-toolchain');
  t.deepEqual(
    merge.groups.map((group) => group.directory),
    ['go1.26.8', 'go1.27.3'],
  );
  t.deepEqual(mergedSums(merge), unshardedSums(plan, true));
  t.true(merge.sbom);
  t.true(merge.shards.every((shard) => shard.signed));
  t.deepEqual(
    merge.files.filter((file) => file.kind === 'sbom').map((file) => file.file),
    plan.jobs.map((job) => `${job.output}.cdx.json`),
  );
});

test('any plan, any number of shards, given in any order: the merge is the unsharded release', (t) => {
  assertProperty(
    t,
    fc.property(
      fc.record({ toolchains: fc.integer({ min: 1, max: 3 }), mains: fc.integer({ min: 1, max: 2 }), targets: fc.integer({ min: 1, max: PORTS.length }) }),
      fc.integer({ min: 1, max: 60 }),
      fc.boolean(),
      fc.integer(),
      (shape, wanted, sbom, seed) => {
        const plan = wholePlan(shape.toolchains, shape.mains, shape.targets);
        const count = Math.min(wanted, plan.jobs.length);
        const shuffled = listings(plan, count, { sbom })
          .map((listing, index) => ({ listing, key: Math.imul(index + 1, seed | 1) >>> 0 }))
          .sort((a, b) => a.key - b.key)
          .map(({ listing }) => listing);
        const merge = planMerge(shuffled);
        const binaries = merge.files.filter((file) => file.kind === 'binary').map((file) => file.file);
        return (
          JSON.stringify(binaries) === JSON.stringify(plan.jobs.map((job) => job.output)) &&
          JSON.stringify(mergedSums(merge)) === JSON.stringify(unshardedSums(plan, sbom)) &&
          merge.shards.every((shard, index) => shard.manifest.shard.index === index + 1) &&
          merge.files.length === plan.jobs.length * (sbom ? 3 : 2)
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('a missing shard is named; several are listed', (t) => {
  const plan = wholePlan(1, 1, 6);
  const three = listings(plan, 3);
  const error = refuses(t, [three[0]!, three[2]!], InputError, /^shard 2\/3 is missing$/);
  t.is(error.exitCode, ExitCode.badInput);
  t.regex(error.hint!, /3 in all/);
  const five = listings(plan, 5);
  refuses(t, [five[0]!, five[2]!, five[4]!], InputError, /^shards 2\/5 and 4\/5 are missing$/);
  refuses(t, [five[0]!], InputError, /^shards 2\/5, 3\/5, 4\/5 and 5\/5 are missing$/);
});

test('a shard given twice is refused, as the same directory or as two copies', (t) => {
  const input = listings(wholePlan(1, 1, 4), 2);
  refuses(t, [input[0]!, input[1]!, input[1]!], InputError, /^shard-2 is given twice$/);
  refuses(t, [input[0]!, input[1]!, { ...input[1]!, dir: 'link-to-shard-2' }], InputError, /^shard-2 and link-to-shard-2 are the same directory$/);
  const copy = { ...input[1]!, dir: 'copy-of-2', realPath: '/work/copy-of-2' };
  refuses(t, [input[0]!, input[1]!, copy], InputError, /^shard 2\/2 is given twice: shard-2 and copy-of-2$/);
});

test('a shard of another plan is refused, naming both plans', (t) => {
  const ours = listings(wholePlan(1, 1, 4), 2);
  const theirs = listings(wholePlan(1, 2, 2), 2);
  const error = refuses(t, [ours[0]!, theirs[1]!], VerificationError, /^shard 2\/2 \(shard-2\) is from another plan than shard 1\/2 \(shard-1\) \(sha256:[0-9a-f]{12}… and sha256:[0-9a-f]{12}…\)$/);
  t.is(error.exitCode, ExitCode.verificationFailed);
});

test('shards of one plan cut into different numbers are refused', (t) => {
  const plan = wholePlan(1, 1, 6);
  refuses(t, [listings(plan, 2)[0]!, listings(plan, 3)[1]!, listings(plan, 3)[2]!], InputError, /split the plan into different numbers of shards/);
});

test('an output in two shards is a conflict naming the file and both shards', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one, two] = manifests(plan, 2);
  // Shard 2 claims shard 1's first output too, and lists it in its SHA256SUMS.
  const greedy = listingFor({ ...two!, outputs: [one!.outputs[0]!, ...two!.outputs] });
  refuses(t, [listingFor(one!), greedy], VerificationError, /^tool0_linux_amd64 is in two shards: shard 1\/2 \(shard-1\) and shard 2\/2 \(shard-2\); the shards conflict$/);
});

test('outputs no shard built, outside the plan, or named twice are refused', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one, two] = listings(plan, 2);
  const lazy = withManifest(two!, (manifest) => ({ ...manifest, outputs: manifest.outputs.slice(1) }));
  refuses(t, [one!, lazy], VerificationError, /^no shard built tool0_linux_386$/);
  const stranger = withManifest(two!, (manifest) => ({ ...manifest, outputs: [...manifest.outputs, 'tool0_plan9_amd64'] }));
  refuses(t, [one!, stranger], VerificationError, /says it built tool0_plan9_amd64, which is not an output of the plan/);
  const twice = withManifest(two!, (manifest) => ({ ...manifest, outputs: [...manifest.outputs, manifest.outputs[0]!] }));
  refuses(t, [one!, twice], VerificationError, /names tool0_linux_386 twice/);
});

test('a SHA256SUMS that lists what the manifest does not, or misses what it names, is refused', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one, two] = listings(plan, 2);
  const extra = { ...two!, checksums: { SHA256SUMS: formatSha256Sums([...parse(two!), { name: 'tool0_linux_amd64', sha256: binaryDigest('x') }]) } };
  refuses(t, [one!, extra], VerificationError, /^shard-2\/SHA256SUMS lists tool0_linux_amd64, which shard 2\/2 \(shard-2\) does not say it built$/);
  const short = { ...two!, checksums: { SHA256SUMS: formatSha256Sums(parse(two!).filter((entry) => entry.name !== 'tool0_darwin_arm64')) } };
  refuses(t, [one!, short], VerificationError, /^shard-2\/SHA256SUMS does not list tool0_darwin_arm64, which shard 2\/2 \(shard-2\) built$/);
  const doubled = { ...two!, checksums: { SHA256SUMS: `${two!.checksums.SHA256SUMS}${two!.checksums.SHA256SUMS}` } };
  refuses(t, [one!, doubled], VerificationError, /lists tool0_\w+ twice/);
  const garbled = { ...two!, checksums: { SHA256SUMS: 'not a checksum line\n' } };
  refuses(t, [one!, garbled], VerificationError, /^shard-2\/SHA256SUMS is not in sha256sum format: line 1/);
  const orphanSbom = { ...two!, checksums: { SHA256SUMS: formatSha256Sums([...parse(two!), { name: 'other.cdx.json', sha256: sbomDigest('x') }]) } };
  refuses(t, [one!, orphanSbom], VerificationError, /lists the SBOM other\.cdx\.json without its binary/);
});

function parse(listing: ShardListing): Array<{ name: string; sha256: string }> {
  return listing.checksums.SHA256SUMS!.split('\n').filter(Boolean).map((line) => ({ sha256: line.slice(0, 64), name: line.slice(66) }));
}

test('a SHA256SUMS where the layout puts none is refused', (t) => {
  const plan = wholePlan(2, 1, 2);
  const [one, two] = listings(plan, 2);
  const stray = { ...two!, files: [...two!.files, 'old/SHA256SUMS'].sort(), checksums: { ...two!.checksums, 'old/SHA256SUMS': '' } };
  refuses(t, [one!, stray], VerificationError, /^shard-2\/old\/SHA256SUMS is not where the plan's per-toolchain layout puts checksums$/);
  const top = { ...two!, files: [...two!.files, 'SHA256SUMS'].sort(), checksums: { ...two!.checksums, SHA256SUMS: '' } };
  refuses(t, [one!, top], VerificationError, /^shard-2\/SHA256SUMS is not where/);
});

test('a missing envelope or SBOM file is refused; other files are ignored and reported', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one, two] = listings(plan, 2, { sbom: true });
  const noEnvelope = { ...two!, files: two!.files.filter((file) => file !== 'tool0_linux_386.intoto.jsonl') };
  refuses(t, [one!, noEnvelope], VerificationError, /^shard-2\/tool0_linux_386\.intoto\.jsonl is missing or not a regular file$/);
  const noSbom = { ...two!, files: two!.files.filter((file) => file !== 'tool0_darwin_arm64.cdx.json') };
  refuses(t, [one!, noSbom], VerificationError, /^shard-2\/tool0_darwin_arm64\.cdx\.json is missing/);
  const noBinary = { ...two!, files: two!.files.filter((file) => file !== 'tool0_darwin_arm64') };
  refuses(t, [one!, noBinary], VerificationError, /^shard-2\/tool0_darwin_arm64 is missing/);
  const cluttered = { ...two!, files: [...two!.files, 'notes.txt', 'go1.26.8/x'].sort() };
  t.deepEqual(planMerge([one!, cluttered]).ignored, ['shard-2/go1.26.8/x', 'shard-2/notes.txt']);
  // A shard's GPG signature belongs to its release: not ignored, not copied, named for merge's warning.
  const gpgSigned = { ...two!, files: [...two!.files, 'SHA256SUMS.asc'].sort() };
  const gpgPlan = planMerge([one!, gpgSigned]);
  t.deepEqual(gpgPlan.ignored, []);
  t.deepEqual(gpgPlan.gpgSignatures, ['shard-2/SHA256SUMS.asc']);
  t.false(gpgPlan.files.some((file) => file.file.endsWith('.asc')));
  t.deepEqual(planMerge([one!, two!]).gpgSignatures, []);
  const odd = { ...two!, files: [...two!.files, 'line\nbreak'] };
  t.deepEqual(planMerge([one!, odd]).ignored, ['shard-2/line\\nbreak'], 'names from disk are escaped onto one line');
  const forged = withManifest(two!, (manifest) => ({ ...manifest, outputs: [...manifest.outputs, 'evil\nairlock: ok'] }));
  refuses(t, [one!, forged], VerificationError, /says it built evil\\nairlock: ok, which is not an output of the plan/);
});

test('SBOMs in some shards only are refused', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one] = listings(plan, 2, { sbom: true });
  const [, two] = listings(plan, 2);
  refuses(t, [one!, two!], VerificationError, /^shard 1\/2 \(shard-1\) has SBOMs and shard 2\/2 \(shard-2\) has none$/);
});

test('unsigned shards are reported as such', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one] = listings(plan, 2, { signed: true });
  const [, two] = listings(plan, 2);
  t.deepEqual(
    planMerge([one!, two!]).shards.map((shard) => shard.signed),
    [true, false],
  );
});

test('directories that are no shard, and manifests that are no v1 manifest, are refused', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one, two] = listings(plan, 2);
  refuses(t, [one!, { ...two!, manifest: undefined }], InputError, /^shard-2 has no airlock-shard\.json: it is not the output of `airlock build --shard`$/);
  refuses(t, [one!, { ...two!, manifest: '{"schema":' }], VerificationError, /^shard-2\/airlock-shard\.json is not JSON/);
  refuses(t, [one!, { ...two!, manifest: '[]' }], VerificationError, /not a shard manifest/);
  refuses(t, [one!, withManifest(two!, (m) => ({ ...m, schema: 'airlock.dev/shard/v2' as never }))], InputError, /has schema "airlock\.dev\/shard\/v2", not airlock\.dev\/shard\/v1/);
  refuses(t, [one!, withManifest(two!, (m) => ({ ...m, shard: { index: 3, count: 2 } }))], VerificationError, /shard is missing or malformed/);
  refuses(t, [one!, withManifest(two!, (m) => ({ ...m, planDigest: 'abc' }))], VerificationError, /planDigest is missing or malformed/);
  refuses(t, [one!, withManifest(two!, (m) => ({ ...m, outputs: [1] as never }))], VerificationError, /outputs is missing or malformed/);
  refuses(t, [], InputError, /no shard directories/);
});

test('manifests of one plan that disagree on its outputs, or name paths outside the layout, are refused', (t) => {
  const plan = wholePlan(1, 1, 4);
  const [one, two] = listings(plan, 2);
  refuses(t, [one!, withManifest(two!, (m) => ({ ...m, planOutputs: m.planOutputs.slice(1) }))], VerificationError, /name one plan but disagree on its planOutputs/);
  refuses(t, [one!, withManifest(two!, (m) => ({ ...m, layout: 'per-toolchain' }))], VerificationError, /disagree on its layout/);
  for (const output of ['../escape', 'sub/tool', '/etc/passwd', 'SHA256SUMS', 'tool.intoto.jsonl', '']) {
    const bad = [one!, two!].map((listing) => withManifest(listing, (m) => ({ ...m, planOutputs: [...m.planOutputs, output] })));
    refuses(t, bad, VerificationError, /which is not an output path of the flat layout/);
  }
});

test('parseShardManifest reads what selectShard writes', (t) => {
  const { manifest } = selectShard(wholePlan(2, 2, 3), { index: 2, count: 3 });
  t.deepEqual(parseShardManifest(`${JSON.stringify(manifest, null, 2)}\n`, 'dir'), manifest);
});

test('refusal messages (golden)', (t) => {
  const plan = wholePlan(1, 1, 6);
  const three = listings(plan, 3);
  const messages = (input: ShardListing[]): string => {
    try {
      planMerge(input);
      return 'no error';
    } catch (error) {
      const airlock = error as AirlockError;
      return `${airlock.name} (exit ${airlock.exitCode}): ${airlock.message}; ${airlock.hint}`;
    }
  };
  const [one, two, three3] = three;
  t.snapshot(
    {
      missing: messages([one!, three3!]),
      twice: messages([one!, two!, three3!, { ...two!, dir: 'again', realPath: '/work/again' }]),
      // The digests change whenever planDigest does: only their form is golden.
      otherPlan: messages([one!, two!, listings(wholePlan(1, 2, 3), 3)[2]!]).replace(/sha256:[0-9a-f]{12}…/g, 'sha256:<12 hex>…'),
      conflict: messages([
        one!,
        listingFor({ ...JSON.parse(two!.manifest!), outputs: [...(JSON.parse(one!.manifest!) as ShardManifest).outputs, ...(JSON.parse(two!.manifest!) as ShardManifest).outputs] }),
        three3!,
      ]),
      sumsDiffer: messages([one!, { ...two!, checksums: { SHA256SUMS: '' } }, three3!]),
      notAShard: messages([one!, { ...two!, manifest: undefined }, three3!]),
    },
    'planMerge refusals',
  );
});

/** The output directory of `airlock test` with one toolchain: JUnit, vet report, stream and its envelope, SHA256SUMS (signed). */
function testRunListing(dir = 'test-results'): ShardListing {
  const listed = ['junit.xml', 'go-vet.go1.26.8.linux-amd64.json', 'go-test.go1.26.8.linux-amd64.json'].map((name) => ({ name, sha256: sha256(`test ${name}`) }));
  const files = [...listed.map((entry) => entry.name), 'go-test.go1.26.8.linux-amd64.json.intoto.jsonl', CHECKSUMS_FILE, `${CHECKSUMS_FILE}.sig`];
  return { dir, realPath: `/work/${dir}`, manifest: undefined, files: files.sort(), checksums: { [CHECKSUMS_FILE]: formatSha256Sums(listed) } };
}

test('a test run beside the shards joins the release: its reports and stream in the top SHA256SUMS, its envelope beside', (t) => {
  const plan = wholePlan(1, 1, 3);
  const merge = planMerge([testRunListing(), ...listings(plan, 2)]);
  t.deepEqual(merge.testRun, { dir: 'test-results', realPath: '/work/test-results' });
  t.deepEqual(
    merge.files.filter((file) => file.shardLabel === 'test-results').map((file) => [file.file, file.kind]),
    [
      ['go-test.go1.26.8.linux-amd64.json', 'test-report'],
      ['go-vet.go1.26.8.linux-amd64.json', 'test-report'],
      ['junit.xml', 'test-report'],
      ['go-test.go1.26.8.linux-amd64.json.intoto.jsonl', 'test-envelope'],
    ],
  );
  const sums = mergedSums(merge)[CHECKSUMS_FILE]!;
  t.regex(sums, /  junit\.xml\n/);
  t.regex(sums, /  go-test\.go1\.26\.8\.linux-amd64\.json\n/);
  t.notRegex(sums, /intoto/, 'envelopes are verified by signature, not listed');
  t.is(sums.trim().split('\n').length, 3 + 3);
  t.deepEqual(merge.ignored, [], 'the test run\'s own SHA256SUMS and signature are replaced, not reported');
});

test('a test run with a per-toolchain plan gets a top-level SHA256SUMS of its own', (t) => {
  const plan = wholePlan(2, 1, 2);
  const merge = planMerge([...listings(plan, 2), testRunListing()]);
  t.is(merge.layout, 'per-toolchain');
  t.deepEqual(merge.groups.map((group) => group.directory), ['', ...checksumGroups(plan).map((group) => group.directory)]);
  t.deepEqual(merge.groups[0]!.entries.map((entry) => entry.name).sort(), ['go-test.go1.26.8.linux-amd64.json', 'go-vet.go1.26.8.linux-amd64.json', 'junit.xml']);
});

test('two test runs, a test run alone, or a test run listing what airlock test does not write are refused', (t) => {
  const plan = wholePlan(1, 1, 2);
  refuses(t, [testRunListing('a'), testRunListing('b'), ...listings(plan, 1)], InputError, /^a and b are both test runs$/);
  refuses(t, [testRunListing()], InputError, /only a test run/);
  const odd = testRunListing();
  const withStray = { ...odd, checksums: { [CHECKSUMS_FILE]: `${odd.checksums[CHECKSUMS_FILE]}${sha256('x')}  notes.txt\n` } };
  refuses(t, [withStray, ...listings(plan, 1)], VerificationError, /lists "notes\.txt", which `airlock test` does not write/);
});

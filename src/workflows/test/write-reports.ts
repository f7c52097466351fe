import { randomUUID } from 'node:crypto';
import fs from 'fs-extra';
import { junitXmlOfRuns } from '../../gotest/junit.js';
import { parseTestEvents } from '../../gotest/test-events.js';
import { summarizeTestRun } from '../../gotest/test-run.js';
import { type VetReport, parseVetReport } from '../../gotest/vet-report.js';
import { IN_TOTO_PAYLOAD_TYPE, serializeEnvelope, signEnvelope } from '../../provenance/dsse.js';
import { buildTestResultStatement } from '../../provenance/test-result-statement.js';
import { ENVELOPE_SUFFIX, JUNIT_FILE } from '../../release/layout.js';
import { SandboxPaths } from '../../sandbox/policy.js';
import { toolchainModuleVersion } from '../../toolchain/toolchain-tree.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { sha256Hex } from '../../util/hash.js';
import { airlockVersion } from '../../util/package-root.js';
import { sourceOf, stagingOf } from '../build/stage.js';
import { writeChecksumFiles } from '../release-signatures.js';
import { type TestJobResult, type TestRun, type TestStage, type ToolchainTestOutcome, reportText } from './run.js';

/**
 * Writes what the sandbox printed as it was (the go test -json streams, the go vet -json reports), the JUnit
 * file made from them, a signed test-result attestation per toolchain beside its stream, and SHA256SUMS over
 * everything. airlock reads the streams itself, on the host, as untrusted input: no converter runs in the
 * sandbox.
 */
export const writeTestReports: TestStage = {
  name: 'test reports and attestations',
  async run(run) {
    const staging = stagingOf(run);
    const sums: Array<{ name: string; sha256: string }> = [];
    const write = async (name: string, text: string): Promise<string> => {
      await fs.writeFile(await staging.directoryFor(name), text);
      const sha256 = sha256Hex(text);
      sums.push({ name, sha256 });
      return sha256;
    };
    const vetByToolchain = new Map<string, Array<{ result: TestJobResult; report: VetReport; sha256: string }>>();
    for (const result of run.results.filter((r) => r.job.kind === 'vet').sort(byOutput)) {
      const sha256 = await write(result.job.output, reportText(result));
      const report = parseVetReport({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode }, { sourceRoot: SandboxPaths.source });
      vetByToolchain.set(result.job.toolchain, [...(vetByToolchain.get(result.job.toolchain) ?? []), { result, report, sha256 }]);
    }
    const imageIds = new Map<string, string>();
    for (const [version, { image }] of run.build.toolchains) imageIds.set(version, await run.engine.imageId(image.tag));
    const invocation = randomUUID();
    const several = run.test.jobs.filter((job) => job.kind === 'test').length > 1;
    const outcomes: ToolchainTestOutcome[] = [];
    for (const result of run.results.filter((r) => r.job.kind === 'test').sort(byOutput)) {
      const { job } = result;
      const streamSha256 = await write(job.output, reportText(result));
      const vets = vetByToolchain.get(job.toolchain) ?? [];
      const summary = summarizeTestRun(parseTestEvents(result.stdout + goCommandErrors(result)), { vet: combineVetReports(vets.map((vet) => vet.report)) });
      const statement = buildTestResultStatement({
        result: summary.result,
        passedTests: summary.passedTests,
        failedTests: summary.failedTests,
        warnedTests: summary.warnedTests,
        source: testedSource(run),
        stream: { name: job.output, sha256: streamSha256 },
        toolchain: toolchainFacts(run, job.toolchain),
        sandbox: sandboxFacts(run, job.toolchain, imageIds.get(job.toolchain)!),
        command: ['go', ...job.command.args],
        environment: job.command.env,
        target: job.target,
        counts: { passed: summary.counts.passed, failed: summary.counts.failed, skipped: summary.counts.skipped, errors: summary.counts.unfinished, packages: summary.packages.length },
        vet: vets.map((vet) => ({ name: vet.result.job.output, sha256: vet.sha256, target: vet.result.job.target, findings: vet.report.findings.length, failed: vet.report.failure !== undefined })),
        airlockVersion: airlockVersion(),
        invocationId: `${invocation}/${job.id}`,
        startedOn: result.startedOn,
        finishedOn: result.finishedOn,
      });
      const envelope = await signEnvelope(Buffer.from(canonicalJson(statement)), IN_TOTO_PAYLOAD_TYPE, run.attestation.signer);
      const envelopeName = `${job.output}${ENVELOPE_SUFFIX}`;
      await fs.writeFile(staging.pathFor(envelopeName), serializeEnvelope(envelope));
      outcomes.push({ toolchain: job.toolchain, target: job.target, summary, stream: job.output, envelope: envelopeName });
    }
    const junit = junitXmlOfRuns(
      outcomes.map((outcome) => ({ summary: outcome.summary, ...(several ? { classnameSuffix: ` [${outcome.toolchain} ${outcome.target}]` } : {}) })),
      { timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
    );
    await write(JUNIT_FILE, junit);
    await writeChecksumFiles(staging.stagingDir, sums, run.attestation.signer);
    run.outcomes.push(...outcomes);
  },
};

function byOutput(a: TestJobResult, b: TestJobResult): number {
  return a.job.output < b.job.output ? -1 : 1;
}

/**
 * What the go command printed on stderr besides the stream (a pattern it could not load, a flag it refused)
 * belongs to the run: it goes into the summary as text outside every package, so it is reported, not lost.
 */
function goCommandErrors(result: TestJobResult): string {
  const text = result.stderr.trim();
  return text === '' ? '' : `\n${text}\n`;
}

/** Vet's findings over every target of a toolchain: one finding reported once, the first failure kept. */
function combineVetReports(reports: readonly VetReport[]): VetReport | undefined {
  if (reports.length === 0) return undefined;
  const seen = new Set<string>();
  const findings = reports.flatMap((report) => report.findings).filter((finding) => {
    const key = `${finding.package}\n${finding.analyzer}\n${finding.position}\n${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const failure = reports.find((report) => report.failure)?.failure;
  return {
    findings,
    analyzerErrors: reports.flatMap((report) => report.analyzerErrors),
    ...(failure ? { failure } : {}),
    cutFindings: reports.reduce((sum, report) => sum + report.cutFindings, 0),
  };
}

function testedSource(run: TestRun) {
  const source = sourceOf(run);
  return { path: run.build.module.dir, treeDigest: source.digest.digest, ...(source.git ? { gitCommit: source.git.commit } : {}) };
}

function toolchainFacts(run: TestRun, version: string) {
  const { toolchain } = run.build.toolchains.get(version)!;
  return { version, treeDigest: toolchain.treeDigest, moduleVersion: toolchainModuleVersion(toolchain), platform: `${toolchain.goos}/${toolchain.goarch}` };
}

function sandboxFacts(run: TestRun, version: string, imageId: string) {
  const { policy } = run.build;
  return {
    image: run.build.toolchains.get(version)!.image.tag,
    imageId,
    policyDigest: `sha256:${sha256Hex(canonicalJson(policy))}`,
    seccomp: policy.seccomp.digest ? `${policy.seccomp.name} (${policy.seccomp.digest})` : policy.seccomp.name,
    network: policy.network,
  };
}

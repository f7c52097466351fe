import { describeSupplyChain } from '../../workflows/prove-supply-chain.js';
import os from 'node:os';
import fs from 'fs-extra';
import { AirlockError, ExitCode, InputError } from '../../errors.js';
import { airlockVersion } from '../../util/package-root.js';
import type { TimedEvent } from '../../report/events.js';
import { buildRunReport, recordEvents } from '../../report/run-report.js';
import path from 'node:path';
import type { Argv } from 'yargs';
import { commandEntry } from '../command-index.js';
import type { ChecksumDatabaseRequest } from '../../workflows/build/request.js';
import { type AttestationOptions, type BuildRequest, type ResolvedBuild, assertBuildOutput, executeBuild, prepareBuild, releasePreparedBuild } from '../../workflows/build/index.js';
import { signerFromArguments } from '../signing-arguments.js';
import type { ContainerEngine } from '../../engine/engine.js';
import { connectExecutor } from '../../engine/connect-executor.js';
import { EXECUTOR_OPTIONS, type ExecutorArguments, resolveExecutor } from '../executor-options.js';
import { formatArtifactTable } from '../../report/summary.js';
import { parseShardSpec } from '../../plan/shards.js';
import { type CommandContext, type GlobalOptions, commandContext } from '../context.js';
import { countOf } from '../../report/wording.js';
import { parseJobs } from '../flag-values.js';
import { assertUsableOutput } from '../../release/output-directory.js';
import { DEFAULT_TEST_OUT, prepareTestRun } from '../../workflows/test/index.js';
import { runPreparedTests } from './run-prepared-tests.js';
import { readAirlockConfig } from '../../config/airlock-config.js';
import { type GpgArguments, GPG_OPTIONS, describeChecksumSignatures, gpgSignerFromArguments } from '../gpg-options.js';

export interface BuildArguments extends GlobalOptions, GpgArguments, ExecutorArguments {
  dir: string;
  target: string[];
  main: string[];
  out?: string;
  go: string[];
  ldflags: string[];
  tags: string[];
  /** As given: parsed by parseJobs. */
  jobs?: string;
  modules?: string;
  seccomp?: string;
  check?: boolean;
  cache?: boolean;
  signKey?: string;
  signerCommand?: string;
  signerPub?: string;
  sbom?: boolean;
  shard?: string;
  json?: boolean;
  report?: string;
  failFast?: boolean;
  allowUnproven?: boolean;
  checksumDatabase?: string;
  /** Run go vet and go test first, and build only if they pass. */
  test?: boolean;
  testOut?: string;
}

/** How module sets are proven in the Go checksum database: the site's key and private patterns, never the set's. */
export function checksumDatabaseRequest(args: { allowUnproven?: boolean; checksumDatabase?: string }, env: NodeJS.ProcessEnv): ChecksumDatabaseRequest {
  return {
    ...(args.checksumDatabase !== undefined ? { key: args.checksumDatabase } : {}),
    privatePatterns: env.GONOSUMDB || env.GOPRIVATE || '',
    allowUnproven: args.allowUnproven === true,
  };
}

/**
 * A repeatable string option. Not a yargs array: an array option also swallows the positional DIR after it
 * (`--ldflags "-s -w" examples/hello` would build "." with two ldflags).
 */
export function repeatable(describe: string) {
  return { type: 'string', default: [] as string[], coerce: (value: string | string[]) => [value].flat(), describe } as const;
}

export function buildOptions<T>(yargs: Argv<T>) {
  return yargs
    .positional('dir', { type: 'string', default: '.', describe: 'the Go module to build (the directory holding go.mod)' })
    .option('target', repeatable('GOOS/GOARCH to build for (repeatable; default linux/amd64)'))
    .option('main', repeatable('main package to build, like ./cmd/tool (repeatable; default: the module root if it is a main package, else every cmd/*)'))
    .option(
      'go',
      repeatable('Go version(s) to build with: 1.26.8, a range like ">=1.26 <1.28" or "1.27.x", or latest (repeatable; default: airlock.json, else the newest stored one the module allows)'),
    )
    .option('ldflags', repeatable('extra linker flags, appended after -buildid= (repeatable; --ldflags "-s -w" as go build takes it)'))
    .option('tags', repeatable('build tags (repeatable or comma-separated)'))
    .option('seccomp', { type: 'string', describe: "a site's seccomp profile file, or engine-default (default: airlock's measured allowlist)" })
    .option('modules', { type: 'string', describe: 'a module set from `airlock modules pack`: dependencies are proven against go.sum and, without vendor/, built from it' })
    .option('allow-unproven', {
      type: 'boolean',
      describe: 'with --modules: build even when modules have no Go checksum database evidence in the set (recorded in the provenance)',
    })
    .option('checksum-database', {
      type: 'string',
      describe: "with --modules: the checksum database's verifier key, name+hash+key as GOSUMDB takes it (default: sum.golang.org, pinned)",
    });
}

function sourceDateEpoch(env: NodeJS.ProcessEnv): { sourceDateEpoch?: number } {
  const value = env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return {};
  if (!/^\d+$/.test(value)) {
    throw new InputError(`SOURCE_DATE_EPOCH=${value} is not a number of seconds`, { hint: 'set it to a Unix time, e.g. $(git log -1 --format=%ct)' });
  }
  return { sourceDateEpoch: Number(value) };
}

export function toBuildRequest(args: BuildArguments, context: CommandContext): BuildRequest {
  const jobs = parseJobs(args.jobs);
  return {
    dir: path.resolve(args.dir),
    targets: args.target,
    mains: args.main,
    ...(args.out !== undefined ? { out: path.resolve(args.out) } : {}),
    toolchains: args.go.flatMap((spec) => spec.split(',')).map((spec) => spec.trim()).filter((spec) => spec !== ''),
    ldflags: args.ldflags,
    tags: args.tags.flatMap((tag) => tag.split(',')).map((tag) => tag.trim()).filter((tag) => tag !== ''),
    jobs: jobs ?? os.availableParallelism(),
    ...(args.modules !== undefined ? { modulesFile: path.resolve(args.modules), checksumDatabase: checksumDatabaseRequest(args, context.env) } : {}),
    ...(args.seccomp !== undefined ? { seccomp: args.seccomp } : {}),
    ...(args.check ? { check: true } : {}),
    ...(args.cache ? { cache: true } : {}),
    ...sourceDateEpoch(context.env),
    ...(args.shard !== undefined ? { shard: parseShardSpec(args.shard) } : {}),
    ...(args.failFast ? { failFast: true } : {}),
    airlockHome: context.airlockHome,
  };
}

export async function runBuildCommand(args: BuildArguments): Promise<void> {
  const startedAt = new Date();
  const base = await commandContext(args, { events: args.json === true });
  const recorder = recordEvents(base.reporter);
  const context = { ...base, reporter: recorder.reporter };
  const reportFile = args.report !== undefined ? path.resolve(args.report) : undefined;
  let outDir: string | undefined;
  try {
    if (reportFile && !(await fs.pathExists(path.dirname(reportFile)))) {
      throw new InputError(`--report ${args.report}: the directory ${path.dirname(reportFile)} does not exist`, {
        hint: 'create it first, or pass --report a file in an existing directory',
      });
    }
    outDir = await runBuild(args, context);
    context.reporter.event({ type: 'result', ok: true, exitCode: ExitCode.ok, outDir });
    if (reportFile) await writeRunReport(reportFile, recorder.events, startedAt, ExitCode.ok, undefined, outDir);
  } catch (error) {
    const failure = error instanceof AirlockError ? error : undefined;
    const exitCode = failure?.exitCode ?? ExitCode.internal;
    const message = failure?.message ?? (error instanceof Error ? error.message : String(error));
    context.reporter.event({ type: 'result', ok: false, exitCode, error: message, ...(failure?.hint ? { hint: failure.hint } : {}) });
    // Bad input leaves nothing behind, not even a report; every other outcome is reported for the CI system.
    if (reportFile && !(error instanceof InputError)) {
      await writeRunReport(reportFile, recorder.events, startedAt, exitCode, { message, ...(failure?.hint ? { hint: failure.hint } : {}) }, outDir).catch(() => undefined);
    }
    throw error;
  } finally {
    context.reporter.close();
  }
}

async function writeRunReport(
  file: string,
  events: TimedEvent[],
  startedAt: Date,
  exitCode: number,
  error: { message: string; hint?: string } | undefined,
  outDir: string | undefined,
): Promise<void> {
  const report = buildRunReport({ airlockVersion: airlockVersion(), events, startedAt, finishedAt: new Date(), exitCode, ...(error ? { error } : {}), ...(outDir ? { outDir } : {}) });
  const partial = `${file}.${process.pid}.partial`;
  try {
    await fs.writeFile(partial, `${JSON.stringify(report, null, 2)}\n`);
    await fs.rename(partial, file);
  } catch (error) {
    await fs.remove(partial).catch(() => undefined);
    throw new InputError(`cannot write the report to ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'pass --report a file in an existing, writable directory',
    });
  }
}

async function runBuild(args: BuildArguments, context: CommandContext): Promise<string> {
  const request = toBuildRequest(args, context);
  const signer = signerFromArguments(args, context.env);
  // Before the engine is asked anything: a GPG key that cannot sign is bad input, and nothing has run yet.
  const config = readAirlockConfig(request.dir);
  const gpg = await gpgSignerFromArguments(args, context.env, args.gpgKey === undefined ? config.signing?.gpgKey : undefined);
  const executor = resolveExecutor(args, context.env, config);
  if (args.test && executor.executor === 'kubernetes') {
    // go test runs under the test policy's own seccomp profile, which the pods' Localhost profiles do not have yet.
    throw new InputError('--test does not run on the Kubernetes executor yet (preview)', { hint: 'run `airlock test` with the Docker executor first, or build without --test' });
  }
  const testOut = args.test ? await testRunOutput(args, request) : undefined;
  const engine = await connectExecutor(context.env, executor);
  const info = await engine.info();
  const prepared = await prepareBuild(testOut !== undefined ? { ...request, testRunDir: testOut } : request, info);
  try {
    await assertBuildOutput(prepared);
    if (testOut !== undefined) {
      // The tests run with the build's toolchains, targets (vetted), tags, modules and cache, under the test policy.
      const { mains: _mains, ldflags: _ldflags, out: _out, seccomp: _seccomp, check: _check, shard: _shard, failFast: _failFast, ...shared } = request;
      const test = await prepareTestRun({ ...shared, out: testOut }, { packages: ['./...'], short: false }, info);
      await runPreparedTests(context, engine, test, signer, { json: args.json === true, out: testOut, failure: ', so nothing was built', summaryOnStdout: false });
    }
    return await buildPrepared(context, engine, prepared, { ...(signer ? { signer } : {}), ...(gpg ? { gpg } : {}), sbom: args.sbom ?? false }, args.json === true);
  } finally {
    await releasePreparedBuild(prepared);
  }
}

/** Where `build --test` writes its test run: --test-out, else test-results/ in the module; never the release itself. */
async function testRunOutput(args: BuildArguments, request: BuildRequest): Promise<string> {
  if (request.shard !== undefined) {
    throw new InputError('--test runs the tests of the whole plan, not of one shard', {
      hint: 'run `airlock test` once, build the shards without --test, and pass the test output to `airlock merge` beside the shards',
    });
  }
  const testOut = args.testOut !== undefined ? path.resolve(args.testOut) : path.join(request.dir, DEFAULT_TEST_OUT);
  const outDir = path.resolve(request.dir, request.out ?? 'dist');
  const inside = (parent: string, child: string) => child === parent || child.startsWith(`${parent}${path.sep}`);
  if (inside(testOut, outDir) || inside(outDir, testOut)) {
    throw new InputError(`--test-out ${args.testOut ?? DEFAULT_TEST_OUT} and the release directory ${outDir} overlap`, { hint: 'write the test run and the release to two separate directories' });
  }
  await assertUsableOutput(testOut, request.dir);
  return testOut;
}

async function buildPrepared(
  context: CommandContext,
  engine: ContainerEngine,
  prepared: ResolvedBuild,
  attestation: AttestationOptions,
  json: boolean,
): Promise<string> {
  for (const note of prepared.notes) context.reporter.info(note);
  context.reporter.info(prepared.moduleInputs.summary);
  const proof = prepared.plan.modules?.checksumDatabase;
  if (proof) {
    context.reporter.info(describeSupplyChain(proof));
    context.reporter.event({
      type: 'checksum-database',
      key: proof.key,
      ...(proof.tree ? { tree: proof.tree } : {}),
      allowUnproven: proof.allowUnproven,
      modules: proof.modules.map((m) => ({ path: m.path, version: m.version, status: m.status, ...(m.record !== undefined ? { record: m.record } : {}) })),
    });
  }
  const versions = prepared.plan.toolchains.map((toolchain) => toolchain.version).join(', ');
  context.reporter.info(
    `${countOf(prepared.plan.jobs.length, 'build')} of ${prepared.plan.module.path} with ${versions}` +
      ` (${prepared.module.hasVendor ? 'vendored modules' : 'no vendor/'}), up to ${prepared.run.jobs} at once`,
  );
  const outcome = await executeBuild(engine, prepared, context.reporter, attestation);
  context.reporter.close();
  // With --json, stdout carries only events: the artifacts are in the `done` events and the result.
  if (!json) context.stdout.write(`${formatArtifactTable(outcome.artifacts)}\n`);
  const sums = outcome.plan.layout === 'flat' ? 'SHA256SUMS' : 'a SHA256SUMS per toolchain';
  const provenance = attestation.signer ? 'signed provenance' : 'unsigned provenance';
  context.reporter.info(
    `wrote ${countOf(outcome.artifacts.length, 'binary', 'binaries')}, ${provenance}${attestation.sbom ? ', SBOMs' : ''} and ${sums}` +
      `${describeChecksumSignatures(attestation.signer !== undefined, attestation.gpg)} to ${outcome.outDir}`,
  );
  // --gpg-key signs the checksums only: a site that meant to sign the provenance too must not be left guessing.
  if (attestation.gpg && !attestation.signer) {
    context.reporter.warn('the provenance envelopes are unsigned: --gpg-key signs the checksums files only; add --sign-key (or --signer-command) to sign the envelopes too');
  }
  return outcome.outDir;
}

/** `airlock build`: its flags and arguments, typed by yargs, and its handler. */
export function buildCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('build').usage,
      commandEntry('build').describe,
      (y) =>
        buildOptions(y)
          .option('out', { type: 'string', describe: 'output directory (default: dist/ in the module)' })
          .option('sign-key', { type: 'string', describe: 'sign every envelope and SHA256SUMS with this private key (passphrase in $AIRLOCK_KEY_PASSPHRASE)' })
          .option('signer-command', { type: 'string', describe: 'sign with this command instead (bytes on stdin, signature on stdout), e.g. for an HSM' })
          .option('signer-pub', { type: 'string', describe: 'the public key of --signer-command, to check each signature it returns' })
          .options(GPG_OPTIONS)
          .options(EXECUTOR_OPTIONS)
          .option('sbom', { type: 'boolean', default: false, describe: 'also write a CycloneDX SBOM per artifact' })
          .option('check', { type: 'boolean', default: false, describe: 'build every target twice in fresh containers and fail if the two differ' })
          .option('cache', { type: 'boolean', default: false, describe: 'keep GOCACHE in a persistent volume per module, toolchain and target (faster rebuilds)' })
          .option('jobs', { type: 'string', describe: 'containers to run at once (default: number of CPUs)' })
          .option('shard', { type: 'string', describe: 'build only shard I/N of the plan (see `airlock plan --shards N`), for `airlock merge`' })
          .option('fail-fast', { type: 'boolean', default: false, describe: 'start no more targets once one has failed' })
          .option('json', { type: 'boolean', default: false, describe: 'print progress as JSON events, one per line, on stdout (docs/json-events.md)' })
          .option('report', { type: 'string', describe: 'write a JSON report of the run to this file, for the CI system to archive' })
          .option('test', { type: 'boolean', default: false, describe: 'run go vet and go test in the sandbox first (as `airlock test`), build only if they pass, and put the test attestation into the release' })
          .option('test-out', { type: 'string', describe: `with --test: where the test run's reports go (default: ${DEFAULT_TEST_OUT}/ in the module)` }),
      async (args) => runBuildCommand(args),
    );
}

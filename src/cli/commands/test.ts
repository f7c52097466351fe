import os from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { connectEngine } from '../../engine/docker-engine.js';
import { BuildError, ExitCode } from '../../errors.js';
import { signerFromOptions } from '../../provenance/signer-from-options.js';
import { testTableRows } from '../../gotest/summary-table.js';
import { formatTable } from '../../report/summary.js';
import { countOf } from '../../report/wording.js';
import { DEFAULT_TEST_OUT, type ToolchainTestOutcome, executeTestRun, prepareTestRun, releaseTestRun } from '../../workflows/test/index.js';
import { assertUsableOutput } from '../../release/output-directory.js';
import { type GlobalOptions, commandContext } from '../context.js';
import { parseGoDuration, parseJobs, parseTestPattern } from '../flag-values.js';
import { checksumDatabaseRequest, repeatable } from './build.js';

export interface TestArguments extends GlobalOptions {
  dir: string;
  packages: string[];
  target: string[];
  go: string[];
  tags: string[];
  run?: string;
  skip?: string;
  short?: boolean;
  timeout?: string;
  out?: string;
  jobs?: string;
  modules?: string;
  seccomp?: string;
  cache?: boolean;
  signKey?: string;
  signerCommand?: string;
  signerPub?: string;
  json?: boolean;
  allowUnproven?: boolean;
  checksumDatabase?: string;
}

/** The terminal's summary: per toolchain, a row per package and a total whose status is the run's verdict. */
export function formatTestSummary(outcomes: readonly ToolchainTestOutcome[]): string {
  return outcomes
    .map((outcome) => {
      const reasons = outcome.summary.resultReasons.length > 0 ? ` (${outcome.summary.resultReasons.join(', ')})` : '';
      return [`${outcome.toolchain} on ${outcome.target}: ${outcome.summary.result}${reasons}`, formatTable(testTableRows(outcome.summary))].join('\n');
    })
    .join('\n\n');
}

async function runTestCommand(args: TestArguments): Promise<void> {
  const context = await commandContext(args, { events: args.json === true });
  try {
    // Every flag is checked before the engine is asked anything.
    const selection = {
      packages: args.packages.length > 0 ? args.packages.flatMap((p) => p.split(/\s+/)).filter((p) => p !== '') : ['./...'],
      short: args.short === true,
      ...optional('run', parseTestPattern('--run', args.run)),
      ...optional('skip', parseTestPattern('--skip', args.skip)),
      ...optional('timeout', parseGoDuration('--timeout', args.timeout)),
    };
    const jobs = parseJobs(args.jobs);
    const signer = signerFromOptions(
      {
        ...(args.signKey !== undefined ? { signKey: path.resolve(args.signKey) } : {}),
        ...(args.signerCommand !== undefined ? { signerCommand: args.signerCommand } : {}),
        ...(args.signerPub !== undefined ? { signerPub: path.resolve(args.signerPub) } : {}),
      },
      context.env,
    );
    const dir = path.resolve(args.dir);
    const out = path.resolve(dir, args.out ?? DEFAULT_TEST_OUT);
    await assertUsableOutput(out, dir);
    const engine = await connectEngine(context.env);
    const info = await engine.info();
    const test = await prepareTestRun(
      {
        dir,
        targets: args.target,
        out,
        toolchains: args.go.flatMap((spec) => spec.split(',')).map((spec) => spec.trim()).filter((spec) => spec !== ''),
        tags: args.tags.flatMap((tag) => tag.split(',')).map((tag) => tag.trim()).filter((tag) => tag !== ''),
        jobs: jobs ?? os.availableParallelism(),
        ...(args.modules !== undefined ? { modulesFile: path.resolve(args.modules), checksumDatabase: checksumDatabaseRequest(args, context.env) } : {}),
        ...(args.seccomp !== undefined ? { seccomp: args.seccomp } : {}),
        ...(args.cache ? { cache: true } : {}),
        airlockHome: context.airlockHome,
      },
      selection,
      info,
    );
    let outcomes: ToolchainTestOutcome[];
    try {
      for (const note of test.build.notes) context.reporter.info(note);
      context.reporter.info(test.build.moduleInputs.summary);
      const vets = test.jobs.filter((job) => job.kind === 'vet').length;
      context.reporter.info(
        `go vet for ${countOf(vets, 'target')} and go test on ${info.os}/${info.arch} of ${test.build.plan.module.path} (${test.selection.packages.join(' ')})` +
          ` with ${test.build.plan.toolchains.map((t) => t.version).join(', ')}, offline, up to ${test.build.run.jobs} at once`,
      );
      ({ outcomes } = await executeTestRun(engine, test, context.reporter, signer ? { signer, sbom: false } : { sbom: false }));
    } finally {
      await releaseTestRun(test);
    }
    context.reporter.close();
    if (args.json !== true) context.stdout.write(`${formatTestSummary(outcomes)}\n`);
    context.reporter.info(`wrote the go test -json streams, go vet reports, junit.xml, ${signer ? 'signed' : 'unsigned'} test-result attestations and SHA256SUMS to ${out}`);
    const failed = outcomes.filter((outcome) => outcome.summary.result === 'FAILED');
    if (failed.length > 0) {
      throw new BuildError(`the tests failed: ${failed.map((o) => `${o.toolchain}: ${o.summary.resultReasons.join(', ')}`).join('; ')}`, {
        hint: `see the failures above and in ${path.join(out, 'junit.xml')}`,
      });
    }
    context.reporter.event({ type: 'result', ok: true, exitCode: ExitCode.ok, outDir: out });
  } finally {
    context.reporter.close();
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** `airlock test`: go vet and go test in the sandbox, offline, with reports and a signed attestation. */
export function testCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli.command(
    'test [dir]',
    'run go vet and go test of a Go module in the sandbox, offline, with JUnit and a signed test-result attestation',
    (y) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'the Go module to test (the directory holding go.mod)' })
        .option('packages', repeatable("package patterns to test, relative to the module (repeatable; default ./...)"))
        .option('target', repeatable('GOOS/GOARCH to vet for (repeatable; default linux/amd64); tests run on the engine\'s platform'))
        .option('go', repeatable('Go version(s) to test with, as for build (repeatable)'))
        .option('tags', repeatable('build tags (repeatable or comma-separated)'))
        .option('run', { type: 'string', describe: 'run only the tests this regular expression matches (go test -run)' })
        .option('skip', { type: 'string', describe: 'skip the tests this regular expression matches (go test -skip)' })
        .option('short', { type: 'boolean', default: false, describe: 'tell long-running tests to shorten their run time (go test -short)' })
        .option('timeout', { type: 'string', describe: 'stop a test binary that runs longer than this, like 10m (go test -timeout)' })
        .option('out', { type: 'string', describe: `output directory (default: ${DEFAULT_TEST_OUT}/ in the module)` })
        .option('jobs', { type: 'string', describe: 'containers to run at once (default: number of CPUs)' })
        .option('modules', { type: 'string', describe: 'a module set from `airlock modules pack`, as for build' })
        .option('allow-unproven', { type: 'boolean', describe: 'with --modules: test even when modules have no Go checksum database evidence in the set' })
        .option('checksum-database', { type: 'string', describe: "with --modules: the checksum database's verifier key, as for build" })
        .option('seccomp', { type: 'string', describe: "a site's seccomp profile file, or engine-default (default: airlock's measured test allowlist)" })
        .option('cache', { type: 'boolean', default: false, describe: 'keep GOCACHE in the persistent volume build --cache uses (test results are never cached: -count=1)' })
        .option('sign-key', { type: 'string', describe: 'sign the attestations and SHA256SUMS with this private key (passphrase in $AIRLOCK_KEY_PASSPHRASE)' })
        .option('signer-command', { type: 'string', describe: 'sign with this command instead, as for build' })
        .option('signer-pub', { type: 'string', describe: 'the public key of --signer-command' })
        .option('json', { type: 'boolean', default: false, describe: 'print progress as JSON events, one per line, on stdout (docs/json-events.md)' }),
    async (args) => runTestCommand(args as unknown as TestArguments),
  );
}

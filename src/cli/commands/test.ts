import os from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { connectEngine } from '../../engine/docker-engine.js';
import { ExitCode } from '../../errors.js';
import { signerFromArguments } from '../signing-arguments.js';
import { DEFAULT_TEST_OUT, prepareTestRun } from '../../workflows/test/index.js';
import { assertUsableOutput } from '../../release/output-directory.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';
import { runPreparedTests } from './run-prepared-tests.js';
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
    const signer = signerFromArguments(args, context.env);
    const dir = path.resolve(args.dir);
    const out = args.out !== undefined ? path.resolve(args.out) : path.join(dir, DEFAULT_TEST_OUT);
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
    await runPreparedTests(context, engine, test, signer, { json: args.json === true, out, failure: '', summaryOnStdout: true });
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
      commandEntry('test').usage,
      commandEntry('test').describe,
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

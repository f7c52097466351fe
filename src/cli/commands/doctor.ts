import type { Argv } from 'yargs';
import { commandEntry } from '../command-index.js';
import path from 'node:path';
import { executeBuild, prepareBuild, releasePreparedBuild } from '../../workflows/build/index.js';
import { connectEngine } from '../../engine/docker-engine.js';
import type { ContainerEngine, EngineInfo } from '../../engine/engine.js';
import { AirlockError, ExitCode, InputError } from '../../errors.js';
import { packageRoot } from '../../util/package-root.js';
import { silentReporter } from '../../report/reporter.js';
import { formatTable } from '../../report/summary.js';
import { SandboxImages } from '../../sandbox/ensure-image.js';
import { ResourceTracker } from '../../sandbox/resource-tracker.js';
import { type ProbeResult, runProbesInSandbox, unexpectedOutcome } from '../../sandbox/run-probes.js';
import { ToolchainStore } from '../../toolchain/store.js';
import { type CommandContext, type GlobalOptions, commandContext } from '../context.js';
import { countOf } from '../../report/wording.js';
import { defaultSandboxPolicy } from '../../sandbox/policy.js';
import { createScratchDir } from '../../util/scratch-dir.js';
import { readAirlockConfig } from '../../config/airlock-config.js';
import { gpgVersion } from '../../provenance/gpg-command.js';
import { findGpgSigningKey } from '../../provenance/gpg-signer.js';

export interface Finding {
  ok: boolean;
  subject: string;
  text: string;
  hint?: string;
  exitCode?: number;
}

function engineFindings(info: EngineInfo, endpoint: string): Finding[] {
  const findings: Finding[] = [{ ok: true, subject: 'engine', text: `${info.kind} ${info.version} (API ${info.apiVersion}) on ${info.os}/${info.arch} at ${endpoint}` }];
  findings.push(
    info.seccomp
      ? { ok: true, subject: 'seccomp', text: 'supported by the engine: airlock sends its measured allowlist with every build' }
      : { ok: false, subject: 'seccomp', text: 'the engine does not report seccomp support', hint: 'use an engine built with seccomp (Debian docker.io is)', exitCode: ExitCode.engineUnavailable },
  );
  const missing = (['memory', 'pids', 'cpu'] as const).filter((limit) => !info.limits[limit]);
  findings.push(
    missing.length === 0
      ? { ok: true, subject: 'limits', text: `memory, pids and CPU limits enforced (cgroups v${info.cgroupVersion})` }
      : { ok: false, subject: 'limits', text: `the engine cannot enforce ${missing.join(', ')} limits (cgroups v${info.cgroupVersion})`, hint: 'enable the cgroup controllers (rootless engines need cgroup v2 with delegation)', exitCode: ExitCode.engineUnavailable },
  );
  findings.push({ ok: true, subject: 'rootless', text: info.rootless ? 'yes: the engine itself runs unprivileged' : 'no: the engine runs as root (the containers do not)' });
  findings.push({ ok: true, subject: 'userns', text: info.userNamespaces ? 'user-namespace remapping is on' : 'no user-namespace remapping (uid 65534 in the sandbox is 65534 on the host)' });
  return findings;
}

async function buildProbe(context: CommandContext, engineInfo: EngineInfo, engine: ContainerEngine, seccomp: string | undefined, purpose: ProbePolicy) {
  const scratch = await createScratchDir('airlock-probe');
  const out = scratch.path;
  const request = {
    dir: path.join(packageRoot(), 'test', 'probe'),
    targets: [`linux/${engineInfo.arch}`],
    mains: [],
    out: path.join(out, 'dist'),
    toolchains: [],
    ldflags: [],
    tags: [],
    jobs: 1,
    airlockHome: context.airlockHome,
    ...(seccomp !== undefined ? { seccomp } : {}),
  };
  const built = await prepareBuild(request, engineInfo);
  try {
    await executeBuild(engine, built, silentReporter);
  } finally {
    await releasePreparedBuild(built);
  }
  // The probes run under the policy asked for: the test policy is resolved as `airlock test` resolves it.
  const prepared = purpose === 'test' ? await prepareBuild({ ...request, purpose: 'test' }, engineInfo) : built;
  await releasePreparedBuild(prepared);
  return { prepared, binary: path.join(out, 'dist', `probe_linux_${engineInfo.arch}`), cleanup: () => scratch.remove() };
}

/**
 * The scratch limit is airlock's to enforce (no engine can size a plain volume): it needs the engine's report of
 * volume sizes, which is asked here once, timed, as the guard asks it during builds.
 */
async function scratchFinding(engine: ContainerEngine, info: EngineInfo): Promise<Finding> {
  const limitMiB = defaultSandboxPolicy(1).scratchBytes / 1024 ** 2;
  let started = Date.now();
  try {
    let sizes: Map<string, number> | undefined;
    // Docker measures for one caller at a time: a running build's guard may be asking at this moment.
    for (let attempt = 1; sizes === undefined; attempt++) {
      started = Date.now();
      try {
        sizes = await engine.volumeSizes();
      } catch (error) {
        if (attempt >= 5 || !/already running/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    const took = Date.now() - started;
    return {
      ok: true,
      subject: 'scratch',
      text:
        `each build's GOCACHE and work files are in a volume of its own on the engine's disk, held to ${limitMiB} MiB by default (sandbox.scratchMiB): ` +
        `airlock asks ${info.kind} for its volume sizes every 5 s while builds run and removes a build that is over (${sizes.size} volumes measured in ${took} ms), ` +
        'and no file may outgrow the limit (RLIMIT_FSIZE)',
    };
  } catch (error) {
    return {
      ok: false,
      subject: 'scratch',
      text: `the engine does not report its volume sizes (${(error as Error).message}), so the scratch limit (sandbox.scratchMiB) cannot be enforced`,
      hint: 'use an engine whose API answers GET /system/df (Docker 20.10 or later, Podman 4 or later)',
      exitCode: ExitCode.engineUnavailable,
    };
  }
}

/**
 * Only when airlock.json names a GPG key (signing.gpgKey): whether gpg is installed, its version, and whether
 * the key is in the keyring (GNUPGHOME, else ~/.gnupg). The passphrase is not tried: doctor signs nothing.
 */
export async function gpgFinding(moduleDir: string, env: NodeJS.ProcessEnv): Promise<Finding | undefined> {
  let keyId: string | undefined;
  try {
    keyId = readAirlockConfig(moduleDir).signing?.gpgKey;
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
    return { ok: false, subject: 'airlock.json', text: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode };
  }
  if (keyId === undefined) return undefined;
  try {
    const version = await gpgVersion(env);
    const { key } = await findGpgSigningKey({ keyId, env });
    return { ok: true, subject: 'gpg', text: `GnuPG ${version} installed; signing.gpgKey ${keyId} is ${key.fingerprint}${key.userIds[0] ? ` (${key.userIds[0]})` : ''}` };
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
    return { ok: false, subject: 'gpg', text: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode };
  }
}

type ProbePolicy = 'build' | 'test';

/** Builds the escape probes with airlock itself and runs them under the exact build (or test) policy. */
async function runProbes(context: CommandContext, engine: ContainerEngine, info: EngineInfo, seccomp: string | undefined, purpose: ProbePolicy): Promise<ProbeResult[]> {
  const { prepared, binary, cleanup } = await buildProbe(context, info, engine, seccomp, purpose);
  try {
    const { toolchain, image } = [...prepared.toolchains.values()][0]!;
    await new SandboxImages(engine, path.join(context.airlockHome, 'locks')).ensure(image, toolchain.goroot);
    const tracker = new ResourceTracker(engine);
    try {
      return await runProbesInSandbox(engine, tracker, prepared.policy, {
        image: image.tag,
        probeBinary: binary,
        purpose,
        ...(prepared.seccomp ? { seccomp: prepared.seccomp } : {}),
      });
    } finally {
      await tracker.removeAll();
    }
  } finally {
    await cleanup();
  }
}

/** Checks what a build needs and says what to do about each problem; exits non-zero if anything is wrong. */
export async function runDoctor(args: GlobalOptions & { dir?: string; probe?: boolean; seccomp?: string; json?: boolean; policy?: string }): Promise<number> {
  const context = await commandContext(args);
  const purpose = args.policy ?? 'build';
  if (purpose !== 'build' && purpose !== 'test') {
    throw new InputError(`--policy ${purpose} is not a sandbox policy`, { hint: 'pass --policy build (the default) or --policy test (what `airlock test` runs under)' });
  }
  const findings: Finding[] = [];
  let engine: Awaited<ReturnType<typeof connectEngine>> | undefined;
  let info: EngineInfo | undefined;
  try {
    engine = await connectEngine(context.env);
    info = await engine.info();
    findings.push(...engineFindings(info, engine.endpoint));
    findings.push(await scratchFinding(engine, info));
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
    findings.push({ ok: false, subject: 'engine', text: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode });
  }
  try {
    const toolchains = await new ToolchainStore(context.airlockHome).list();
    findings.push(
      toolchains.length > 0
        ? { ok: true, subject: 'toolchains', text: toolchains.map((t) => `${t.version} ${t.goos}/${t.goarch} (${t.verification.status})`).join(', ') }
        : { ok: false, subject: 'toolchains', text: `none stored in ${context.airlockHome}`, hint: 'import one with `airlock toolchain import --goroot "$(go env GOROOT)"`', exitCode: ExitCode.badInput },
    );
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
    findings.push({ ok: false, subject: 'toolchains', text: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode });
  }
  const gpg = await gpgFinding(path.resolve(args.dir ?? '.'), context.env);
  if (gpg) findings.push(gpg);
  for (const finding of findings) {
    context.stdout.write(`${finding.ok ? 'ok     ' : 'problem'} ${finding.subject}: ${finding.text}${finding.hint ? `; ${finding.hint}` : ''}\n`);
  }
  const problem = findings.find((finding) => !finding.ok)?.exitCode;
  if (!args.probe || problem !== undefined || !engine || !info) return problem ?? ExitCode.ok;

  const results = await runProbes(context, engine, info, args.seccomp, purpose);
  if (args.json) {
    context.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const label = (r: ProbeResult) => {
      const unexpected = unexpectedOutcome(r);
      return unexpected === 'escaped' ? 'ESCAPED' : unexpected === 'blocked' ? 'BLOCKED' : r.outcome === 'allowed' ? 'allowed' : r.outcome;
    };
    const rows = results.map((r) => [label(r), r.probe, r.category, r.detail]);
    context.stdout.write(`${formatTable([['RESULT', 'PROBE', 'CATEGORY', 'DETAIL'], ...rows])}\n`);
  }
  const escaped = results.filter((r) => unexpectedOutcome(r) === 'escaped');
  const blocked = results.filter((r) => unexpectedOutcome(r) === 'blocked');
  const denied = results.filter((r) => r.outcome === 'denied').length;
  const allowed = results.filter((r) => r.outcome === 'allowed').length;
  context.stdout.write(
    `${results.length} probes under the ${purpose} policy: ${denied} denied, ${allowed - escaped.length} allowed by design, ${escaped.length} escaped, ${results.length - denied - allowed} skipped\n`,
  );
  if (escaped.length > 0) {
    context.stderr.write(`airlock: error: ${countOf(escaped.length, 'probe')} escaped the sandbox: ${escaped.map((r) => r.probe).join(', ')}; do not run untrusted ${purpose === 'test' ? 'tests' : 'builds'} on this runner until the policy holds\n`);
    return ExitCode.verificationFailed;
  }
  if (blocked.length > 0) {
    context.stderr.write(`airlock: error: the ${purpose} policy denies what it must allow: ${blocked.map((r) => r.probe).join(', ')}; tests that use loopback will fail on this runner (check the engine's seccomp support with \`airlock doctor\`)\n`);
    return ExitCode.verificationFailed;
  }
  return ExitCode.ok;
}

/** `airlock doctor`: its flags and arguments, typed by yargs, and its handler. */
export function doctorCommand<T extends GlobalOptions>(cli: Argv<T>, setExitCode: (code: number) => void): Argv<T> {
  return cli
    .command(
      commandEntry('doctor').usage,
      commandEntry('doctor').describe,
      (y) =>
        y
          .positional('dir', { type: 'string', default: '.', describe: 'the Go module whose airlock.json names the signing key, if any' })
          .option('probe', { type: 'boolean', default: false, describe: 'build and run the escape-probe suite under the exact build policy' })
          .option('policy', { type: 'string', describe: 'with --probe: build (default), or test: the policy `airlock test` runs under, where loopback is allowed by design' })
          .option('seccomp', { type: 'string', describe: 'with --probe: a seccomp profile file, or engine-default, to compare' })
          .option('json', { type: 'boolean', default: false, describe: 'with --probe: print the probe results as JSON' }),
      async (args) => {
        setExitCode(await runDoctor(args));
      },
    );
}

import { connectEngine } from '../../engine/docker-engine.js';
import { AirlockError, ExitCode } from '../../errors.js';
import { ToolchainStore } from '../../toolchain/store.js';
import { type GlobalOptions, commandContext } from '../context.js';

interface Finding {
  ok: boolean;
  subject: string;
  text: string;
  hint?: string;
  exitCode?: number;
}

/** Checks what a build needs and says what to do about each problem; exits non-zero if anything is wrong. */
export async function runDoctor(args: GlobalOptions): Promise<number> {
  const context = commandContext(args);
  const findings: Finding[] = [];
  try {
    const engine = await connectEngine(context.env);
    const info = await engine.info();
    findings.push({ ok: true, subject: 'engine', text: `${info.kind} ${info.version} (API ${info.apiVersion}) on ${info.os}/${info.arch} at ${engine.endpoint}` });
    findings.push(
      info.seccomp
        ? { ok: true, subject: 'seccomp', text: 'supported by the engine' }
        : { ok: false, subject: 'seccomp', text: 'the engine does not report seccomp support', hint: 'use an engine built with seccomp (Debian docker.io is)', exitCode: ExitCode.engineUnavailable },
    );
    findings.push({ ok: true, subject: 'cgroups', text: `version ${info.cgroupVersion}${info.rootless ? ', rootless engine' : ''}` });
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
  for (const finding of findings) {
    context.stdout.write(`${finding.ok ? 'ok     ' : 'problem'} ${finding.subject}: ${finding.text}${finding.hint ? `; ${finding.hint}` : ''}\n`);
  }
  return findings.find((finding) => !finding.ok)?.exitCode ?? ExitCode.ok;
}

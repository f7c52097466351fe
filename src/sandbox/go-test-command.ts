/**
 * What `airlock test` runs in the sandbox: `go vet -json` per target and `go test -json` for the engine's
 * platform, with the build's environment plus what tests need. Resolved once per job, like goBuildCommand:
 * the sandbox runs exactly this and the test attestation records exactly this.
 */
import { type BuildCommandInput, type GoBuildCommand, type SandboxPolicy, SandboxPaths, goBuildEnvironment } from './policy.js';

/** What the user chose to test: packages and the go test flags airlock passes through (each checked up front). */
export interface TestSelection {
  /** Package patterns, relative to the module root (./... by default). */
  readonly packages: readonly string[];
  readonly run?: string;
  readonly skip?: string;
  readonly short: boolean;
  /** A Go duration (go test's -timeout, per test binary). */
  readonly timeout?: string;
}

export type GoCommandContext = Pick<BuildCommandInput, 'goos' | 'goarch' | 'vendored' | 'moduleCache' | 'persistentCache' | 'tags'>;

/**
 * The test policy: the build policy with the one difference the sandbox's shape needs, an executable /tmp (the
 * test binary and the helpers tests build are run from there; still nosuid and nodev). The seccomp profile is
 * the other difference, chosen by the caller (templates/seccomp/airlock-go-test.json by default): loopback
 * sockets, and the calls ordinary test code makes. The network stays mode none: there is no way to turn it on.
 */
export function testSandboxPolicy(build: SandboxPolicy): SandboxPolicy {
  return { ...build, executableTmp: true };
}

/** The environment of both commands: the build's, and time zones from the toolchain (FROM scratch has none). */
function testEnvironment(context: GoCommandContext): Record<string, string> {
  return {
    ...goBuildEnvironment({ ...context, mainPackage: '.', outputName: '', ldflags: [] }),
    // The test binaries are linked and run, and t.TempDir made, in the executable nosuid,nodev tmpfs; the
    // build cache stays in the scratch volume on disk.
    GOTMPDIR: SandboxPaths.tmp,
    // -trimpath is not used, but a test may still run with runtime.GOROOT() empty; ZONEINFO always works.
    ZONEINFO: `${SandboxPaths.goroot}/lib/time/zoneinfo.zip`,
  };
}

function tagsFlag(tags: readonly string[]): string[] {
  return tags.length > 0 ? [`-tags=${tags.join(',')}`] : [];
}

/** go vet for one target: -json, whose exit status is 0 even with findings (the report is read instead). */
export function goVetCommand(context: GoCommandContext, selection: TestSelection): GoBuildCommand {
  return { args: ['vet', '-json', ...tagsFlag(context.tags), ...selection.packages], env: testEnvironment(context) };
}

/**
 * go test for the engine's platform: -json (the stream airlock turns into its reports), -count=1 always (a
 * cached result would attest a run that did not happen here), no VCS stamp (the sandbox's source has no .git),
 * and -outputdir in the output directory (profiles a test writes never land in the read-only source).
 */
export function goTestCommand(context: GoCommandContext, selection: TestSelection): GoBuildCommand {
  const args = ['test', '-json', '-count=1', '-buildvcs=false', `-outputdir=${SandboxPaths.output}`, ...tagsFlag(context.tags)];
  if (selection.short) args.push('-short');
  if (selection.run !== undefined) args.push(`-run=${selection.run}`);
  if (selection.skip !== undefined) args.push(`-skip=${selection.skip}`);
  if (selection.timeout !== undefined) args.push(`-timeout=${selection.timeout}`);
  args.push(...selection.packages);
  return { args, env: testEnvironment(context) };
}

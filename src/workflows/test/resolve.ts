/**
 * `airlock test`, resolved: from a build resolved for testing (the test policy, its seccomp profile, the plan's
 * toolchains and targets, no build jobs), the vet and test jobs, each with the exact go command it runs.
 * Pure; the result is frozen, like a resolved build.
 */
import type { GoBuildCommand } from '../../sandbox/policy.js';
import { type TestSelection, goTestCommand, goVetCommand } from '../../sandbox/go-test-command.js';
import { deepFreeze } from '../../util/deep-freeze.js';
import { type ResolvedBuild, buildCacheVolume } from '../build/index.js';

export type TestJobKind = 'vet' | 'test';

/** One go vet (per toolchain and target) or go test (per toolchain, for the engine's platform) in the sandbox. */
export interface TestJob {
  readonly id: string;
  readonly kind: TestJobKind;
  readonly toolchain: string;
  readonly target: string;
  readonly goos: string;
  readonly goarch: string;
  readonly command: GoBuildCommand;
  /** The file its report is written to: the go test -json stream, or the go vet -json report. */
  readonly output: string;
  /** What messages call it. */
  readonly label: string;
  readonly cacheVolume?: string;
}

export interface ResolvedTestRun {
  readonly build: ResolvedBuild;
  readonly selection: TestSelection;
  readonly jobs: readonly TestJob[];
}

/** The report files of one toolchain's run: the JSON stream of go test, the vet report per target. */
export function testStreamFile(toolchain: string, target: string): string {
  return `go-test.${toolchain}.${target.replace('/', '-')}.json`;
}

export function vetReportFile(toolchain: string, target: string): string {
  return `go-vet.${toolchain}.${target.replace('/', '-')}.json`;
}

/**
 * Vet runs for every target of the plan, since what it checks depends on GOOS/GOARCH; tests run where
 * they can, on the engine's platform. Vet jobs come first: they are quick, and a finding is known early.
 */
export function resolveTestRun(build: ResolvedBuild, selection: TestSelection): ResolvedTestRun {
  const targets = build.plan.testTargets ?? [];
  const native = `${build.engine.os}/${build.engine.arch}`;
  const jobs: TestJob[] = [];
  const context = (goos: string, goarch: string, cacheVolume: string | undefined) => ({
    goos,
    goarch,
    vendored: build.module.hasVendor,
    moduleCache: build.moduleInputs.source === 'module-set',
    persistentCache: cacheVolume !== undefined,
    tags: build.plan.flags.tags,
  });
  const packages = selection.packages.join(' ');
  for (const { version } of build.plan.toolchains) {
    const toolchain = build.toolchains.get(version)!.toolchain;
    const cacheVolume = build.run.persistentCache ? buildCacheVolume(toolchain.treeDigest, build.plan.module.path) : undefined;
    for (const target of targets) {
      const [goos, goarch] = target.split('/') as [string, string];
      jobs.push({
        id: `${version}-vet-${goos}-${goarch}`,
        kind: 'vet',
        toolchain: version,
        target,
        goos,
        goarch,
        command: goVetCommand(context(goos, goarch, cacheVolume), selection),
        output: vetReportFile(version, target),
        label: `${packages} for ${target} with ${version}`,
        ...(cacheVolume ? { cacheVolume } : {}),
      });
    }
  }
  for (const { version } of build.plan.toolchains) {
    const toolchain = build.toolchains.get(version)!.toolchain;
    const cacheVolume = build.run.persistentCache ? buildCacheVolume(toolchain.treeDigest, build.plan.module.path) : undefined;
    jobs.push({
      id: `${version}-test-${native.replace('/', '-')}`,
      kind: 'test',
      toolchain: version,
      target: native,
      goos: build.engine.os,
      goarch: build.engine.arch,
      command: goTestCommand(context(build.engine.os, build.engine.arch, cacheVolume), selection),
      output: testStreamFile(version, native),
      label: `${packages} on ${native} with ${version}`,
      ...(cacheVolume ? { cacheVolume } : {}),
    });
  }
  deepFreeze(jobs);
  return Object.freeze({ build, selection: Object.freeze({ ...selection }), jobs });
}

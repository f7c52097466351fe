import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { writeAttestation } from '../../../provenance/attest.js';
import { MAX_RECORDED_FILES, type ProvenanceInput } from '../../../provenance/statement.js';
import { toolchainModuleVersion } from '../../../toolchain/toolchain-tree.js';
import { canonicalJson } from '../../../util/canonical-json.js';
import { sha256Hex } from '../../../util/hash.js';
import { airlockVersion } from '../../../util/package-root.js';
import type { BuildRun, BuiltArtifact } from '../run.js';
import { type BuildStage, sourceOf, stagingOf } from '../stage.js';

/**
 * Writes each binary's provenance (signed when there is a signer) and, with --sbom, its SBOM. The statement
 * is made from the job record the sandbox ran: its command and environment are the job's, not rebuilt here.
 */
export const attest: BuildStage = {
  name: 'attest',
  async run(run) {
    const imageIds = new Map<string, string>();
    for (const [version, { image }] of run.build.toolchains) imageIds.set(version, await run.engine.imageId(image.tag));
    const invocation = randomUUID();
    for (const artifact of run.artifacts) {
      const written = await writeAttestation(
        {
          file: stagingOf(run).pathFor(artifact.job.output),
          job: artifact.job,
          sha256: artifact.sha256,
          sbom: run.attestation.sbom,
          airlockVersion: airlockVersion(),
          provenance: provenanceOf(run, artifact, imageIds.get(artifact.job.toolchain)!, `${invocation}/${artifact.job.id}`),
        },
        run.attestation.signer,
      );
      if (written.sbom) run.sboms.set(artifact.job.output, written.sbom);
    }
  },
};

/** Pure: what one artifact's provenance statement says, from the run's facts and the artifact's job record. */
export function provenanceOf(run: BuildRun, artifact: BuiltArtifact, imageId: string, invocationId: string): Omit<ProvenanceInput, 'artifact' | 'sbom'> {
  const { build } = run;
  const { job } = artifact;
  const { plan, policy, moduleInputs, module } = build;
  const { toolchain, image } = build.toolchains.get(job.toolchain)!;
  const source = sourceOf(run);
  return {
    source: {
      path: module.dir,
      treeDigest: source.digest.digest,
      ...(source.git ? { gitCommit: source.git.commit, gitDirty: source.git.dirty, gitTags: source.git.tags } : {}),
      ...(source.git?.remote !== undefined ? { gitRemote: source.git.remote } : {}),
      excluded: [...new Set(source.exclude.flatMap((excluded) => sourceExcludes(module.dir, excluded)))].sort(),
      ...(Object.keys(source.digest.files).length <= MAX_RECORDED_FILES ? { files: source.digest.files } : {}),
    },
    module: { path: plan.module.path, ...(plan.module.go !== undefined ? { go: plan.module.go } : {}) },
    build: { package: job.package, goos: job.goos, goarch: job.goarch, ldflags: plan.flags.ldflags, tags: plan.flags.tags },
    toolchain: {
      version: toolchain.version,
      platform: `${toolchain.goos}/${toolchain.goarch}`,
      treeDigest: toolchain.treeDigest,
      verification: { status: toolchain.verification.status, checks: toolchain.verification.checks ?? [] },
      moduleVersion: toolchainModuleVersion(toolchain),
    },
    command: ['go', ...job.command.args],
    environment: { ...job.command.env },
    sandbox: {
      image: image.tag,
      imageId,
      policy,
      policyDigest: `sha256:${sha256Hex(canonicalJson(policy))}`,
      seccomp: policy.seccomp.digest ? `${policy.seccomp.name} (${policy.seccomp.digest})` : policy.seccomp.name,
      network: policy.network,
    },
    modules: {
      source: moduleInputs.source,
      verified: moduleInputs.verified,
      list: moduleInputs.modules,
      ...(build.plan.modules?.checksumDatabase ? { checksumDatabase: build.plan.modules.checksumDatabase } : {}),
    },
    builderVersion: { airlock: airlockVersion(), engine: `${build.engine.kind} ${build.engine.version}` },
    ...(artifact.placement
      ? { executor: { kind: artifact.placement.executor, apiServerVersion: build.engine.version ?? 'unknown', namespace: artifact.placement.namespace, pod: artifact.placement.pod, node: artifact.placement.node, podSpecDigest: artifact.placement.podSpecDigest } }
      : {}),
    ...(job.cacheVolume ? { buildCache: `persistent volume ${job.cacheVolume}, shared only by builds of this module with this toolchain` } : {}),
    invocationId,
    startedOn: artifact.startedOn,
    finishedOn: artifact.finishedOn,
  };
}

/** The output directory, relative to the module, when it lies inside it (it is never part of the source). */
export function sourceExcludes(moduleDir: string, outDir: string): string[] {
  const relative = path.relative(moduleDir, outDir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? [relative.split(path.sep).join('/')] : [];
}

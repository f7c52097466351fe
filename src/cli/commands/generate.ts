import type { Argv } from 'yargs';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { hostPlatform } from '../../plan/host-platform.js';
import { selectToolchain } from '../../plan/select-toolchain.js';
import { listImageContext } from '../../sandbox/image-context.js';
import { sandboxImageSpec } from '../../sandbox/image-spec.js';
import { loadSandboxTemplate } from '../../sandbox/load-template.js';
import { defaultSandboxPolicy } from '../../sandbox/policy.js';
import { ToolchainStore } from '../../toolchain/store.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { sha256Hex } from '../../util/hash.js';
import { loadSeccompChoice, strictProfilePath } from '../../sandbox/seccomp-choice.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';
import { checkOutputFile, writeFileAtomically } from '../output-file.js';
import { kubernetesSeccompProfileName } from '../../engine/kubernetes-engine.js';

/** Writes the sandbox image's Dockerfile and a listing of its build context, for review. */
export async function runGenerateDockerfile(args: GlobalOptions & { out: string; go?: string[] }): Promise<void> {
  const context = await commandContext(args);
  const out = path.resolve(args.out);
  const existing = await fs.stat(out).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) {
    throw new InputError(`--out ${args.out} is a file, not a directory`, { hint: 'pass a new or empty directory to --out' });
  }
  if (existing !== undefined && (await fs.readdir(out)).length > 0) {
    throw new InputError(`${args.out} is not empty`, { hint: 'pass a new or empty directory to --out' });
  }
  const { toolchain } = selectToolchain(await new ToolchainStore(context.airlockHome).list(), {
    ...(args.go !== undefined && args.go.length > 0 ? { requested: args.go[0]! } : {}),
    enginePlatform: hostPlatform(os.platform(), os.arch()),
  });
  const spec = sandboxImageSpec(await loadSandboxTemplate(), toolchain, defaultSandboxPolicy(os.availableParallelism()));
  const entries = await listImageContext(spec, toolchain.goroot);
  await fs.mkdirp(path.join(out, 'rootfs', 'etc'));
  await fs.writeFile(path.join(out, 'Dockerfile'), spec.dockerfile);
  await fs.writeFile(path.join(out, 'rootfs', 'etc', 'passwd'), spec.passwd);
  await fs.writeFile(path.join(out, 'rootfs', 'etc', 'group'), spec.group);
  await fs.writeFile(
    path.join(out, 'context.txt'),
    entries.map((entry) => `${entry.type === 'directory' ? 'd' : '-'} ${entry.mode.toString(8).padStart(4, '0')} 0:0 ${entry.path}`).join('\n') + '\n',
  );
  await fs.writeFile(
    path.join(out, 'image.json'),
    `${JSON.stringify({ tag: spec.tag, templateDigest: spec.templateDigest, toolchain: spec.toolchain, labels: spec.labels }, null, 2)}\n`,
  );
  context.reporter.info(`wrote the Dockerfile and the context listing (${entries.length} entries) for ${spec.tag} to ${out}`);
}

/** Prints the whole container policy as canonical JSON with its digest: what every build records. */
export async function runGeneratePolicy(args: GlobalOptions & { seccomp?: string }): Promise<void> {
  const context = await commandContext(args);
  const seccomp = await loadSeccompChoice(args.seccomp);
  const policy = { ...defaultSandboxPolicy(os.availableParallelism()), seccomp: seccomp.choice };
  const canonical = canonicalJson(policy);
  context.stdout.write(`${JSON.stringify(JSON.parse(canonical), null, 2)}\n`);
  context.reporter.info(`policy digest sha256:${sha256Hex(canonical)} (cpus follow this machine; airlock.json may change limits)`);
}

/**
 * Writes airlock's seccomp profile, for review or for engines that need it as a file (Podman). With
 * --kubernetes, --out is a kubelet's seccomp directory and the profile goes where airlock's pods name it as
 * their Localhost profile (airlock/seccomp-<digest>.json: named by its content).
 */
export async function runGenerateSeccomp(args: GlobalOptions & { out: string; force: boolean; kubernetes?: boolean }): Promise<void> {
  const context = await commandContext(args);
  const loaded = await loadSeccompChoice(undefined);
  if (args.kubernetes) {
    const dir = path.resolve(args.out);
    if (!(await fs.stat(dir).catch(() => undefined))?.isDirectory()) {
      throw new InputError(`--out ${args.out} is not a directory`, { hint: "with --kubernetes, pass the kubelet's seccomp directory (<kubelet root>/seccomp)" });
    }
    const file = path.join(dir, kubernetesSeccompProfileName(loaded.profile!.json));
    await fs.mkdirp(path.dirname(file));
    await writeFileAtomically(file, loaded.profile!.json);
    context.reporter.info(`wrote ${file} (${loaded.choice.digest})`);
    return;
  }
  const out = await checkOutputFile(args.out, args.force);
  await writeFileAtomically(out, await fs.readFile(strictProfilePath()));
  context.reporter.info(`wrote ${out} (${loaded.choice.digest})`);
}

/** `airlock generate`: its flags and arguments, typed by yargs, and its handler. */
export function generateCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('generate').usage,
      commandEntry('generate').describe, (y) =>
      y
        .command(
          'dockerfile',
          "write the sandbox image's Dockerfile and build-context listing",
          (c) =>
            c
              .option('out', { type: 'string', demandOption: true, describe: 'directory to write into' })
              .option('go', { type: 'string', array: true, describe: 'Go version (default: the newest stored)' }),
          async (args) => runGenerateDockerfile(args),
        )
        .command(
          'policy',
          'print the sandbox policy as canonical JSON, with its digest',
          (c) => c.option('seccomp', { type: 'string', describe: 'a seccomp profile file, or engine-default' }),
          async (args) => runGeneratePolicy(args),
        )
        .command(
          'seccomp',
          "write airlock's seccomp profile to a file",
          (c) =>
            c
              .option('out', { type: 'string', demandOption: true, describe: "file to write (with --kubernetes: the kubelet's seccomp directory)" })
              .option('force', { type: 'boolean', default: false, describe: 'overwrite the file if it exists' })
              .option('kubernetes', { type: 'boolean', default: false, describe: "write it under --out as the Localhost profile airlock's pods name" }),
          async (args) => runGenerateSeccomp(args),
        )
        .demandCommand(1, 'name what to generate: dockerfile, policy or seccomp'),
    );
}

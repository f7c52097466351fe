import fs from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { CONFIG_FILE } from './airlock-config.js';

export const CI_SYSTEMS = ['github', 'gitlab', 'gitlab-kubernetes'] as const;
export type CiSystem = (typeof CI_SYSTEMS)[number];

export interface CiFileSpec {
  /** Under templates/ci/. */
  template: string;
  /** Where the CI system reads it, relative to the repository root. */
  path: string;
  /** A pipeline the CI system runs, or Kubernetes objects for the cluster's administrator to apply. */
  kind: 'pipeline' | 'kubernetes-manifest';
}

/** The CI product each system's files are for, as a message names it. */
export const CI_PRODUCT: Record<CiSystem, string> = { github: 'GitHub Actions', gitlab: 'GitLab CI', 'gitlab-kubernetes': 'GitLab CI' };

/** The release pipeline of each CI system: the files `airlock init --ci` writes, and where. */
export const CI_FILES: Record<CiSystem, readonly CiFileSpec[]> = {
  github: [{ template: 'github/airlock-release.yml', path: '.github/workflows/airlock-release.yml', kind: 'pipeline' }],
  gitlab: [
    { template: 'gitlab/.gitlab-ci.yml', path: '.gitlab-ci.yml', kind: 'pipeline' },
    { template: 'gitlab/airlock-build.yml', path: '.gitlab/airlock-build.yml', kind: 'pipeline' },
  ],
  // GitLab's Kubernetes executor: airlock in the job pod, the builds in pods of their own (--executor kubernetes).
  'gitlab-kubernetes': [
    { template: 'gitlab-kubernetes/.gitlab-ci.yml', path: '.gitlab-ci.yml', kind: 'pipeline' },
    { template: 'gitlab-kubernetes/airlock-kubernetes-rbac.yml', path: '.gitlab/airlock-kubernetes-rbac.yml', kind: 'kubernetes-manifest' },
  ],
};

export interface CiTemplate extends CiFileSpec {
  text: string;
}

export function ciTemplatesDir(): string {
  return path.join(packageRoot(), 'templates', 'ci');
}

export async function loadCiTemplates(system: CiSystem, directory = ciTemplatesDir()): Promise<CiTemplate[]> {
  return Promise.all(CI_FILES[system].map(async (spec) => ({ ...spec, text: await fs.readFile(path.join(directory, spec.template), 'utf8') })));
}

/** The module directory as the pipelines name it: relative to the repository root, with `/`, `.` for the root. */
export function moduleDirInRepository(repositoryRoot: string, moduleDir: string): string {
  const relative = path.relative(repositoryRoot, moduleDir);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(`${moduleDir} is not inside ${repositoryRoot}`);
  }
  return relative === '' ? '.' : relative.split(path.sep).join('/');
}

const MODULE_LINE = /^([ \t]*AIRLOCK_MODULE:[ \t]*)"\."[ \t]*$/gm;

/**
 * Points a template at the module: its `AIRLOCK_MODULE: "."` line gets the module's directory (a JSON
 * string is a YAML double-quoted scalar). A template without that line is left as it is.
 */
export function setTemplateModuleDir(text: string, moduleDir: string): string {
  return text.replace(MODULE_LINE, (_line, key: string) => `${key}${JSON.stringify(moduleDir)}`);
}

export interface PlannedFile {
  /** Absolute. */
  path: string;
  content: string;
}

/**
 * Every file `airlock init` writes: airlock.json in the module and, with a CI system, its pipeline files at
 * the repository root, pointed at the module.
 */
export function planInitFiles(input: {
  moduleDir: string;
  repositoryRoot: string;
  configText: string;
  templates?: readonly CiTemplate[];
}): PlannedFile[] {
  const files: PlannedFile[] = [{ path: path.join(input.moduleDir, CONFIG_FILE), content: input.configText }];
  const moduleDir = moduleDirInRepository(input.repositoryRoot, input.moduleDir);
  for (const template of input.templates ?? []) {
    files.push({ path: path.join(input.repositoryRoot, ...template.path.split('/')), content: setTemplateModuleDir(template.text, moduleDir) });
  }
  return files;
}

/** What the user still has to do for the pipeline to run, printed after the files are written. */
export const CI_NEXT_STEPS: Record<CiSystem, string> = {
  github:
    'next: commit the public key from `airlock keygen` as airlock.pub, store the private key as the secret AIRLOCK_SIGNING_KEY ' +
    'and its passphrase as AIRLOCK_KEY_PASSPHRASE, and label the build runners `airlock`' +
    ' (to GPG-sign SHA256SUMS too: the secrets AIRLOCK_GPG_PRIVATE_KEY, AIRLOCK_GPG_KEY_ID and AIRLOCK_GPG_PASSPHRASE, and the public key as airlock-gpg.asc)',
  gitlab:
    'next: commit the public key from `airlock keygen` as airlock.pub, add the private key as the protected File variable ' +
    'AIRLOCK_SIGNING_KEY and its passphrase as the protected, masked variable AIRLOCK_KEY_PASSPHRASE, and tag the build runners `airlock`' +
    ' (to GPG-sign SHA256SUMS too: the File variable AIRLOCK_GPG_PRIVATE_KEY, AIRLOCK_GPG_KEY_ID and the masked AIRLOCK_GPG_PASSPHRASE, and the public key as airlock-gpg.asc)',
  'gitlab-kubernetes':
    'next: commit the public key from `airlock keygen` as airlock.pub, add the private key as the protected File variable ' +
    'AIRLOCK_SIGNING_KEY and its passphrase as the protected, masked variable AIRLOCK_KEY_PASSPHRASE, and tag the Kubernetes runners `airlock-kubernetes`; ' +
    'on the cluster: label the namespace airlock pod-security.kubernetes.io/enforce=restricted, put the profile from `airlock generate seccomp --kubernetes` on every node, ' +
    'import the sandbox image on the nodes (or set kubernetes.registry), and `kubectl apply --namespace airlock -f .gitlab/airlock-kubernetes-rbac.yml`; ' +
    'the jobs use its service account airlock-build as the job pods\' own or through a kubeconfig in the File variable KUBECONFIG',
};

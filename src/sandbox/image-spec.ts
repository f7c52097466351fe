import { createHash } from 'node:crypto';
import { LABEL_MANAGED, type SandboxPolicy, SandboxPaths } from './policy.js';

export interface SandboxTemplate {
  dockerfile: string;
  passwd: string;
  group: string;
}

export interface ImageToolchain {
  version: string;
  goos: string;
  goarch: string;
  treeDigest: string;
}

export interface SandboxImageSpec {
  tag: string;
  dockerfile: string;
  passwd: string;
  group: string;
  templateDigest: string;
  toolchain: ImageToolchain;
  labels: Record<string, string>;
}

export const SANDBOX_IMAGE_REPOSITORY = 'airlock-sandbox';

export function renderTemplate(text: string, values: Record<string, string>): string {
  const rendered = text.replace(/\{\{([A-Z_]+)\}\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder ${placeholder} has no value`);
    return value;
  });
  return rendered;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Everything about the sandbox image that can be decided without an engine. The tag is derived from the
 * toolchain digest and the rendered template, so the same inputs always name the same image and an existing
 * image can be reused without looking inside it.
 */
export function sandboxImageSpec(template: SandboxTemplate, toolchain: ImageToolchain, policy: SandboxPolicy): SandboxImageSpec {
  const values: Record<string, string> = {
    GO_VERSION: toolchain.version,
    GOOS: toolchain.goos,
    GOARCH: toolchain.goarch,
    TOOLCHAIN_DIGEST: toolchain.treeDigest,
    UID: String(policy.uid),
    GID: String(policy.gid),
    GOROOT: SandboxPaths.goroot,
    WORK_DIR: SandboxPaths.work,
    SOURCE_DIR: SandboxPaths.source,
    CACHE_DIR: SandboxPaths.cache,
    OUTPUT_DIR: SandboxPaths.output,
  };
  const dockerfile = renderTemplate(template.dockerfile, values);
  const passwd = renderTemplate(template.passwd, values);
  const group = renderTemplate(template.group, values);
  const templateDigest = `sha256:${sha256Hex(
    [`Dockerfile\n${dockerfile}`, `etc/passwd\n${passwd}`, `etc/group\n${group}`, `filter\n${IMAGE_FILTER_VERSION}`].join('\0'),
  )}`;
  const tag = `${SANDBOX_IMAGE_REPOSITORY}:${toolchain.version}-${sha256Hex(`${toolchain.treeDigest}\n${templateDigest}`).slice(0, 16)}`;
  return {
    tag,
    dockerfile,
    passwd,
    group,
    templateDigest,
    toolchain,
    labels: {
      [LABEL_MANAGED]: 'true',
      'airlock.toolchain.version': toolchain.version,
      'airlock.toolchain.digest': toolchain.treeDigest,
      'airlock.template.digest': templateDigest,
    },
  };
}

/** Bumped whenever isImageToolchainFile changes, so the tag changes with the image's contents. */
const IMAGE_FILTER_VERSION = '1';

/** Test files and test data are never read by `go build`; leaving them out halves the build context. */
export function isImageToolchainFile(relativePath: string): boolean {
  if (relativePath.startsWith('src/')) {
    if (relativePath.endsWith('_test.go')) return false;
    if (relativePath.includes('/testdata/')) return false;
  }
  return true;
}

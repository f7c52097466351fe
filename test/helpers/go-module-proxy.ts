/**
 * A one-module file:// GOPROXY and `go mod download` from it into a fresh GOMODCACHE, offline: the go command's
 * own module-cache layout and hashes, to check airlock's against. The proxy's file names are passed in already
 * escaped, written by hand by the caller, so that a wrong escaping makes the go command fail to find them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { execFileAsync, goEnv, tempDir } from './host-tools.js';

export interface GoDownload {
  Path: string;
  Version: string;
  Info: string;
  GoMod: string;
  Zip: string;
  Dir: string;
  Sum: string;
  GoModSum: string;
  /** The GOMODCACHE the module was downloaded into. */
  modcache: string;
}

export async function goDownloadFromFileProxy(
  t: { teardown(fn: () => unknown): void },
  module: { path: string; version: string; escapedPath: string; escapedVersion: string; files: Record<string, string> },
): Promise<GoDownload> {
  const root = await tempDir(t, 'airlock-goproxy-');
  const proxyDir = path.join(root, 'proxy', ...module.escapedPath.split('/'), '@v');
  await fs.mkdir(proxyDir, { recursive: true });
  const prefix = `${module.path}@${module.version}`;
  const staging = path.join(root, 'staging');
  for (const [name, content] of Object.entries(module.files)) {
    await fs.mkdir(path.dirname(path.join(staging, prefix, name)), { recursive: true });
    await fs.writeFile(path.join(staging, prefix, name), content);
  }
  const base = path.join(proxyDir, module.escapedVersion);
  await execFileAsync('zip', ['-q', '-X', `${base}.zip`, ...Object.keys(module.files).map((name) => `${prefix}/${name}`)], { cwd: staging });
  await fs.writeFile(`${base}.mod`, module.files['go.mod'] ?? `module ${module.path}\n`);
  await fs.writeFile(`${base}.info`, JSON.stringify({ Version: module.version, Time: '2024-01-01T00:00:00Z' }));
  const modcache = path.join(root, 'modcache');
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `${module.path}@${module.version}`], {
    cwd: root,
    env: {
      ...goEnv,
      GOPROXY: `file://${path.join(root, 'proxy')}`,
      GOSUMDB: 'off',
      GONOSUMDB: '*',
      GOMODCACHE: modcache,
      GOFLAGS: '-modcacherw',
    },
    encoding: 'utf8',
  });
  return { ...(JSON.parse(stdout) as Omit<GoDownload, 'modcache'>), modcache };
}

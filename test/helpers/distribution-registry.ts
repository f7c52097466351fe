/**
 * The CNCF distribution registry (the reference implementation of the OCI distribution API) on loopback, for
 * tests that push images to a real registry: Debian's docker-registry package, which the bootstrap unpacks
 * into the per-user tools cache (.ci/bootstrap.sh); each test starts its own registry on a free port with its
 * own storage and stops it when it ends.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolsCache } from './bootstrap-tools.js';

const execFileAsync = promisify(execFile);

/** Where the bootstrap unpacks Debian's docker-registry package. */
export const REGISTRY_BINARY = path.join(toolsCache, 'docker-registry', 'usr', 'bin', 'docker-registry');

/** The registry binary, unpacked here from Debian's package when no bootstrap did it (never installed: that starts a service). */
async function registryBinary(): Promise<string> {
  if (await fs.access(REGISTRY_BINARY).then(() => true, () => false)) return REGISTRY_BINARY;
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-registry-deb-'));
  try {
    await execFileAsync('apt-get', ['download', 'docker-registry'], { cwd: scratch });
    const [deb] = (await fs.readdir(scratch)).filter((name) => name.endsWith('.deb'));
    if (deb === undefined) throw new Error('apt-get download docker-registry wrote no package');
    await execFileAsync('dpkg-deb', ['-x', path.join(scratch, deb), path.join(toolsCache, 'docker-registry')]);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return REGISTRY_BINARY;
}

/** A user the htpasswd registries accept, with its bcrypt hash (cost 4: the registry checks it on every request). */
export const TEST_REGISTRY_USER = {
  username: 'airlock-ci',
  password: 'airlock-test-password',
  bcrypt: '$2b$04$GVVex3ymIi2SgxnkXYT38u7y0Cw3EFqcdqQkYioh.wa9o7.nEbW8C',
};

export interface RunningRegistry {
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** "127.0.0.1:PORT" */
  host: string;
  log(): string;
}

/** Starts a registry in DIR (its config, storage and log live there); it is stopped by the test's teardown. */
export async function startRegistry(t: { teardown(fn: () => unknown): void }, dir: string, options: { htpasswd?: boolean } = {}): Promise<RunningRegistry> {
  const binary = await registryBinary();
  const storage = path.join(dir, 'storage');
  await fs.mkdir(storage, { recursive: true });
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    'http:',
    // Port 0: the kernel picks a free one, and the registry logs which.
    '  addr: 127.0.0.1:0',
    '  secret: airlock-test',
  ];
  if (options.htpasswd) {
    await fs.writeFile(path.join(dir, 'htpasswd'), `${TEST_REGISTRY_USER.username}:${TEST_REGISTRY_USER.bcrypt}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: airlock-test', `    path: ${path.join(dir, 'htpasswd')}`);
  }
  await fs.writeFile(path.join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn(binary, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stopped = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await stopped;
  });
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the registry did not start within 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const listening = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the registry exited with ${code}:\n${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, log: () => output };
}

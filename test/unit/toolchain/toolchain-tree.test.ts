import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { canonicalFileMode, fromModuleFileName, isCanonicalToolchainPath, toModuleFileName, toolchainModulePrefix, toolchainModuleVersion } from '../../../src/toolchain/toolchain-tree.js';
import { type FileDigest, hash1 } from '../../../src/modules/dirhash.js';
import { goEnv, mapLimit, run, tempDir } from '../../helpers/host-tools.js';

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Every regular file under root, as forward-slash relative paths. */
async function listFiles(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

async function digests(root: string, files: readonly string[], name: (relative: string) => string = (relative) => relative): Promise<FileDigest[]> {
  return mapLimit(files, 16, async (relative) => ({ name: name(relative), sha256: sha256Hex(await fs.readFile(path.join(root, relative))) }));
}

/** The independent reference: Go's dirhash Hash1 as a coreutils pipeline, hex converted to base64. */
async function shellHash1(dir: string): Promise<string> {
  const pipeline = 'find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum | sha256sum';
  const result = await run('sh', ['-c', pipeline], { cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
  if (result.code !== 0) throw new Error(`shell pipeline failed: ${result.stderr}`);
  const hex = /^([0-9a-f]{64}) {2}-\n$/.exec(result.stdout)?.[1];
  if (hex === undefined) throw new Error(`unexpected sha256sum output ${JSON.stringify(result.stdout)}`);
  return `h1:${Buffer.from(hex, 'hex').toString('base64')}`;
}

async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await fs.writeFile(path.join(root, relative), content);
  }
}

test('hash1 equals the shell pipeline on a small tree', async (t) => {
  const dir = await tempDir(t, 'airlock-h1-');
  // Names chosen so that byte order matters: '-' < '.' < '/' < digits < upper case < '_' < lower case.
  await writeTree(dir, {
    'VERSION': 'go1.26.8\ntime 2026-08-28T16:20:06Z\n',
    'bin/go': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]),
    'bin/gofmt': 'gofmt',
    'src/a-b': 'dash',
    'src/a.b': 'dot',
    'src/a/b': 'slash',
    'src/a_b': 'underscore',
    'src/A': 'upper',
    'src/a0': 'digit',
    'src/go.mod': 'module std\n',
    'src/empty': '',
    'pkg/tool/linux_amd64/compile': 'x'.repeat(100_000),
  });
  const files = await listFiles(dir);
  t.is(files.length, 12);
  const expected = await shellHash1(dir);
  t.is(hash1(await digests(dir, files)), expected);
  t.is(hash1((await digests(dir, files)).reverse()), expected, 'input order does not matter');
});

test('hash1 changes when one byte of one file changes, and when a name changes', async (t) => {
  const dir = await tempDir(t, 'airlock-h1-');
  await writeTree(dir, { 'a': 'alpha', 'b/c': 'gamma' });
  const before = hash1(await digests(dir, await listFiles(dir)));
  t.is(before, await shellHash1(dir));
  await fs.writeFile(path.join(dir, 'b/c'), 'gammb');
  const after = hash1(await digests(dir, await listFiles(dir)));
  t.not(after, before);
  t.is(after, await shellHash1(dir));
  await fs.rename(path.join(dir, 'a'), path.join(dir, 'A'));
  const renamed = hash1(await digests(dir, await listFiles(dir)));
  t.not(renamed, after);
  t.is(renamed, await shellHash1(dir));
});

test('hash1 of no files is the digest of the empty summary', async (t) => {
  const dir = await tempDir(t, 'airlock-h1-');
  t.is(hash1([]), await shellHash1(dir));
  t.is(hash1([]), 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
});

test('hash1 refuses a name with a newline', (t) => {
  t.throws(() => hash1([{ name: 'a\nb', sha256: sha256Hex('') }]), { message: 'file name contains a newline: "a\\nb"' });
});

// Regression test for a fixed bug (src/toolchain/toolchain-tree.ts): Go's dirhash sorts names by bytes (UTF-8, like LC_ALL=C sort); hash1
// compares JavaScript strings, i.e. UTF-16 code units, which order a character above U+FFFF (a surrogate
// pair, 0xD8xx) before U+E000..U+FFFF although its UTF-8 bytes (0xF0..) sort after them. Harmless for Go
// toolchains, whose names are ASCII, but hash1 is not Go's Hash1 for such names.
test('hash1 sorts names by UTF-8 bytes, like Go and LC_ALL=C sort', async (t) => {
  const dir = await tempDir(t, 'airlock-h1-');
  await writeTree(dir, { 'ｆｕｌｌ': 'fullwidth U+FF46..', '😀': 'emoji U+1F600' });
  t.is(hash1(await digests(dir, await listFiles(dir))), await shellHash1(dir));
});

const goroot = execFileSync('go', ['env', 'GOROOT'], { env: goEnv, encoding: 'utf8' }).trim();
const modCache = execFileSync('go', ['env', 'GOMODCACHE'], { env: goEnv, encoding: 'utf8' }).trim();
const hostVersion = readFileSync(path.join(goroot, 'VERSION'), 'utf8').split('\n', 1)[0]!;
const [hostOs = '', hostArch = ''] = execFileSync('go', ['env', 'GOHOSTOS', 'GOHOSTARCH'], { env: goEnv, encoding: 'utf8' }).trim().split('\n');
const hostIdentity = { version: hostVersion, goos: hostOs, goarch: hostArch };
const zipHashFile = path.join(modCache, 'cache/download/golang.org/toolchain/@v', `${toolchainModuleVersion(hostIdentity)}.ziphash`);

const moduleDir = path.join(modCache, `golang.org/toolchain@${toolchainModuleVersion(hostIdentity)}`);

// The go command records the h1: hash of each module zip it downloads in <version>.ziphash, and unpacks the
// zip beside it. The unpacked toolchain module, named as in the zip, must hash to the value the go command
// computed. (The host GOROOT itself is no reference: its go.env was edited after installation.)
(existsSync(zipHashFile) && existsSync(moduleDir) ? test : test.skip)(
  'the unpacked toolchain module hashes to the h1: the go command recorded for it',
  async (t) => {
    const expected = (await fs.readFile(zipHashFile, 'utf8')).trim();
    t.regex(expected, /^h1:[A-Za-z0-9+/]{43}=$/);
    const all = await listFiles(moduleDir);
    const present = new Set(all);
    // The go command may add a go.mod copy beside each _go.mod after unpacking; the zip holds only _go.mod.
    const files = all.filter((relative) => !(/(^|\/)go\.mod$/.test(relative) && present.has(toModuleFileName(relative))));
    t.true(files.length > 1000);
    t.true(files.every(isCanonicalToolchainPath), 'the module holds only canonical paths');
    const prefix = toolchainModulePrefix(hostIdentity);
    const named = await digests(moduleDir, files, (relative) => `${prefix}/${relative}`);
    t.is(hash1(named), expected);
  },
);

test('toolchain module version and prefix', (t) => {
  const id = { version: 'go1.26.8', goos: 'linux', goarch: 'amd64' };
  t.is(toolchainModuleVersion(id), 'v0.0.1-go1.26.8.linux-amd64');
  t.is(toolchainModulePrefix(id), 'golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64');
  t.is(toolchainModuleVersion({ version: 'go1.27rc1', goos: 'darwin', goarch: 'arm64' }), 'v0.0.1-go1.27rc1.darwin-arm64');
});

test('toModuleFileName spells every go.mod as _go.mod and leaves other names alone', (t) => {
  t.is(toModuleFileName('go.mod'), '_go.mod');
  t.is(toModuleFileName('src/go.mod'), 'src/_go.mod');
  t.is(toModuleFileName('src/cmd/go.mod'), 'src/cmd/_go.mod');
  t.is(toModuleFileName('src/crypto/internal/fips140/sha256/_asm/go.mod'), 'src/crypto/internal/fips140/sha256/_asm/_go.mod');
  for (const name of ['src/go.sum', 'src/go.modx', 'src/xgo.mod', 'src/go.mod/file', 'src/_go.mod', 'bin/go', 'go.mod.bak']) {
    t.is(toModuleFileName(name), name, name);
  }
});

test('fromModuleFileName undoes toModuleFileName', (t) => {
  t.is(fromModuleFileName('_go.mod'), 'go.mod');
  t.is(fromModuleFileName('src/_go.mod'), 'src/go.mod');
  t.is(fromModuleFileName('src/cmd/_go.mod'), 'src/cmd/go.mod');
  for (const name of ['src/go.mod', 'src/x_go.mod', 'src/__go.mod', 'bin/go', '_go.mod/x']) t.is(fromModuleFileName(name), name, name);
  for (const name of ['go.mod', 'src/go.mod', 'src/cmd/vendor/modules.txt', 'bin/gofmt', 'src/go.sum']) {
    t.is(fromModuleFileName(toModuleFileName(name)), name);
  }
});

// The go command unpacks the host release's toolchain module here: each go.mod of GOROOT is a _go.mod there.
(existsSync(moduleDir) ? test : test.skip)('every go.mod of the host GOROOT is a _go.mod in its toolchain module', async (t) => {
  const gorootMods = (await listFiles(path.join(goroot, 'src'))).filter((name) => name === 'go.mod' || name.endsWith('/go.mod'));
  t.true(gorootMods.length > 1);
  for (const name of gorootMods) {
    const moduleName = toModuleFileName(`src/${name}`);
    t.true(existsSync(path.join(moduleDir, moduleName)), moduleName);
    t.is(fromModuleFileName(moduleName), `src/${name}`);
  }
});

test('isCanonicalToolchainPath leaves out api/, doc/, misc/ and test/ only', (t) => {
  for (const kept of [
    'VERSION',
    'go.env',
    'LICENSE',
    'bin/go',
    'pkg/tool/linux_amd64/compile',
    'src/cmd/api/main.go',
    'src/test/x',
    'lib/time/zoneinfo.zip',
    'api',
    'doc',
    'testdata/x',
    'documents/x',
    'apis/x',
  ]) {
    t.true(isCanonicalToolchainPath(kept), kept);
  }
  for (const dropped of ['api/go1.txt', 'doc/go_spec.html', 'misc/wasm/wasm_exec.js', 'test/fixedbugs/issue1.go', 'api/next/x/y']) {
    t.false(isCanonicalToolchainPath(dropped), dropped);
  }
});

test('canonicalFileMode: executables under bin/ and pkg/tool/, everything else 0644', (t) => {
  t.is(canonicalFileMode('bin/go'), 0o755);
  t.is(canonicalFileMode('bin/gofmt'), 0o755);
  t.is(canonicalFileMode('pkg/tool/linux_amd64/compile'), 0o755);
  t.is(canonicalFileMode('pkg/include/textflag.h'), 0o644);
  t.is(canonicalFileMode('src/cmd/go/main.go'), 0o644);
  t.is(canonicalFileMode('src/bin/x'), 0o644);
  t.is(canonicalFileMode('VERSION'), 0o644);
  t.is(canonicalFileMode('misc/wasm/go_js_wasm_exec'), 0o644);
});

test('canonicalFileMode agrees with the modes of the host GOROOT for bin/ and pkg/tool/', async (t) => {
  let checked = 0;
  for (const dir of ['bin', `pkg/tool/${hostOs}_${hostArch}`]) {
    const full = path.join(goroot, dir);
    for (const name of await fs.readdir(full)) {
      const stat = await fs.stat(path.join(full, name));
      if (!stat.isFile()) continue;
      t.is(canonicalFileMode(`${dir}/${name}`) & 0o111, stat.mode & 0o111, `${dir}/${name}`);
      checked++;
    }
  }
  t.true(checked >= 10, `only ${checked} executables found`);
});

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { type GoSumEntry, GoSumSyntaxError, lookupSum, parseGoSum } from '../../../src/modules/go-sum.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { go, hostGoroot, run, goEnv } from '../../helpers/host-tools.js';
import { readIfPresent, registerNeeding } from '../../helpers/needs-input.js';

const EXAMPLE_GO_SUM = path.join(packageRoot(), 'examples/cli/go.sum');

/** How the go command writes an entry back out: the real files are in exactly this form. */
function formatEntry(entry: GoSumEntry): string {
  return `${entry.path} ${entry.version}${entry.goMod ? '/go.mod' : ''} ${entry.hash}`;
}

/** Every file named NAME under DIR (which must exist: a directory that cannot be read is an error, not an empty one). */
async function findFiles(dir: string, name: string, found: string[] = []): Promise<string[]> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await findFiles(full, name, found);
    else if (entry.isFile() && entry.name === name) found.push(full);
  }
  return found;
}

/** The module cache spells an upper-case letter as "!" and its lower-case form. */
function escapeForCache(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => `!${letter.toLowerCase()}`);
}

/** The h1: hash of a module's go.mod, as the go command computes it (dirhash.Hash1 over one file named go.mod). */
function goModHash(content: Buffer): string {
  const summary = `${createHash('sha256').update(content).digest('hex')}  go.mod\n`;
  return `h1:${createHash('sha256').update(summary).digest('base64')}`;
}

const H = (char: string): string => `h1:${char.repeat(43)}=`;

/** What the module cache holds against each entry of examples/cli/go.sum: a go.mod's bytes, or the .ziphash beside a zip. */
async function cachedForExample(): Promise<{ downloads: string; cached: Array<{ entry: GoSumEntry; bytes: Buffer }>; total: number }> {
  const entries = parseGoSum(await fs.readFile(EXAMPLE_GO_SUM, 'utf8'));
  const downloads = path.join((await go(['env', 'GOMODCACHE'])).trim(), 'cache', 'download');
  const cached: Array<{ entry: GoSumEntry; bytes: Buffer }> = [];
  for (const entry of entries) {
    const base = path.join(downloads, escapeForCache(entry.path), '@v', escapeForCache(entry.version));
    const bytes = await readIfPresent(entry.goMod ? `${base}.mod` : `${base}.ziphash`);
    if (bytes !== undefined) cached.push({ entry, bytes });
  }
  return { downloads, cached, total: entries.length };
}

// The cache may be cold on a fresh machine: then there is nothing to compare against, and the test says so
// by being skipped (or failing under CI=true) instead of passing. (Read before the first test is declared:
// ava refuses declarations once tests have started.)
const EXAMPLE_CACHE = await cachedForExample();

// ---------------------------------------------------------------------------------------------------------
// The example module's go.sum.

test('examples/cli/go.sum parses into its 14 entries, and writes back byte for byte', async (t) => {
  const text = await fs.readFile(EXAMPLE_GO_SUM, 'utf8');
  const entries = parseGoSum(text);
  t.is(entries.length, 14);
  t.is(entries.map(formatEntry).join('\n') + '\n', text);
  t.is(lookupSum(entries, 'github.com/spf13/cobra', 'v1.10.2', false), 'h1:DMTTonx5m65Ic0GOoRY2c16WCbHxOOw6xxezuLaBpcU=');
  t.is(lookupSum(entries, 'github.com/spf13/cobra', 'v1.10.2', true), 'h1:7C1pvHqHw5A4vrJfjNwvOdzYu0Gml16OCs2GRiTUUS4=');
  t.deepEqual(entries[0], {
    path: 'github.com/cpuguy83/go-md2man/v2',
    version: 'v2.0.6',
    goMod: true,
    hash: 'h1:oOW0eioCTA6cOiMLiUPZOpcVxMig6NIQQ7OS05n1F4g=',
  });
  // Only the go.mod of a module outside the build is summed: there is no zip hash to find.
  t.is(lookupSum(entries, 'gopkg.in/check.v1', 'v0.0.0-20161208181325-20d25e280405', false), undefined);
  t.truthy(lookupSum(entries, 'gopkg.in/check.v1', 'v0.0.0-20161208181325-20d25e280405', true));
  t.is(lookupSum(entries, 'github.com/spf13/cobra', 'v1.10.1', false), undefined);
});

registerNeeding(
  EXAMPLE_CACHE.cached.length > 0 ? undefined : `the module cache ${EXAMPLE_CACHE.downloads} holds none of the ${EXAMPLE_CACHE.total} entries (go mod download in examples/cli fills it)`,
  'examples/cli/go.sum agrees with the module cache: zip hashes and go.mod hashes the go command recorded',
  (title) =>
    test(title, (t) => {
      for (const { entry, bytes } of EXAMPLE_CACHE.cached) {
        if (entry.goMod) t.is(goModHash(bytes), entry.hash, `${entry.path} ${entry.version}/go.mod`);
        else t.is(bytes.toString('utf8').trim(), entry.hash, `${entry.path} ${entry.version}`);
      }
      t.log(`${EXAMPLE_CACHE.cached.length} of ${EXAMPLE_CACHE.total} entries compared with the module cache`);
    }),
);

// ---------------------------------------------------------------------------------------------------------
// The Go distribution's own go.sum files.

test('every go.sum in GOROOT/src parses, writes back unchanged and sums each requirement of its go.mod', async (t) => {
  const files = await findFiles(path.join(await hostGoroot(), 'src'), 'go.sum');
  t.true(files.some((file) => file.endsWith('/src/go.sum')) && files.some((file) => file.endsWith('/src/cmd/go.sum')), files.join('\n'));
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    const entries = parseGoSum(text);
    t.is(entries.length, text.split('\n').filter((line) => line.trim() !== '').length, file);
    t.is(entries.map(formatEntry).join('\n') + '\n', text, file);

    const edit = await run('go', ['mod', 'edit', '-json', path.join(path.dirname(file), 'go.mod')], { env: goEnv });
    t.is(edit.code, 0, edit.stderr);
    const goMod = JSON.parse(edit.stdout) as { Require: Array<{ Path: string; Version: string }> | null };
    for (const requirement of goMod.Require ?? []) {
      t.truthy(lookupSum(entries, requirement.Path, requirement.Version, false), `${file}: ${requirement.Path} ${requirement.Version}`);
      t.truthy(lookupSum(entries, requirement.Path, requirement.Version, true), `${file}: ${requirement.Path} ${requirement.Version}/go.mod`);
    }
  }
  t.log(`${files.length} go.sum files in GOROOT/src`);
});

// ---------------------------------------------------------------------------------------------------------
// Hand-written files.

test('blank lines, CRLF and runs of spaces or tabs are accepted, as the go command splits on white space', (t) => {
  const text = `\n\na.example/m v1.0.0 ${H('A')}\r\n\t a.example/m  v1.0.0/go.mod\t${H('B')}  \n\n`;
  t.deepEqual(parseGoSum(text), [
    { path: 'a.example/m', version: 'v1.0.0', goMod: false, hash: H('A') },
    { path: 'a.example/m', version: 'v1.0.0', goMod: true, hash: H('B') },
  ]);
  t.deepEqual(parseGoSum(''), []);
});

test('versions of every shape the go command writes are accepted', (t) => {
  const versions = ['v0.0.0-20161208181325-20d25e280405', 'v1.2.4-0.20191109021931-daa7c04131f5', 'v24.0.7+incompatible', 'v2.0.0-rc.1', 'v0.0.1-go1.26.8.linux-amd64'];
  const entries = parseGoSum(versions.map((version) => `example.com/m ${version} ${H('z')}`).join('\n'));
  t.deepEqual(
    entries.map((entry) => entry.version),
    versions,
  );
});

test('hashes of a later algorithm are kept without checking their encoding; lookupSum prefers h1:', (t) => {
  const entries = parseGoSum(`a.example/m v1.0.0 h2:anything-goes\na.example/m v1.0.0 ${H('C')}\na.example/n v1.0.0 h12:x\n`);
  t.is(entries.length, 3);
  t.is(lookupSum(entries, 'a.example/m', 'v1.0.0', false), H('C'));
  t.is(lookupSum(entries, 'a.example/n', 'v1.0.0', false), 'h12:x');
  t.is(lookupSum(entries, 'a.example/n', 'v1.0.0', true), undefined);
});

test('the empty go.mod hash an old go command wrote for non-modules is dropped, as the go command drops it', (t) => {
  const entries = parseGoSum('a.example/m v1.0.0/go.mod h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=\n');
  t.deepEqual(entries, []);
});

const MALFORMED: Array<{ name: string; text: string; line: number; message: string }> = [
  { name: 'two fields', text: `a.example/m v1.0.0 ${H('A')}\na.example/m v1.0.0\n`, line: 2, message: 'expected "<module> <version> <hash>", found 2 fields' },
  { name: 'four fields', text: `\n\na.example/m v1.0.0 ${H('A')} extra`, line: 3, message: 'expected "<module> <version> <hash>", found 4 fields' },
  { name: 'one field', text: 'a.example/m', line: 1, message: 'expected "<module> <version> <hash>", found 1 field' },
  { name: 'h1 hash too short', text: 'a.example/m v1.0.0 h1:abc=', line: 1, message: 'invalid h1 hash "h1:abc=" for a.example/m v1.0.0: must be base64 of 32 bytes' },
  {
    name: 'h1 hash without padding',
    text: `a.example/m v1.0.0 h1:${'A'.repeat(44)}`,
    line: 1,
    message: `invalid h1 hash "h1:${'A'.repeat(44)}" for a.example/m v1.0.0: must be base64 of 32 bytes`,
  },
  {
    name: 'h1 hash in URL-safe base64',
    text: `a.example/m v1.0.0/go.mod h1:${'_'.repeat(43)}=`,
    line: 1,
    message: `invalid h1 hash "h1:${'_'.repeat(43)}=" for a.example/m v1.0.0/go.mod: must be base64 of 32 bytes`,
  },
  { name: 'hash without an algorithm', text: 'a.example/m v1.0.0 sha256:abc', line: 1, message: 'invalid hash "sha256:abc" for a.example/m v1.0.0: must start with h<N>:' },
  { name: 'version without v', text: `a.example/m 1.0.0 ${H('A')}`, line: 1, message: 'invalid version "1.0.0" for a.example/m' },
  { name: 'short version', text: `a.example/m v1.0 ${H('A')}`, line: 1, message: 'invalid version "v1.0" for a.example/m' },
  { name: 'other suffix than /go.mod', text: `a.example/m v1.0.0/go.sum ${H('A')}`, line: 1, message: 'invalid version "v1.0.0/go.sum" for a.example/m' },
  { name: 'leading zero in a numeric pre-release', text: `a.example/m v1.0.0-01 ${H('A')}`, line: 1, message: 'invalid version "v1.0.0-01" for a.example/m' },
  { name: 'bad module path', text: `a.example//m v1.0.0 ${H('A')}`, line: 1, message: 'invalid module path "a.example//m"' },
];

for (const { name, text, line, message } of MALFORMED) {
  test(`syntax error: ${name}`, (t) => {
    const error = t.throws(() => parseGoSum(text), { instanceOf: GoSumSyntaxError });
    t.is(error?.line, line);
    t.is(error?.message, `line ${line}: ${message}`);
  });
}

// Property tests of parseGoSum (random text, mutations of real files): test/unit/robustness/go-sum.test.ts.

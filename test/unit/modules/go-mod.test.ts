import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { type GoMod, GoModSyntaxError, parseGoMod } from '../../../src/modules/go-mod.js';
import { go, goEnv, hostGoroot, mapLimit, run, tempDir } from '../../helpers/host-tools.js';

/** What `go mod edit -json` prints (the parts airlock keeps). */
interface GoModJson {
  Module: { Path: string } | null;
  Go?: string;
  Toolchain?: string;
  Require: Array<{ Path: string; Version: string; Indirect?: boolean }> | null;
  Exclude: Array<{ Path: string; Version: string }> | null;
  Replace: Array<{ Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }> | null;
}

function fromGoJson(json: GoModJson): GoMod {
  return {
    module: json.Module?.Path ?? '',
    ...(json.Go !== undefined ? { go: json.Go } : {}),
    ...(json.Toolchain !== undefined ? { toolchain: json.Toolchain } : {}),
    require: (json.Require ?? []).map((r) => ({ path: r.Path, version: r.Version, indirect: r.Indirect === true })),
    replace: (json.Replace ?? []).map((r) => ({
      oldPath: r.Old.Path,
      ...(r.Old.Version !== undefined ? { oldVersion: r.Old.Version } : {}),
      newPath: r.New.Path,
      ...(r.New.Version !== undefined ? { newVersion: r.New.Version } : {}),
    })),
    exclude: (json.Exclude ?? []).map((e) => ({ path: e.Path, version: e.Version })),
  };
}

type GoVerdict = { ok: true; mod: GoMod } | { ok: false; line: number | undefined; stderr: string };

/** The go command's own reading of a go.mod file (golang.org/x/mod/modfile, strict mode). */
async function goModEdit(file: string): Promise<GoVerdict> {
  const result = await run('go', ['mod', 'edit', '-json', file], { env: goEnv });
  if (result.code === 0) return { ok: true, mod: fromGoJson(JSON.parse(result.stdout) as GoModJson) };
  const line = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(result.stderr)?.[1];
  return { ok: false, line: line === undefined ? undefined : Number(line), stderr: result.stderr };
}

async function goModEditText(t: ExecutionContext, text: string): Promise<GoVerdict> {
  const dir = await tempDir(t, 'airlock-gomod-');
  const file = path.join(dir, 'go.mod');
  await fs.writeFile(file, text);
  return goModEdit(file);
}

function syntaxError(t: ExecutionContext, text: string): GoModSyntaxError | undefined {
  return t.throws(() => parseGoMod(text), { instanceOf: GoModSyntaxError });
}

// ---------------------------------------------------------------------------------------------------------
// Hand-written go.mod files: airlock must read each exactly as the go command does.

const FULL = `// A go.mod that uses every directive.

module example.com/everything // Deprecated: use example.com/everything/v2

go 1.22.3

toolchain go1.23.4

godebug default=go1.21

godebug (
	panicnil=1
	asynctimerchan=0
)

require golang.org/x/text v0.14.0

require (
	github.com/google/go-cmp v0.6.0
	golang.org/x/sys v0.20.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect; needed by tests
	github.com/pkg/errors v0.9.1 //indirect
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc // Indirect? no: only "indirect" counts
	github.com/docker/docker v24.0.7+incompatible
	example.com/pre v1.2.3-rc.1
)

replace golang.org/x/text => golang.org/x/text v0.13.0

replace github.com/google/go-cmp v0.6.0 => github.com/google/go-cmp v0.5.9

replace (
	example.com/local => ../local
	example.com/here v1.0.0 => ./here
	example.com/abs => /srv/src/abs
	// example.com/commented => ../nothing
	"example.com/quoted" => "example.com/other" v1.0.0
)

exclude golang.org/x/sys v0.19.0

exclude (
	github.com/pkg/errors v0.9.0
	github.com/pkg/errors v0.8.1
)

retract v1.0.1 // published by mistake

retract (
	v1.0.0
	[v0.1.0, v0.9.9] // early experiments
)

tool golang.org/x/tools/cmd/stringer

tool (
	example.com/everything/cmd/gen
)

ignore ./node_modules

ignore (
	./third_party/js
)
`;

test('a go.mod with every directive is read as the go command reads it', async (t) => {
  const mod = parseGoMod(FULL);
  t.deepEqual(mod, {
    module: 'example.com/everything',
    go: '1.22.3',
    toolchain: 'go1.23.4',
    require: [
      { path: 'golang.org/x/text', version: 'v0.14.0', indirect: false },
      { path: 'github.com/google/go-cmp', version: 'v0.6.0', indirect: false },
      { path: 'golang.org/x/sys', version: 'v0.20.0', indirect: true },
      { path: 'gopkg.in/yaml.v3', version: 'v3.0.1', indirect: true },
      { path: 'github.com/pkg/errors', version: 'v0.9.1', indirect: true },
      { path: 'github.com/davecgh/go-spew', version: 'v1.1.2-0.20180830191138-d8f796af33cc', indirect: false },
      { path: 'github.com/docker/docker', version: 'v24.0.7+incompatible', indirect: false },
      { path: 'example.com/pre', version: 'v1.2.3-rc.1', indirect: false },
    ],
    replace: [
      { oldPath: 'golang.org/x/text', newPath: 'golang.org/x/text', newVersion: 'v0.13.0' },
      { oldPath: 'github.com/google/go-cmp', oldVersion: 'v0.6.0', newPath: 'github.com/google/go-cmp', newVersion: 'v0.5.9' },
      { oldPath: 'example.com/local', newPath: '../local' },
      { oldPath: 'example.com/here', oldVersion: 'v1.0.0', newPath: './here' },
      { oldPath: 'example.com/abs', newPath: '/srv/src/abs' },
      { oldPath: 'example.com/quoted', newPath: 'example.com/other', newVersion: 'v1.0.0' },
    ],
    exclude: [
      { path: 'golang.org/x/sys', version: 'v0.19.0' },
      { path: 'github.com/pkg/errors', version: 'v0.9.0' },
      { path: 'github.com/pkg/errors', version: 'v0.8.1' },
    ],
  });
  const verdict = await goModEditText(t, FULL);
  t.true(verdict.ok, verdict.ok ? '' : verdict.stderr);
  if (verdict.ok) t.deepEqual(mod, verdict.mod);
});

const AGREEING_FIXTURES: Record<string, string> = {
  'module only': 'module example.com/m\n',
  'no trailing newline': 'module example.com/m\ngo 1.21',
  'quoted module path': 'module "example.com/quoted"\n\ngo 1.21\n',
  'quoted path with an escape': 'module "example.com/a\\\\b"\n',
  'CRLF line endings': 'module example.com/crlf\r\n\r\ngo 1.21\r\n\r\nrequire (\r\n\tgolang.org/x/mod v0.17.0 // indirect\r\n)\r\n',
  'tabs, spaces and comments everywhere':
    '// header\n  module   example.com/ws   // trailing\n\n\tgo\t1.20\t// lang\n\nrequire ( // open\n  a.example/x v1.0.0\n\n  // a comment line\n  b.example/y v2.0.0+incompatible // indirect\n) // close\n',
  'a go line with a release candidate': 'module example.com/rc\n\ngo 1.21rc1\n',
  'a go line with a patch version and rc': 'module example.com/rc\n\ngo 1.21.0\n\ntoolchain go1.21rc2\n',
  'toolchain default': 'module example.com/t\n\ngo 1.21\n\ntoolchain default\n',
  'an empty replace block with only comments': 'module example.com/m\n\nreplace (\n\t// example.com/a => ../a\n)\n',
  'indirect marker variants':
    'module example.com/m\n\nrequire (\n\ta.example/a v1.0.0 // indirect\n\ta.example/b v1.0.0 //indirect\n\ta.example/c v1.0.0 // indirect; why\n\ta.example/d v1.0.0 // Indirect\n\ta.example/e v1.0.0 // not indirect\n\ta.example/f v1.0.0 // indirectly\n)\n',
  'replace of a version with a local directory': 'module example.com/m\n\nreplace example.com/dep v1.2.3 => ../dep\n',
  'replace of every version with a version': 'module example.com/m\n\nreplace example.com/dep => example.com/fork v1.2.4\n',
  'the old-style path with a major version via gopkg.in': 'module gopkg.in/yaml.v2\n\nrequire gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405\n',
  'a path with => glued to it is just a path in require': 'module example.com/m\n\nrequire a=>b v1.0.0\n',
};

for (const [name, text] of Object.entries(AGREEING_FIXTURES)) {
  test(`agrees with go mod edit -json: ${name}`, async (t) => {
    const verdict = await goModEditText(t, text);
    t.true(verdict.ok, verdict.ok ? '' : verdict.stderr);
    if (verdict.ok) t.deepEqual(parseGoMod(text), verdict.mod);
  });
}

test('spot checks of the agreeing fixtures', (t) => {
  t.is(parseGoMod(AGREEING_FIXTURES['quoted module path']!).module, 'example.com/quoted');
  t.is(parseGoMod(AGREEING_FIXTURES['quoted path with an escape']!).module, 'example.com/a\\b');
  t.is(parseGoMod(AGREEING_FIXTURES['CRLF line endings']!).go, '1.21');
  t.deepEqual(
    parseGoMod(AGREEING_FIXTURES['indirect marker variants']!).require.map((r) => r.indirect),
    [true, true, true, false, false, false],
  );
  t.deepEqual(parseGoMod(AGREEING_FIXTURES['tabs, spaces and comments everywhere']!), {
    module: 'example.com/ws',
    go: '1.20',
    require: [
      { path: 'a.example/x', version: 'v1.0.0', indirect: false },
      { path: 'b.example/y', version: 'v2.0.0+incompatible', indirect: true },
    ],
    replace: [],
    exclude: [],
  });
});

// ---------------------------------------------------------------------------------------------------------
// Syntax errors: each names its line; the go command refuses the same files.

const ERRORS: Array<{ name: string; text: string; line: number; message: string; goLine?: number }> = [
  {
    name: 'unterminated block (reported at its opening line)',
    text: 'module example.com/m\n\nrequire (\n\ta.example/x v1.0.0\n',
    line: 3,
    message: 'unterminated require block',
  },
  {
    name: 'unterminated replace block at the end of the file',
    text: 'module example.com/m\nreplace (\n\ta => ../a\n\n// the end',
    line: 2,
    message: 'unterminated replace block',
  },
  { name: 'bad version', text: 'module example.com/m\n\nrequire a.example/x 1.0\n', line: 3, message: 'invalid version "1.0" for a.example/x', goLine: 3 },
  {
    name: 'bad version inside a block',
    text: 'module example.com/m\n\nrequire (\n\ta.example/x v1.0.0\n\ta.example/y master\n)\n',
    line: 5,
    message: 'invalid version "master" for a.example/y',
    goLine: 5,
  },
  { name: 'bad exclude version', text: 'module example.com/m\nexclude a.example/x latest\n', line: 2, message: 'invalid version "latest" for a.example/x', goLine: 2 },
  { name: 'unknown directive', text: 'module example.com/m\n\ngo 1.21\n\nfoo bar\n', line: 5, message: 'unknown directive: foo', goLine: 5 },
  { name: 'unknown block', text: 'module example.com/m\n\nrequires (\n\ta.example/x v1.0.0\n)\n', line: 4, message: 'unknown directive: requires', goLine: 3 },
  { name: 'bad go version', text: 'module example.com/m\n\ngo 1\n', line: 3, message: 'invalid go version "1": must match format 1.23.0', goLine: 3 },
  { name: 'go version with a go prefix', text: 'module example.com/m\ngo go1.21\n', line: 2, message: 'invalid go version "go1.21": must match format 1.23.0', goLine: 2 },
  { name: 'bad toolchain', text: 'module example.com/m\ngo 1.21\ntoolchain 1.21.0\n', line: 3, message: 'usage: toolchain go1.23.0', goLine: 3 },
  { name: 'module with two paths', text: 'module a b\n', line: 1, message: 'usage: module module/path', goLine: 1 },
  { name: 'require with three words', text: 'module m\nrequire a v1.0.0 v1.1.0\n', line: 2, message: 'usage: require module/path v1.2.3', goLine: 2 },
  {
    name: 'replace without =>',
    text: 'module m\nreplace a v1.0.0 b v1.0.0\n',
    line: 2,
    message: 'usage: replace module/path [v1.2.3] => other/module v1.4 or => ../local/directory',
    goLine: 2,
  },
  { name: 'replace with nothing after =>', text: 'module m\nreplace a =>\n', line: 2, message: 'usage: replace module/path [v1.2.3] => other/module v1.4 or => ../local/directory', goLine: 2 },
  { name: 'a parenthesis inside a line', text: 'module m\nrequire (a v1.0.0)\n', line: 2, message: 'unexpected parenthesis', goLine: 2 },
  { name: 'unterminated quoted string', text: 'module "example.com/m\n', line: 1, message: 'unterminated quoted string', goLine: 1 },
];

for (const { name, text, line, message, goLine } of ERRORS) {
  test(`syntax error: ${name}`, async (t) => {
    const error = syntaxError(t, text);
    t.is(error?.line, line);
    t.is(error?.message, `line ${line}: ${message}`);
    const verdict = await goModEditText(t, text);
    t.false(verdict.ok, 'the go command refuses it too');
    if (!verdict.ok && goLine !== undefined) t.is(verdict.line, goLine, verdict.stderr);
  });
}

test('syntax error: missing module directive (also for an empty file)', (t) => {
  for (const text of ['', '\n\n', '// just a comment\n', 'go 1.21\n\nrequire a.example/x v1.0.0\n']) {
    const error = syntaxError(t, text);
    t.is(error?.line, 1);
    t.is(error?.message, 'line 1: no module directive');
  }
});

test('syntax error: a parenthesis opening a block must end its line', (t) => {
  const error = syntaxError(t, 'module m\nrequire ( a v1.0.0\n)\n');
  t.is(error?.line, 2);
  t.is(error?.message, 'line 2: unexpected parenthesis');
});

// Regression test for a fixed bug (src/modules/go-mod.ts): the go command accepts an empty block written on one line, `require ()`
// (go mod edit -json reads this file without complaint); airlock throws "unexpected parenthesis".
test('an empty block on one line, `require ()`, is accepted as the go command accepts it', async (t) => {
  const text = 'module example.com/m\n\ngo 1.21\n\nrequire ()\n';
  const verdict = await goModEditText(t, text);
  t.true(verdict.ok, verdict.ok ? '' : verdict.stderr);
  if (verdict.ok) t.deepEqual(parseGoMod(text), verdict.mod);
});

// ---------------------------------------------------------------------------------------------------------
// Real go.mod files from the host: the module cache and the Go distribution itself.

async function walk(dir: string, keep: (name: string) => boolean, found: string[] = []): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, keep, found);
    else if (entry.isFile() && keep(entry.name)) found.push(full);
  }
  return found;
}

/** The module cache escapes an upper-case letter as "!" and its lower-case form (golang.org/x/mod/module). */
function unescapeModulePath(escaped: string): string {
  return escaped.replace(/!([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const modCachePromise = go(['env', 'GOMODCACHE']).then((out) => out.trim());

test('every go.mod published to the module cache download area parses, with the module path of its directory', async (t) => {
  const downloads = path.join(await modCachePromise, 'cache', 'download');
  const files = await walk(downloads, (name) => name.endsWith('.mod'));
  t.true(files.length > 0, `no .mod files under ${downloads}`);
  for (const file of files) {
    const relative = path.relative(downloads, file).split(path.sep).join('/');
    const marker = relative.lastIndexOf('/@v/');
    t.true(marker > 0, relative);
    const expected = unescapeModulePath(relative.slice(0, marker));
    const text = await fs.readFile(file, 'utf8');
    let mod: GoMod | undefined;
    t.notThrows(() => {
      mod = parseGoMod(text);
    }, relative);
    t.is(mod?.module, expected, relative);
  }
});

test('unescapeModulePath follows the module cache escaping', (t) => {
  t.is(unescapeModulePath('github.com/!burnt!sushi/toml'), 'github.com/BurntSushi/toml');
  t.is(unescapeModulePath('github.com/!azure/azure-sdk-for-go'), 'github.com/Azure/azure-sdk-for-go');
  t.is(unescapeModulePath('golang.org/toolchain'), 'golang.org/toolchain');
});

test('every real go.mod in GOROOT and the module cache reads as the go command reads it', async (t) => {
  const roots = [path.join(await hostGoroot(), 'src'), await modCachePromise];
  const files: string[] = [];
  for (const root of roots) await walk(root, (name) => name === 'go.mod' || name === '_go.mod' || name.endsWith('.mod'), files);
  t.true(files.length >= 10, `only ${files.length} go.mod files found`);
  // Each comparison starts a go command (about 60 ms): a machine with a large module cache would spend minutes
  // here. An even sample of at most 600 files, the same on every run, keeps the variety and bounds the time.
  files.sort();
  const all = files.length;
  if (files.length > 600) files.splice(0, files.length, ...files.filter((_, index) => index % Math.ceil(all / 600) === 0));
  const verdicts = await mapLimit(files, 8, goModEdit);
  let compared = 0;
  for (const [index, file] of files.entries()) {
    const verdict = verdicts[index]!;
    // Only files the go command accepts as a module's go.mod are a reference (some testdata is broken on purpose).
    if (!verdict.ok || verdict.mod.module === '') continue;
    const text = await fs.readFile(file, 'utf8');
    let mod: GoMod | undefined;
    t.notThrows(() => {
      mod = parseGoMod(text);
    }, file);
    t.deepEqual(mod, verdict.mod, file);
    compared++;
  }
  t.true(compared >= 10, `only ${compared} files compared`);
  t.log(`${compared} of ${files.length} real go.mod files (sampled from ${all}) compared with go mod edit -json`);
});

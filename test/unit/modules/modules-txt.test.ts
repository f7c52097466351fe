import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { parseGoMod } from '../../../src/modules/go-mod.js';
import { compareModuleVersions, type ModulesTxt, ModulesTxtSyntaxError, parseModulesTxt } from '../../../src/modules/modules-txt.js';
import { checkVendorConsistency } from '../../../src/modules/vendor-consistency.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { go, goEnv, hostGoroot, run } from '../../helpers/host-tools.js';
import { directoryExists, registerNeeding } from '../../helpers/needs-input.js';

const EXAMPLE = path.join(packageRoot(), 'examples/cli');

/** Every file named NAME directly in a vendor/ directory under DIR (which must exist: a directory that cannot be read is an error, not an empty one). */
async function findFiles(dir: string, name: string, found: string[] = []): Promise<string[]> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await findFiles(full, name, found);
    else if (entry.isFile() && entry.name === name && path.basename(dir) === 'vendor') found.push(full);
  }
  return found;
}

// The Go distributions (golang.org/toolchain modules) in the module cache vendor their dependencies. A
// fresh machine may have none: then the test says so by being skipped (or failing under CI=true) instead of
// passing without reading a file. (Read before the first test is declared: ava refuses declarations once
// tests have started.)
const DISTRIBUTIONS = path.join((await go(['env', 'GOMODCACHE'])).trim(), 'golang.org');
const CACHED_MODULES_TXT = (await directoryExists(DISTRIBUTIONS)) ? await findFiles(DISTRIBUTIONS, 'modules.txt') : [];

// ---------------------------------------------------------------------------------------------------------
// The example module and the Go distribution, checked against the go command's own reading.

test('examples/cli/vendor/modules.txt parses into its five explicit modules', async (t) => {
  const parsed = parseModulesTxt(await fs.readFile(path.join(EXAMPLE, 'vendor/modules.txt'), 'utf8'));
  t.deepEqual(parsed, {
    workspace: false,
    modules: [
      { path: 'github.com/dustin/go-humanize', version: 'v1.1.0', explicit: true, goVersion: '1.21', packages: ['github.com/dustin/go-humanize'] },
      // google/uuid's go.mod has no go directive, so go mod vendor wrote no go annotation for it.
      { path: 'github.com/google/uuid', version: 'v1.6.0', explicit: true, packages: ['github.com/google/uuid'] },
      { path: 'github.com/inconshreveable/mousetrap', version: 'v1.1.0', explicit: true, goVersion: '1.18', packages: ['github.com/inconshreveable/mousetrap'] },
      { path: 'github.com/spf13/cobra', version: 'v1.10.2', explicit: true, goVersion: '1.15', packages: ['github.com/spf13/cobra'] },
      { path: 'github.com/spf13/pflag', version: 'v1.0.9', explicit: true, goVersion: '1.12', packages: ['github.com/spf13/pflag'] },
    ],
    replacements: [],
  });
});

interface GoListModule {
  path: string;
  version: string;
  goVersion: string;
  replace: string;
}

/** What the go command makes of a vendored module tree: each module's version, go version and replacement, and each package's module. */
async function goCommandReading(dir: string, modulesTxt: ModulesTxt): Promise<{ modules: GoListModule[]; packages: Map<string, string> }> {
  const env = { ...goEnv, GOFLAGS: '-mod=vendor' };
  const paths = modulesTxt.modules.map((module) => module.path);
  const listed = await run('go', ['list', '-m', '-f', '{{.Path}} {{.Version}} {{.GoVersion}} {{with .Replace}}{{.Path}}@{{.Version}}{{end}}', ...paths], { cwd: dir, env });
  if (listed.code !== 0) throw new Error(`go list -m in ${dir}: ${listed.stderr}`);
  const modules = listed.stdout
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [modulePath = '', version = '', goVersion = '', replace = ''] = line.split(' ');
      return { path: modulePath, version, goVersion, replace };
    });
  const packageNames = modulesTxt.modules.flatMap((module) => module.packages);
  const pkgs = await run('go', ['list', '-e', '-f', '{{.ImportPath}} {{with .Module}}{{.Path}}@{{.Version}}{{end}}', ...packageNames], { cwd: dir, env });
  if (pkgs.code !== 0) throw new Error(`go list in ${dir}: ${pkgs.stderr}`);
  const packages = new Map(
    pkgs.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  return { modules, packages };
}

async function assertAgreesWithGo(t: ExecutionContext, dir: string): Promise<void> {
  const parsed = parseModulesTxt(await fs.readFile(path.join(dir, 'vendor/modules.txt'), 'utf8'));
  const reading = await goCommandReading(dir, parsed);
  t.deepEqual(
    reading.modules,
    parsed.modules.map((module) => ({
      path: module.path,
      version: module.version,
      goVersion: module.goVersion ?? '',
      replace: module.replace === undefined ? '' : `${module.replace.path}@${module.replace.version ?? ''}`,
    })),
    dir,
  );
  for (const module of parsed.modules) {
    for (const pkg of module.packages) t.is(reading.packages.get(pkg), `${module.path}@${module.version}`, `${dir}: ${pkg}`);
  }
  // Every requirement of go.mod, as the go command reads go.mod, is an explicit module at the same version.
  const edit = await run('go', ['mod', 'edit', '-json', path.join(dir, 'go.mod')], { env: goEnv });
  t.is(edit.code, 0, edit.stderr);
  const requires = (JSON.parse(edit.stdout) as { Require: Array<{ Path: string; Version: string }> | null }).Require ?? [];
  for (const requirement of requires) {
    const module = parsed.modules.find((m) => m.path === requirement.Path);
    t.is(module?.version, requirement.Version, `${dir}: ${requirement.Path}`);
    t.true(module?.explicit, `${dir}: ${requirement.Path}`);
  }
  t.deepEqual(checkVendorConsistency(parseGoMod(await fs.readFile(path.join(dir, 'go.mod'), 'utf8')), parsed), [], dir);
}

test('examples/cli/vendor/modules.txt reads as the go command reads it', async (t) => {
  await assertAgreesWithGo(t, EXAMPLE);
});

test('every vendor/modules.txt in GOROOT/src reads as the go command reads it', async (t) => {
  const files = await findFiles(path.join(await hostGoroot(), 'src'), 'modules.txt');
  const dirs = files.map((file) => path.dirname(path.dirname(file)));
  t.true(dirs.some((dir) => dir.endsWith('/src')) && dirs.some((dir) => dir.endsWith('/src/cmd')), dirs.join('\n'));
  for (const dir of dirs) await assertAgreesWithGo(t, dir);
  t.log(`${dirs.length} vendor/modules.txt files in GOROOT/src`);
});

registerNeeding(
  CACHED_MODULES_TXT.length > 0 ? undefined : `no vendor/modules.txt under ${DISTRIBUTIONS} (a Go toolchain downloaded by the go command puts some there)`,
  'every vendor/modules.txt of a Go distribution in the module cache parses and is consistent with its go.mod',
  (title) =>
    test(title, async (t) => {
      for (const file of CACHED_MODULES_TXT) {
        const dir = path.dirname(path.dirname(file));
        const parsed = parseModulesTxt(await fs.readFile(file, 'utf8'));
        t.true(parsed.modules.length > 0, file);
        // A module zip cannot hold a nested module, so the distribution ships nested go.mod files as _go.mod.
        const goMod = await fs.readFile(path.join(dir, 'go.mod'), 'utf8').catch(() => fs.readFile(path.join(dir, '_go.mod'), 'utf8'));
        t.deepEqual(checkVendorConsistency(parseGoMod(goMod), parsed), [], file);
      }
      t.log(`${CACHED_MODULES_TXT.length} vendor/modules.txt files in the module cache`);
    }),
);

// ---------------------------------------------------------------------------------------------------------
// Hand-written files: every form go mod vendor and go work vendor write.

test('replacements: of a vendored module, to a directory, and the trailing wildcard and unused ones', (t) => {
  const text = [
    '# example.com/a v1.0.0 => example.com/fork v1.0.1',
    '## explicit; go 1.22',
    'example.com/a',
    'example.com/a/sub',
    '# example.com/b v0.3.0 => ../b',
    '## go 1.20.1',
    'example.com/b/pkg',
    '# example.com/c v2.0.0+incompatible',
    '## explicit',
    '# example.com/a => example.com/fork v1.0.1',
    '# example.com/unused v1.2.3 => ./unused',
    '# example.com/dir => /abs/dir',
    '',
  ].join('\n');
  t.deepEqual(parseModulesTxt(text), {
    workspace: false,
    modules: [
      {
        path: 'example.com/a',
        version: 'v1.0.0',
        replace: { path: 'example.com/fork', version: 'v1.0.1' },
        explicit: true,
        goVersion: '1.22',
        packages: ['example.com/a', 'example.com/a/sub'],
      },
      { path: 'example.com/b', version: 'v0.3.0', replace: { path: '../b' }, explicit: false, goVersion: '1.20.1', packages: ['example.com/b/pkg'] },
      // An explicit requirement none of whose packages the build imports.
      { path: 'example.com/c', version: 'v2.0.0+incompatible', explicit: true, packages: [] },
    ],
    replacements: [
      { oldPath: 'example.com/a', newPath: 'example.com/fork', newVersion: 'v1.0.1' },
      { oldPath: 'example.com/unused', oldVersion: 'v1.2.3', newPath: './unused' },
      { oldPath: 'example.com/dir', newPath: '/abs/dir' },
    ],
  });
});

test('a workspace header, a module without annotations (as before go 1.14), CRLF line ends and blank lines', (t) => {
  const text = '## workspace\r\n\r\n# example.com/a v1.0.0\r\nexample.com/a\r\n\r\n# example.com/b v1.0.0-rc.1\r\n## explicit\r\nexample.com/b/x\r\n';
  t.deepEqual(parseModulesTxt(text), {
    workspace: true,
    modules: [
      { path: 'example.com/a', version: 'v1.0.0', explicit: false, packages: ['example.com/a'] },
      { path: 'example.com/b', version: 'v1.0.0-rc.1', explicit: true, packages: ['example.com/b/x'] },
    ],
    replacements: [],
  });
  t.deepEqual(parseModulesTxt(''), { workspace: false, modules: [], replacements: [] });
});

test('annotations are merged across lines, may follow packages, and unknown tokens are ignored (reserved by the go command)', (t) => {
  const text = '# example.com/a v1.0.0\nexample.com/a\n## go 1.21rc1\n##  explicit ;  future thing; ; \n';
  t.deepEqual(parseModulesTxt(text).modules, [{ path: 'example.com/a', version: 'v1.0.0', explicit: true, goVersion: '1.21rc1', packages: ['example.com/a'] }]);
});

test('"## workspace" after a module line is just an unknown annotation, which the go command reserves and ignores', (t) => {
  const parsed = parseModulesTxt('# example.com/a v1.0.0\n## explicit\n## workspace\nexample.com/a\n');
  t.false(parsed.workspace);
  t.deepEqual(parsed.modules, [{ path: 'example.com/a', version: 'v1.0.0', explicit: true, packages: ['example.com/a'] }]);
});

test('compareModuleVersions orders by semantic version precedence', (t) => {
  const ordered = ['v0.0.0-20190101000000-abcdef', 'v0.9.0', 'v1.0.0-alpha', 'v1.0.0-alpha.1', 'v1.0.0-alpha.beta', 'v1.0.0-beta.2', 'v1.0.0-beta.11', 'v1.0.0-rc.1', 'v1.0.0', 'v1.0.1', 'v1.10.0', 'v2.0.0+incompatible', 'v10.0.0'];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      t.is(compareModuleVersions(ordered[i]!, ordered[j]!), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
  t.is(compareModuleVersions('v1.0.0+a', 'v1.0.0+b'), 0);
  t.is(compareModuleVersions('junk', 'v0.0.0'), -1);
});

const MALFORMED: Array<{ name: string; text: string; line: number; message: string }> = [
  { name: 'module line without a version', text: '# example.com/a\n', line: 1, message: 'expected "# <module> <version>" or "# <module> => <replacement>"' },
  { name: 'a bare "# "', text: '\n# \n', line: 2, message: 'expected "# <module> <version>" or "# <module> => <replacement>"' },
  { name: 'invalid version', text: '# example.com/a 1.0.0\n', line: 1, message: 'invalid version "1.0.0" for example.com/a' },
  { name: 'short version', text: '# example.com/a v1\n', line: 1, message: 'invalid version "v1" for example.com/a' },
  { name: 'junk after the version', text: '# example.com/a v1.0.0 extra\n', line: 1, message: 'unexpected "extra" after example.com/a v1.0.0' },
  { name: 'nothing after =>', text: '# example.com/a v1.0.0 =>\n', line: 1, message: 'a replacement must be "=> <directory>" or "=> <module> <version>"' },
  { name: 'too much after =>', text: '# example.com/a => b v1.0.0 c\n', line: 1, message: 'a replacement must be "=> <directory>" or "=> <module> <version>"' },
  { name: 'bad replacement version', text: '# example.com/a v1.0.0 => example.com/b latest\n', line: 1, message: 'invalid replacement version "latest" for example.com/b' },
  { name: 'bad module path', text: '# example.com//a v1.0.0\n', line: 1, message: 'invalid module path "example.com//a"' },
  { name: 'package before any module', text: 'example.com/a\n', line: 1, message: 'package example.com/a before the first module line' },
  { name: 'annotation before any module', text: '## explicit\n# example.com/a v1.0.0\n', line: 1, message: 'annotation before the first module line' },
  { name: 'package under a wildcard replacement', text: '# example.com/a => ../a\nexample.com/a\n', line: 2, message: 'package example.com/a under a replacement of every version of example.com/a' },
  { name: 'annotation under a wildcard replacement', text: '# example.com/a => ../a\n## explicit\n', line: 2, message: 'annotation under a replacement of every version of example.com/a' },
  { name: 'bad go version', text: '# example.com/a v1.0.0\n## explicit; go 1.21.x\n', line: 2, message: 'invalid go version "1.21.x" for example.com/a' },
  { name: 'go version with a go prefix', text: '# example.com/a v1.0.0\n## go go1.21\n', line: 2, message: 'invalid go version "go1.21" for example.com/a' },
  { name: 'two words on a package line', text: '# example.com/a v1.0.0\nexample.com/a example.com/b\n', line: 2, message: 'expected a package import path, found "example.com/a example.com/b"' },
  { name: '#-comment without a space', text: '# example.com/a v1.0.0\n#comment\n', line: 2, message: 'expected a package import path, found "#comment"' },
  { name: '"##" without a space', text: '# example.com/a v1.0.0\n##\n', line: 2, message: 'expected a package import path, found "##"' },
  { name: 'duplicate module', text: '# example.com/a v1.0.0\nexample.com/a\n# example.com/a v1.0.0\n', line: 3, message: 'example.com/a v1.0.0 is listed twice (first on line 1)' },
  { name: 'duplicate wildcard replacement', text: '# example.com/a => ../a\n# example.com/a => ../b\n', line: 2, message: 'example.com/a is listed twice (first on line 1)' },
];

for (const { name, text, line, message } of MALFORMED) {
  test(`syntax error: ${name}`, (t) => {
    const error = t.throws(() => parseModulesTxt(text), { instanceOf: ModulesTxtSyntaxError });
    t.is(error?.line, line);
    t.is(error?.message, `line ${line}: ${message}`);
  });
}

// Property tests of parseModulesTxt (random text, mutations of real files): test/unit/robustness/modules-txt.test.ts.

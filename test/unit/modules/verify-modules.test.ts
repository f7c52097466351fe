/**
 * verifyModules on examples/cli with its real module set: untouched it proves every module; each change to a
 * copy of the vendored tree, go.sum or the set is reported against the module and file it concerns.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { parseGoSum } from '../../../src/modules/go-sum.js';
import { openModuleSet } from '../../../src/modules/module-set.js';
import { parseModulesTxt } from '../../../src/modules/modules-txt.js';
import { type ModuleCheck, isVendoredPackageFile, verifyModules } from '../../../src/modules/verify-modules.js';
import { CLI_EXAMPLE, CLI_GO_SUM, CLI_GO_SUM_TEXT, CLI_MODULE_SET, CLI_MODULES_TXT_TEXT, CLI_ZIP_MODULES } from '../../helpers/cli-module-set.js';
import { go, tempDir } from '../../helpers/host-tools.js';

interface Setup {
  moduleDir: string;
  setDir: string;
  setModules: Array<{ path: string; version: string; zip: boolean }>;
}

/** A private copy of examples/cli and the opened module set, both removed after the test. */
async function setUp(t: ExecutionContext): Promise<Setup> {
  const moduleDir = await tempDir(t, 'airlock-verify-');
  await fs.cp(CLI_EXAMPLE, moduleDir, { recursive: true });
  const opened = await openModuleSet(CLI_MODULE_SET);
  t.teardown(() => opened.close());
  return { moduleDir, setDir: opened.dir, setModules: opened.manifest.modules };
}

async function verify(setup: Setup, goSumText = CLI_GO_SUM_TEXT, options: { withSet?: boolean } = {}): Promise<ModuleCheck[]> {
  const modulesTxt = parseModulesTxt(await fs.readFile(path.join(setup.moduleDir, 'vendor/modules.txt'), 'utf8'));
  return verifyModules({
    moduleDir: setup.moduleDir,
    goSum: parseGoSum(goSumText),
    modulesTxt,
    ...(options.withSet === false ? {} : { setDir: setup.setDir, setModules: setup.setModules }),
  });
}

const ALL_MODULES = [
  'github.com/cpuguy83/go-md2man/v2',
  'github.com/dustin/go-humanize',
  'github.com/google/uuid',
  'github.com/inconshreveable/mousetrap',
  'github.com/russross/blackfriday/v2',
  'github.com/spf13/cobra',
  'github.com/spf13/pflag',
  'go.yaml.in/yaml/v3',
  'gopkg.in/check.v1',
];

/** Removes a line that must be in the text, so that a case cannot silently stop changing anything. */
function dropLine(text: string, line: string): string {
  if (!text.includes(`${line}\n`)) throw new Error(`${JSON.stringify(line)} is not in the file`);
  return text.replace(`${line}\n`, '');
}

/** Every check but one is OK, and that one is as expected. */
function assertOnly(t: ExecutionContext, checks: ModuleCheck[], expected: Pick<ModuleCheck, 'path' | 'status' | 'detail'>): void {
  t.deepEqual(
    checks.map((c) => c.path),
    ALL_MODULES,
  );
  const problems = checks.filter((c) => c.status !== 'OK');
  t.deepEqual(
    problems.map(({ path: p, status, detail }) => ({ path: p, status, detail })),
    [expected],
  );
}

test('examples/cli with its module set: every module is OK, vendored files identical to the zips', async (t) => {
  const checks = await verify(await setUp(t));
  t.deepEqual(
    checks.map((c) => c.path),
    ALL_MODULES,
  );
  for (const check of checks) t.is(check.status, 'OK', `${check.path}: ${check.detail}`);
  for (const module of CLI_ZIP_MODULES) {
    const check = checks.find((c) => c.path === module.path);
    t.is(check?.version, module.version);
    t.is(check?.detail, `zip and go.mod match go.sum (${CLI_GO_SUM.get(`${module.path} ${module.version}`)}); vendored files identical to the zip`);
  }
  const goModOnly = checks.find((c) => c.path === 'gopkg.in/check.v1');
  t.is(goModOnly?.detail, `go.mod matches go.sum (${CLI_GO_SUM.get('gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405/go.mod')})`);
});

test('a changed vendored .go file is a MISMATCH naming that file', async (t) => {
  const setup = await setUp(t);
  await fs.appendFile(path.join(setup.moduleDir, 'vendor/github.com/google/uuid/uuid.go'), '\n// changed\n');
  assertOnly(t, await verify(setup), {
    path: 'github.com/google/uuid',
    status: 'MISMATCH',
    detail: 'vendor/github.com/google/uuid/uuid.go differs from the verified module zip',
  });
});

test('a changed vendored non-Go file is a MISMATCH too', async (t) => {
  const setup = await setUp(t);
  const license = path.join(setup.moduleDir, 'vendor/github.com/spf13/cobra/LICENSE.txt');
  await fs.writeFile(license, (await fs.readFile(license, 'utf8')).replace('Apache', 'Apachf'));
  assertOnly(t, await verify(setup), {
    path: 'github.com/spf13/cobra',
    status: 'MISMATCH',
    detail: 'vendor/github.com/spf13/cobra/LICENSE.txt differs from the verified module zip',
  });
});

test('an extra file in a vendored package directory is a MISMATCH: not in the verified module zip', async (t) => {
  const setup = await setUp(t);
  await fs.writeFile(path.join(setup.moduleDir, 'vendor/github.com/spf13/pflag/extra.go'), 'package pflag\n\nfunc init() {}\n');
  assertOnly(t, await verify(setup), {
    path: 'github.com/spf13/pflag',
    status: 'MISMATCH',
    detail: 'vendor/github.com/spf13/pflag/extra.go is not in the verified module zip',
  });
});

test('an extra file in a new subdirectory of a vendored module is a MISMATCH too', async (t) => {
  const setup = await setUp(t);
  await fs.mkdir(path.join(setup.moduleDir, 'vendor/github.com/dustin/go-humanize/hidden'));
  await fs.writeFile(path.join(setup.moduleDir, 'vendor/github.com/dustin/go-humanize/hidden/x.go'), 'package hidden\n');
  assertOnly(t, await verify(setup), {
    path: 'github.com/dustin/go-humanize',
    status: 'MISMATCH',
    detail: 'vendor/github.com/dustin/go-humanize/hidden/x.go is not in the verified module zip',
  });
});

test('a deleted vendored .go file is a MISMATCH: is missing', async (t) => {
  const setup = await setUp(t);
  await fs.rm(path.join(setup.moduleDir, 'vendor/github.com/dustin/go-humanize/bytes.go'));
  assertOnly(t, await verify(setup), {
    path: 'github.com/dustin/go-humanize',
    status: 'MISMATCH',
    detail: 'vendor/github.com/dustin/go-humanize/bytes.go is missing (the verified module zip has it)',
  });
});

test('a deleted vendored README (go mod vendor copies every non-Go file of a package) is missing too', async (t) => {
  const setup = await setUp(t);
  await fs.rm(path.join(setup.moduleDir, 'vendor/github.com/google/uuid/README.md'));
  assertOnly(t, await verify(setup), {
    path: 'github.com/google/uuid',
    status: 'MISMATCH',
    detail: 'vendor/github.com/google/uuid/README.md is missing (the verified module zip has it)',
  });
});

test('go.sum without the zip line of a module: MISSING', async (t) => {
  const setup = await setUp(t);
  const goSum = dropLine(CLI_GO_SUM_TEXT, 'github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=');
  assertOnly(t, await verify(setup, goSum), {
    path: 'github.com/google/uuid',
    status: 'MISSING',
    detail: 'go.sum has no line for github.com/google/uuid v1.6.0',
  });
});

test('go.sum without the /go.mod line of a module: MISSING', async (t) => {
  const setup = await setUp(t);
  const goSum = dropLine(CLI_GO_SUM_TEXT, 'github.com/russross/blackfriday/v2 v2.1.0/go.mod h1:+Rmxgy9KzJVeS9/2gXHxylqXiyQDYRxCVz55jmeOWTM=');
  assertOnly(t, await verify(setup, goSum), {
    path: 'github.com/russross/blackfriday/v2',
    status: 'MISSING',
    detail: 'go.sum has no line for github.com/russross/blackfriday/v2 v2.1.0/go.mod',
  });
});

test('go.sum with another zip hash than the set: MISMATCH naming both hashes', async (t) => {
  const setup = await setUp(t);
  const real = 'h1:9exaQaMOCwffKiiiYk6/BndUBv+iRViNW+4lEMi0PvY=';
  const other = 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const goSum = CLI_GO_SUM_TEXT.replace(`github.com/spf13/pflag v1.0.9 ${real}`, `github.com/spf13/pflag v1.0.9 ${other}`);
  t.not(goSum, CLI_GO_SUM_TEXT);
  assertOnly(t, await verify(setup, goSum), {
    path: 'github.com/spf13/pflag',
    status: 'MISMATCH',
    detail: `the zip hashes to ${real}, go.sum says ${other}`,
  });
});

test("a set whose .ziphash disagrees with its zip: MISMATCH", async (t) => {
  const setup = await setUp(t);
  const ziphash = path.join(setup.setDir, 'cache/download/github.com/inconshreveable/mousetrap/@v/v1.1.0.ziphash');
  await fs.writeFile(ziphash, 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n');
  assertOnly(t, await verify(setup), {
    path: 'github.com/inconshreveable/mousetrap',
    status: 'MISMATCH',
    detail: "the set's .ziphash says h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, the zip hashes to h1:wN+x4NVGpMsO7ErUn/mUI3vEoE6Jt13X2s0bqwp9tc8=",
  });
});

test("a set whose go.mod was changed: MISMATCH", async (t) => {
  const setup = await setUp(t);
  await fs.appendFile(path.join(setup.setDir, 'cache/download/go.yaml.in/yaml/v3/@v/v3.0.4.mod'), '\n');
  const checks = await verify(setup);
  const problems = checks.filter((c) => c.status !== 'OK');
  t.is(problems.length, 1);
  t.is(problems[0]?.path, 'go.yaml.in/yaml/v3');
  t.is(problems[0]?.status, 'MISMATCH');
  t.regex(problems[0]?.detail ?? '', /^its go\.mod hashes to h1:\S+, go\.sum says h1:DhzuOOF2ATzADvBadXxruRBLzYTpT36CKvDb3\+aBEFg=$/);
});

test('without a module set every vendored module is MISSING, and nothing is claimed OK', async (t) => {
  const checks = await verify(await setUp(t), CLI_GO_SUM_TEXT, { withSet: false });
  t.deepEqual(
    checks.map((c) => ({ path: c.path, version: c.version, status: c.status, detail: c.detail })),
    CLI_ZIP_MODULES.map((m) => ({ ...m, status: 'MISSING', detail: 'vendored; no module set given to prove it against go.sum' })),
  );
});

test('modules.txt itself is untouched by these tests (sanity of the shared fixture text)', (t) => {
  t.is(parseModulesTxt(CLI_MODULES_TXT_TEXT).modules.length, 5);
});

const VENDORED_FILE_CASES: Array<[name: string, content: string, vendored: boolean]> = [
  ['dep_test.go', 'package dep\n', false],
  ['example_test.go', 'package dep_test\n', false],
  ['go.mod', 'module example.com/dep\n\ngo 1.21\n', false],
  ['go.sum', '', false],
  ['gen.go', '//go:build ignore\n\npackage main\n', false],
  ['gen_old.go', '// +build ignore\n\npackage main\n', false],
  ['gen_copyright.go', '// Copyright 2024 The Authors.\n\n//go:build ignore\n\npackage main\n', false],
  ['dep.go', 'package dep\n', true],
  ['node_js.go', '//go:build js\n\npackage dep\n', true],
  ['not_ignored.go', '//go:build !ignore\n\npackage dep\n', true],
  ['asm_amd64.s', '#include "textflag.h"\n', true],
  ['LICENSE', 'Copyright (c) 2009,2014 Google Inc. All rights reserved.\n', true],
  ['README.md', '# dep\n', true],
  ['notes.txt', '//go:build ignore\n', true],
  ['late.go', 'package dep\n\n//go:build ignore\n', true],
  ['go.mod.txt', '', true],
  ['test.go', 'package dep\n', true],
];

/**
 * The files `go mod vendor` (the host's go command, offline) copies from a package directory holding the given
 * files: a main module requires example.com/dep, replaced by a local directory, and imports its package.
 */
async function goModVendor(t: ExecutionContext, files: ReadonlyArray<readonly [string, string]>): Promise<Set<string>> {
  const dir = await tempDir(t, 'airlock-go-vendor-');
  await fs.mkdir(path.join(dir, 'dep'));
  await fs.mkdir(path.join(dir, 'main'));
  for (const [name, content] of files) await fs.writeFile(path.join(dir, 'dep', name), content);
  if (!files.some(([name]) => name === 'go.mod')) await fs.writeFile(path.join(dir, 'dep/go.mod'), 'module example.com/dep\n\ngo 1.21\n');
  if (!files.some(([name]) => name === 'dep.go')) await fs.writeFile(path.join(dir, 'dep/dep.go'), 'package dep\n');
  await fs.writeFile(path.join(dir, 'main/go.mod'), 'module example.com/main\n\ngo 1.21\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ../dep\n');
  await fs.writeFile(path.join(dir, 'main/main.go'), 'package main\n\nimport _ "example.com/dep"\n\nfunc main() {}\n');
  await go(['mod', 'vendor'], path.join(dir, 'main'));
  return new Set(await fs.readdir(path.join(dir, 'main/vendor/example.com/dep')));
}

test('isVendoredPackageFile: what go mod vendor copies from a package directory', (t) => {
  for (const [name, content, vendored] of VENDORED_FILE_CASES) {
    t.is(isVendoredPackageFile(name, Buffer.from(content)), vendored, name);
  }
});

test('the table above is what the go command itself does', async (t) => {
  const copied = await goModVendor(
    t,
    VENDORED_FILE_CASES.map(([name, content]) => [name, content] as const),
  );
  for (const [name, , vendored] of VENDORED_FILE_CASES) t.is(copied.has(name), vendored, name);
});

/** Build constraints that combine "ignore" with other tags, and what `go mod vendor` does with them. */
const IGNORE_EXPRESSIONS: Array<[name: string, content: string, vendored: boolean]> = [
  ['and_ignore.go', '//go:build linux && ignore\n\npackage dep\n', false],
  ['paren_ignore.go', '//go:build (ignore)\n\npackage dep\n', false],
  ['ignore_or.go', '//go:build ignore || linux\n\npackage dep\n', true],
];

test('go mod vendor drops a file whose build constraint can never hold with "ignore" false, and keeps the rest', async (t) => {
  const copied = await goModVendor(
    t,
    IGNORE_EXPRESSIONS.map(([name, content]) => [name, content] as const),
  );
  for (const [name, , vendored] of IGNORE_EXPRESSIONS) t.is(copied.has(name), vendored, name);
});

// BUG (src/modules/go-source.ts isIgnoredFile, used by isVendoredPackageFile): a file counts as ignored only when
// its //go:build expression *starts with* the word "ignore". The go command (imports.ShouldBuild with AnyTags)
// treats every tag but "ignore" as satisfiable and drops the file when the expression then cannot hold. So
// "linux && ignore" and "(ignore)" are expected in vendor/ although go mod vendor never copies them (a false
// "is missing" MISMATCH for a module whose zip has such a file), and "ignore || linux" is not expected although
// go mod vendor copies it and builds it on linux (deleting it from vendor/ goes unnoticed by verifyModules).
test('isVendoredPackageFile agrees with go mod vendor on build constraints combining "ignore"', (t) => {
  for (const [name, content, vendored] of IGNORE_EXPRESSIONS) {
    t.is(isVendoredPackageFile(name, Buffer.from(content)), vendored, name);
  }
});

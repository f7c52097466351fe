/**
 * Each case breaks (or legitimately varies) a copy of examples/cli and checks that airlock's verdict is the
 * go command's: `go build -mod=vendor ./...` passes exactly when airlock finds no problem, and when it fails
 * it is for inconsistent vendoring of the same modules. The go command checks vendor/modules.txt while it
 * loads the module, before it plans any compile, so `go build -n` (plan and print, compile nothing) gives the
 * same verdict in under a second instead of a cold compile of every package per case.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { parseGoMod } from '../../../src/modules/go-mod.js';
import { parseModulesTxt } from '../../../src/modules/modules-txt.js';
import { checkVendorConsistency, describeVendorProblems, type VendorProblem } from '../../../src/modules/vendor-consistency.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { goEnv, run, type RunResult, tempDir } from '../../helpers/host-tools.js';

const EXAMPLE = path.join(packageRoot(), 'examples/cli');
const GO_MOD = await fs.readFile(path.join(EXAMPLE, 'go.mod'), 'utf8');
const MODULES_TXT = await fs.readFile(path.join(EXAMPLE, 'vendor/modules.txt'), 'utf8');

/** Replaces text that must be there, so that a case cannot silently stop breaking anything. */
function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`${JSON.stringify(from)} is not in the file`);
  return text.replace(from, to);
}

const setGo = (version: string) => (text: string) => edit(text, 'go 1.26\n', version === '' ? '' : `go ${version}\n`);
const append = (line: string) => (text: string) => `${text}${line}\n`;
const apply =
  (...edits: Array<(text: string) => string>) =>
  (text: string) =>
    edits.reduce((acc, fn) => fn(acc), text);

async function goBuild(t: ExecutionContext, goMod: string, modulesTxt: string): Promise<RunResult> {
  const dir = await tempDir(t, 'airlock-vendor-');
  await fs.cp(EXAMPLE, dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'go.mod'), goMod);
  await fs.writeFile(path.join(dir, 'vendor/modules.txt'), modulesTxt);
  return run('go', ['build', '-n', './...'], { cwd: dir, env: { ...goEnv, GOFLAGS: '-mod=vendor' } });
}

interface Case {
  name: string;
  goMod?: (text: string) => string;
  modulesTxt?: (text: string) => string;
  /** The modules airlock must report, in order; empty when the go command accepts the copy. */
  problems: string[];
}

const COBRA = '# github.com/spf13/cobra v1.10.2\n## explicit; go 1.15\n';
const UUID = '# github.com/google/uuid v1.6.0\n';

const CASES: Case[] = [
  // Consistent: the go command builds each of these.
  { name: 'the untouched example', problems: [] },
  {
    name: 'a versioned replacement recorded on the module line',
    goMod: append('replace github.com/google/uuid v1.6.0 => ./uuid-fork'),
    modulesTxt: (text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => ./uuid-fork\n'),
    problems: [],
  },
  {
    name: 'a wildcard replacement recorded on the module line and at the end',
    goMod: append('replace github.com/google/uuid => example.com/uuid v1.6.1'),
    modulesTxt: apply(
      (text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => example.com/uuid v1.6.1\n'),
      append('# github.com/google/uuid => example.com/uuid v1.6.1'),
    ),
    problems: [],
  },
  {
    name: 'an unused replacement recorded at the end',
    goMod: append('replace example.com/unused v1.0.0 => ./unused'),
    modulesTxt: append('# example.com/unused v1.0.0 => ./unused'),
    problems: [],
  },
  {
    name: 'an explicit module with no packages that go.mod does not require (only modules with packages are checked)',
    modulesTxt: append('# example.com/extra v1.0.0\n## explicit; go 1.20'),
    problems: [],
  },
  {
    name: 'an explicit module without its go annotation under go 1.26 (not an inconsistency for the go command)',
    modulesTxt: (text) => edit(text, COBRA, '# github.com/spf13/cobra v1.10.2\n## explicit\n'),
    problems: [],
  },
  {
    name: 'annotations split over two lines after the packages',
    modulesTxt: (text) => edit(text, `${COBRA}github.com/spf13/cobra\n`, '# github.com/spf13/cobra v1.10.2\ngithub.com/spf13/cobra\n## go 1.15\n## explicit\n'),
    problems: [],
  },
  { name: 'a workspace header (with -mod=vendor outside workspace mode it is checked as a module)', modulesTxt: (text) => `## workspace\n${text}`, problems: [] },
  {
    name: 'a replacement of the main module itself, which the go command ignores',
    goMod: append('replace example.com/cli => ./elsewhere'),
    problems: [],
  },
  {
    name: 'a wildcard replacement in go.mod and another target for the vendored version (the go command does not compare them)',
    goMod: append('replace github.com/google/uuid => ./c'),
    modulesTxt: apply((text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => ./b\n'), append('# github.com/google/uuid => ./c')),
    problems: [],
  },
  {
    name: 'before go 1.14: a missing explicit mark is not checked',
    goMod: setGo('1.13'),
    modulesTxt: (text) => edit(text, COBRA, '# github.com/spf13/cobra v1.10.2\n## go 1.15\n'),
    problems: [],
  },
  {
    name: 'at go 1.14rc1, which sorts before go 1.14: a missing explicit mark is not checked',
    goMod: setGo('1.14rc1'),
    modulesTxt: (text) => edit(text, COBRA, '# github.com/spf13/cobra v1.10.2\n## go 1.15\n'),
    problems: [],
  },
  {
    name: 'at go 1.9, which sorts before go 1.14: a missing explicit mark is not checked',
    goMod: setGo('1.9'),
    modulesTxt: (text) => edit(text, COBRA, '# github.com/spf13/cobra v1.10.2\n## go 1.15\n'),
    problems: [],
  },
  {
    name: 'before go 1.14: an unrecorded wildcard replacement is not checked',
    goMod: apply(setGo('1.13'), append('replace github.com/google/uuid => ./uuid-fork')),
    problems: [],
  },

  // Inconsistent: the go command refuses each of these.
  {
    name: 'version differs (vendor/modules.txt is older)',
    modulesTxt: (text) => edit(text, '# github.com/spf13/cobra v1.10.2\n', '# github.com/spf13/cobra v1.10.1\n'),
    problems: ['github.com/spf13/cobra'],
  },
  {
    name: 'version differs (go.mod was upgraded)',
    goMod: (text) => edit(text, 'github.com/spf13/cobra v1.10.2', 'github.com/spf13/cobra v1.10.3'),
    problems: ['github.com/spf13/cobra'],
  },
  {
    name: 'explicit marker missing',
    modulesTxt: (text) => edit(text, COBRA, '# github.com/spf13/cobra v1.10.2\n## go 1.15\n'),
    problems: ['github.com/spf13/cobra'],
  },
  {
    name: 'module missing from vendor/modules.txt',
    modulesTxt: (text) => edit(text, `${UUID}## explicit\ngithub.com/google/uuid\n`, ''),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'explicit marker missing at go 1.14 exactly',
    goMod: setGo('1.14'),
    modulesTxt: (text) => edit(text, COBRA, '# github.com/spf13/cobra v1.10.2\n## go 1.15\n'),
    problems: ['github.com/spf13/cobra'],
  },
  {
    name: 'extra explicit module (its requirement was dropped from go.mod)',
    goMod: (text) => edit(text, '\tgithub.com/spf13/pflag v1.0.9 // indirect\n', ''),
    problems: ['github.com/spf13/pflag'],
  },
  {
    name: 'extra explicit module with packages in vendor/modules.txt',
    modulesTxt: append('# example.com/extra v1.0.0\n## explicit; go 1.20\nexample.com/extra'),
    problems: ['example.com/extra'],
  },
  {
    name: 'replace missing (one version)',
    goMod: append('replace github.com/google/uuid v1.6.0 => ./uuid-fork'),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'replace missing (every version)',
    goMod: append('replace github.com/google/uuid => ./uuid-fork'),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'replace missing (every version, recorded only on the module line)',
    goMod: append('replace github.com/google/uuid => ./uuid-fork'),
    modulesTxt: (text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => ./uuid-fork\n'),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'replace missing (unused replacement not recorded at the end)',
    goMod: append('replace example.com/unused v1.0.0 => ./unused'),
    problems: ['example.com/unused'],
  },
  {
    name: 'replace target differs (directory)',
    goMod: append('replace github.com/google/uuid v1.6.0 => ./uuid-fork'),
    modulesTxt: (text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => ./other\n'),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'replace target differs (module version)',
    goMod: append('replace github.com/google/uuid v1.6.0 => example.com/uuid v1.7.0'),
    modulesTxt: (text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => example.com/uuid v1.7.1\n'),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'replacement in vendor/modules.txt that go.mod lacks (on the module line)',
    modulesTxt: (text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => ./uuid-fork\n'),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'replacement in vendor/modules.txt that go.mod lacks (at the end)',
    modulesTxt: append('# example.com/nothing => ./nothing'),
    problems: ['example.com/nothing'],
  },
  {
    name: 'before go 1.14: version differs',
    goMod: setGo('1.13'),
    modulesTxt: (text) => edit(text, '# github.com/spf13/cobra v1.10.2\n', '# github.com/spf13/cobra v1.10.1\n'),
    problems: ['github.com/spf13/cobra'],
  },
  {
    name: 'without a go line (checked as before go 1.14): version differs',
    goMod: setGo(''),
    modulesTxt: (text) => edit(text, '# github.com/spf13/cobra v1.10.2\n', '# github.com/spf13/cobra v1.10.1\n'),
    problems: ['github.com/spf13/cobra'],
  },
  {
    name: 'before go 1.14: extra explicit module',
    goMod: apply(setGo('1.13'), (text) => edit(text, '\tgithub.com/spf13/pflag v1.0.9 // indirect\n', '')),
    problems: ['github.com/spf13/pflag'],
  },
  {
    name: 'before go 1.14: replace missing for a vendored version',
    goMod: apply(setGo('1.13'), append('replace github.com/google/uuid v1.6.0 => ./uuid-fork')),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'before go 1.14: replace target differs',
    goMod: apply(setGo('1.13'), append('replace github.com/google/uuid v1.6.0 => ./uuid-fork')),
    modulesTxt: (text) => edit(text, UUID, '# github.com/google/uuid v1.6.0 => ./other\n'),
    problems: ['github.com/google/uuid'],
  },
  {
    name: 'several problems at once',
    goMod: apply((text) => edit(text, 'github.com/spf13/cobra v1.10.2', 'github.com/spf13/cobra v1.10.3'), append('replace github.com/google/uuid => ./uuid-fork')),
    modulesTxt: apply(append('# example.com/nothing => ./nothing'), append('# example.com/extra v1.0.0\n## explicit\nexample.com/extra')),
    problems: ['github.com/spf13/cobra', 'github.com/google/uuid', 'example.com/extra', 'example.com/nothing'],
  },
];

for (const { name, goMod: editGoMod, modulesTxt: editModulesTxt, problems: expected } of CASES) {
  test(`agrees with go build -mod=vendor: ${name}`, async (t) => {
    const goMod = editGoMod?.(GO_MOD) ?? GO_MOD;
    const modulesTxt = editModulesTxt?.(MODULES_TXT) ?? MODULES_TXT;
    const problems: VendorProblem[] = checkVendorConsistency(parseGoMod(goMod), parseModulesTxt(modulesTxt));
    t.deepEqual(
      problems.map((problem) => problem.module),
      expected,
      describeVendorProblems(problems),
    );
    for (const problem of problems) t.true(problem.message.startsWith(`${problem.module}: `), problem.message);
    t.snapshot(problems.map((problem) => problem.message));

    const verdict = await goBuild(t, goMod, modulesTxt);
    if (expected.length === 0) {
      t.is(verdict.code, 0, `the go command refused what airlock accepts:\n${verdict.stderr}`);
    } else {
      t.not(verdict.code, 0, 'the go command accepted what airlock refuses');
      t.true(verdict.stderr.includes('go: inconsistent vendoring in'), verdict.stderr);
      for (const module of expected) t.true(verdict.stderr.includes(`\t${module}`), `${module} is not in:\n${verdict.stderr}`);
    }
  });
}

test('describeVendorProblems: a count, then the first three problems', (t) => {
  const problem = (n: number): VendorProblem => ({ module: `example.com/m${n}`, message: `example.com/m${n}: problem ${n}` });
  t.is(describeVendorProblems([]), 'vendor/modules.txt is consistent with go.mod');
  t.is(describeVendorProblems([problem(1)]), '1 problem in vendor/modules.txt: example.com/m1: problem 1');
  t.is(
    describeVendorProblems([problem(1), problem(2), problem(3)]),
    '3 problems in vendor/modules.txt: example.com/m1: problem 1; example.com/m2: problem 2; example.com/m3: problem 3',
  );
  t.is(
    describeVendorProblems([1, 2, 3, 4, 5].map(problem)),
    '5 problems in vendor/modules.txt: example.com/m1: problem 1; example.com/m2: problem 2; example.com/m3: problem 3; and 2 more',
  );
});

test('describeVendorProblems of a real break', (t) => {
  const severalAtOnce = CASES.find((c) => c.name === 'several problems at once')!;
  const problems = checkVendorConsistency(parseGoMod(severalAtOnce.goMod!(GO_MOD)), parseModulesTxt(severalAtOnce.modulesTxt!(MODULES_TXT)));
  t.snapshot(describeVendorProblems(problems));
});

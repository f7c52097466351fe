import test from 'ava';

import { compareGoVersions, goVersionToSemver, toolchainSatisfiesGoLine } from '../../../src/plan/go-version.js';

test('goVersionToSemver: toolchain versions', (t) => {
  t.is(goVersionToSemver('go1.26.8'), '1.26.8');
  t.is(goVersionToSemver('go1.26.0'), '1.26.0');
  t.is(goVersionToSemver('go1.9.7'), '1.9.7');
  t.is(goVersionToSemver('go1.100.12'), '1.100.12');
});

test('goVersionToSemver: go.mod language versions without the go prefix or a patch', (t) => {
  t.is(goVersionToSemver('1.26'), '1.26.0-0');
  t.is(goVersionToSemver('1.26.8'), '1.26.8');
  t.is(goVersionToSemver('go1.26'), '1.26.0-0');
  t.is(goVersionToSemver(' 1.26 \n'), '1.26.0-0');
});

test('goVersionToSemver: release candidates and betas become semver prereleases', (t) => {
  t.is(goVersionToSemver('go1.27rc1'), '1.27.0-rc.1');
  t.is(goVersionToSemver('1.27rc2'), '1.27.0-rc.2');
  t.is(goVersionToSemver('go1.27beta1'), '1.27.0-beta.1');
  t.is(goVersionToSemver('go1.21.0rc3'), '1.21.0-rc.3');
});

test('goVersionToSemver: garbage is undefined', (t) => {
  for (const text of [
    '',
    'go',
    'go1',
    '1',
    'go2.0.0',
    '2.1',
    'latest',
    'devel',
    'go1.26.8.1',
    'go1.26.x',
    'v1.26.8',
    'go 1.26.8',
    'go1.27rc',
    'go1.27alpha1',
    'go1.26.8-rc1',
    'go1.26.8 linux/amd64',
  ]) {
    t.is(goVersionToSemver(text), undefined, JSON.stringify(text));
  }
});

test('compareGoVersions orders numerically, not as text', (t) => {
  t.true(compareGoVersions('go1.26.10', 'go1.26.8') > 0);
  t.true(compareGoVersions('go1.9.0', 'go1.10.0') < 0);
  t.true(compareGoVersions('go1.26.8', 'go1.27.0') < 0);
  t.is(compareGoVersions('go1.26.8', '1.26.8'), 0);
  t.is(compareGoVersions('go1.26.8', 'go1.26.8'), 0);
});

test('compareGoVersions: beta < rc < release < next patch', (t) => {
  const ordered = ['go1.26.8', 'go1.27beta1', 'go1.27beta2', 'go1.27rc1', 'go1.27rc2', 'go1.27.0', 'go1.27.1', 'go1.27.10', 'go1.28rc1'];
  const shuffled = [...ordered].reverse();
  shuffled.push(shuffled.shift()!);
  t.deepEqual([...shuffled].sort(compareGoVersions), ordered);
  for (let i = 0; i + 1 < ordered.length; i++) {
    t.is(compareGoVersions(ordered[i]!, ordered[i + 1]!), -1, `${ordered[i]} < ${ordered[i + 1]}`);
    t.is(compareGoVersions(ordered[i + 1]!, ordered[i]!), 1);
  }
});

test('compareGoVersions throws naming the operand that is not a Go version', (t) => {
  t.throws(() => compareGoVersions('garbage', 'go1.26.8'), { message: 'not a Go version: garbage' });
  t.throws(() => compareGoVersions('go1.26.8', 'tip'), { message: 'not a Go version: tip' });
});

test('toolchainSatisfiesGoLine: the toolchain must not be older than the go line', (t) => {
  t.false(toolchainSatisfiesGoLine('go1.26.8', '1.27'));
  t.true(toolchainSatisfiesGoLine('go1.27.3', '1.27'));
  t.true(toolchainSatisfiesGoLine('go1.27.0', '1.27'));
  t.true(toolchainSatisfiesGoLine('go1.26.8', '1.26'));
  t.true(toolchainSatisfiesGoLine('go1.26.8', '1.26.8'));
  t.false(toolchainSatisfiesGoLine('go1.26.7', '1.26.8'));
  t.true(toolchainSatisfiesGoLine('go1.27.3', '1.21'));
  t.false(toolchainSatisfiesGoLine('go1.9.7', '1.10'));
});

test('toolchainSatisfiesGoLine: a go line naming a release candidate', (t) => {
  t.false(toolchainSatisfiesGoLine('go1.26.8', '1.27rc1'));
  t.false(toolchainSatisfiesGoLine('go1.27beta1', '1.27rc1'));
  t.true(toolchainSatisfiesGoLine('go1.27rc1', '1.27rc1'));
  t.true(toolchainSatisfiesGoLine('go1.27rc2', '1.27rc1'));
  t.true(toolchainSatisfiesGoLine('go1.27.0', '1.27rc1'));
  t.true(toolchainSatisfiesGoLine('go1.27.3', '1.27rc1'));
});

test('toolchainSatisfiesGoLine throws on a go line that is not a version', (t) => {
  t.throws(() => toolchainSatisfiesGoLine('go1.26.8', 'banana'), { message: 'not a Go version: banana' });
});

// Regression test for a fixed bug (src/plan/go-version.ts): Go orders the language version "1.27" *before* its release candidates
// ("1.27 < 1.27rc1 < 1.27.0", see $GOROOT/src/internal/gover/gover.go, IsLang): go1.27rc1 builds a module
// whose go.mod says "go 1.27". goVersionToSemver maps "1.27" to 1.27.0, which sorts after 1.27.0-rc.1, so
// airlock refuses a release-candidate toolchain for such a module.
test('toolchainSatisfiesGoLine: go1.27rc1 may build a module whose go line is "1.27" (as the go command allows)', (t) => {
  t.true(toolchainSatisfiesGoLine('go1.27rc1', '1.27'));
});

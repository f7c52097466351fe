import test from 'ava';

import { binaryName, isIgnoredFile, packageName } from '../../../src/modules/go-source.js';

test('packageName reads the package clause', (t) => {
  t.is(packageName('package main\n\nfunc main() {}\n'), 'main');
  t.is(packageName('package foo_bar2\n'), 'foo_bar2');
  t.is(packageName('package main // the command\n'), 'main');
  t.is(packageName('package\tmain\n'), 'main');
  t.is(packageName('package main;\n'), 'main');
  t.is(packageName('package main'), 'main');
  t.is(packageName('package main\r\n\r\nfunc main() {}\r\n'), 'main');
});

test('packageName skips line comments, doc comments and blank lines before the clause', (t) => {
  const source = [
    '// Copyright 2026 The Authors. All rights reserved.',
    '',
    '// Command tool does things.',
    '//',
    '// package notthis is only text in a comment.',
    'package main',
    '',
    'import "fmt"',
  ].join('\n');
  t.is(packageName(source), 'main');
});

test('packageName skips block comments, including ones that mention another package', (t) => {
  t.is(packageName('/*\npackage fake\n*/\npackage real\n'), 'real');
  t.is(packageName('/* license */ package inline\n'), 'inline');
  t.is(packageName('/* a */ /* b\n */\n\n// c\npackage after\n'), 'after');
});

test('packageName skips build constraints before the clause', (t) => {
  t.is(packageName('//go:build linux && amd64\n// +build linux,amd64\n\npackage main\n'), 'main');
  t.is(packageName('//go:build ignore\n\npackage main\n'), 'main');
});

test('packageName is undefined when the first code is not a package clause', (t) => {
  t.is(packageName(''), undefined);
  t.is(packageName('// only a comment\n/* and another */\n'), undefined);
  t.is(packageName('import "fmt"\npackage main\n'), undefined);
  t.is(packageName('packagemain\n'), undefined);
  t.is(packageName('package 9lives\n'), undefined);
  t.is(packageName('Package main\n'), undefined);
});

// Regression test for a fixed bug (src/modules/go-source.ts): packageName strips /* ... */ before line comments, so a line comment that
// merely contains "/*" (a URL pattern, a glob) opens a "block comment" that runs to the next "*/" in the file
// and swallows the package clause. The go command reads this file as package main; airlock finds no package,
// so findMainPackages does not see the command.
test('packageName: "/*" inside a line comment does not open a block comment', (t) => {
  const source = ['// Command static serves /assets/* from the embedded files.', 'package main', '', '/* config */', 'func main() {}', ''].join('\n');
  t.is(packageName(source), 'main');
});

test('isIgnoredFile: a //go:build ignore line before the package clause', (t) => {
  t.true(isIgnoredFile('//go:build ignore\n\npackage main\n'));
  t.true(isIgnoredFile('// Copyright notice.\n\n//go:build ignore\n// +build ignore\n\npackage main\n'));
  t.true(isIgnoredFile('  //go:build   ignore  \npackage main\n'));
  t.true(isIgnoredFile('//go:build ignore && linux\npackage main\n'));
});

test('isIgnoredFile: other constraints, or none, do not exclude the file', (t) => {
  t.false(isIgnoredFile('package main\n'));
  t.false(isIgnoredFile('//go:build linux\n\npackage main\n'));
  t.false(isIgnoredFile('//go:build !ignore\n\npackage main\n'));
  t.false(isIgnoredFile('//go:build linux || ignore\n\npackage main\n'));
  t.false(isIgnoredFile('//go:build ignored\n\npackage main\n'));
  t.false(isIgnoredFile('//go:build ignore_me\n\npackage main\n'));
  t.false(isIgnoredFile('// go:build ignore\n\npackage main\n'), 'with a space it is an ordinary comment');
  t.false(isIgnoredFile(''));
});

test('isIgnoredFile: a constraint after the package clause does not count', (t) => {
  t.false(isIgnoredFile('package main\n\n//go:build ignore\n'));
});

test('binaryName: the last element of the import path', (t) => {
  t.is(binaryName('example.com/hello', '.'), 'hello');
  t.is(binaryName('example.com/tool', './cmd/x'), 'x');
  t.is(binaryName('example.com/tool', 'cmd/x'), 'x');
  t.is(binaryName('example.com/tool', './cmd/x/'), 'x');
  t.is(binaryName('github.com/org/repo', './cmd/repo-server'), 'repo-server');
  t.is(binaryName('hello', '.'), 'hello');
});

// Expected names checked against `go build` of go1.26.8 (exeFromImportPath / isVersionElement in cmd/go/internal/load).
test('binaryName skips a major-version suffix, like go build', (t) => {
  t.is(binaryName('example.com/tool/v2', '.'), 'tool');
  t.is(binaryName('example.com/tool/v9', '.'), 'tool');
  t.is(binaryName('example.com/tool/v2', './cmd/x'), 'x');
  t.is(binaryName('example.com/m', './cmd/v3'), 'cmd');
});

test('binaryName keeps elements that only look like versions', (t) => {
  t.is(binaryName('example.com/tool/v1', '.'), 'v1');
  t.is(binaryName('example.com/tool/v0', '.'), 'v0');
  t.is(binaryName('example.com/tool/v2beta', '.'), 'v2beta');
  t.is(binaryName('example.com/tool/version', '.'), 'version');
  t.is(binaryName('v2', '.'), 'v2', 'a path of one element is kept');
});

// Regression test for a fixed bug (src/modules/go-source.ts): go build treats every "v<N>" with N >= 2 as a version element, including
// v10 and up (a module example.com/tool/v10 builds a binary named "tool"; checked with go1.26.8). The regex
// /^v[2-9]\d*$/ misses every such element whose first digit is 1 (v10..v19, v100..v199, ...), so airlock
// names the output v10_linux_amd64 where go build writes tool.
test('binaryName skips /v10 .. /v19 like go build', (t) => {
  t.is(binaryName('example.com/tool/v10', '.'), 'tool');
  t.is(binaryName('example.com/m', './cmd/v12'), 'cmd');
});

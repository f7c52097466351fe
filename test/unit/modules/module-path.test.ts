/** The module cache's case escaping ("!" + lower-case letter) and the paths built from it. */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { downloadCachePath, escapeModulePath, extractedModuleDir, unescapeModulePath } from '../../../src/modules/module-path.js';
import { CLI_GO_SUM, extractCliModuleSet } from '../../helpers/cli-module-set.js';
import { goDownloadFromFileProxy } from '../../helpers/go-module-proxy.js';
import { execFileAsync } from '../../helpers/host-tools.js';
import { assertProperty } from '../../helpers/properties.js';

const PATH_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-'.split('');
const modulePathLike = fc.string({ unit: fc.constantFrom(...PATH_CHARS), maxLength: 40 });

test('escapeModulePath: the go command\'s documented example and friends', (t) => {
  t.is(escapeModulePath('github.com/BurntSushi/toml'), 'github.com/!burnt!sushi/toml');
  t.is(escapeModulePath('github.com/Azure/azure-sdk-for-go'), 'github.com/!azure/azure-sdk-for-go');
  t.is(escapeModulePath('github.com/google/uuid'), 'github.com/google/uuid');
  t.is(escapeModulePath('ABC'), '!a!b!c');
  t.is(escapeModulePath('v1.0.0-RC1'), 'v1.0.0-!r!c1');
  t.is(escapeModulePath(''), '');
});

test('unescapeModulePath undoes the examples', (t) => {
  t.is(unescapeModulePath('github.com/!burnt!sushi/toml'), 'github.com/BurntSushi/toml');
  t.is(unescapeModulePath('github.com/!azure/azure-sdk-for-go'), 'github.com/Azure/azure-sdk-for-go');
  t.is(unescapeModulePath('v1.0.0-!r!c1'), 'v1.0.0-RC1');
  t.is(unescapeModulePath('gopkg.in/check.v1'), 'gopkg.in/check.v1');
});

test('property: unescape(escape(p)) is p, and escape leaves no upper-case letter', (t) => {
  assertProperty(
    t,
    fc.property(modulePathLike, (p) => {
      const escaped = escapeModulePath(p);
      return unescapeModulePath(escaped) === p && !/[A-Z]/.test(escaped) && escaped.length === p.length + (p.match(/[A-Z]/g)?.length ?? 0);
    }),
  );
});

test('property: paths differing only in case escape differently (the point of the escaping)', (t) => {
  assertProperty(
    t,
    fc.property(modulePathLike, (p) => {
      const upper = p.toUpperCase();
      return (p === upper) === (escapeModulePath(p) === escapeModulePath(upper)) && escapeModulePath(p).toLowerCase() === escapeModulePath(p);
    }),
  );
});

test('property: escape(unescape(e)) is e for every escaped form', (t) => {
  assertProperty(
    t,
    fc.property(modulePathLike, (p) => {
      const escaped = escapeModulePath(p);
      return escapeModulePath(unescapeModulePath(escaped)) === escaped;
    }),
  );
});

test('downloadCachePath escapes both the path and the version', (t) => {
  t.is(downloadCachePath('github.com/BurntSushi/toml', 'v1.3.2', 'zip'), 'cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.zip');
  t.is(downloadCachePath('github.com/BurntSushi/toml', 'v1.3.2', 'mod'), 'cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.mod');
  t.is(downloadCachePath('github.com/BurntSushi/toml', 'v1.3.2', 'info'), 'cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.info');
  t.is(downloadCachePath('github.com/BurntSushi/toml', 'v1.3.2', 'ziphash'), 'cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.ziphash');
  t.is(downloadCachePath('example.com/Mod', 'v0.1.0-RC.1', 'zip'), 'cache/download/example.com/!mod/@v/v0.1.0-!r!c.1.zip');
  t.is(
    downloadCachePath('gopkg.in/check.v1', 'v0.0.0-20161208181325-20d25e280405', 'mod'),
    'cache/download/gopkg.in/check.v1/@v/v0.0.0-20161208181325-20d25e280405.mod',
  );
});

test('extractedModuleDir is <escaped path>@<escaped version>', (t) => {
  t.is(extractedModuleDir('github.com/BurntSushi/toml', 'v1.3.2'), 'github.com/!burnt!sushi/toml@v1.3.2');
  t.is(extractedModuleDir('github.com/spf13/cobra', 'v1.10.2'), 'github.com/spf13/cobra@v1.10.2');
  t.is(extractedModuleDir('example.com/Mod', 'v0.1.0-RC.1'), 'example.com/!mod@v0.1.0-!r!c.1');
});

test('downloadCachePath names the real files of the examples/cli module set', async (t) => {
  const root = await extractCliModuleSet(t);
  const modules = [...CLI_GO_SUM.keys()].filter((key) => key.endsWith('/go.mod')).map((key) => key.slice(0, -'/go.mod'.length).split(' '));
  t.is(modules.length, 9);
  for (const [modulePath, version] of modules) {
    await t.notThrowsAsync(fs.access(path.join(root, ...downloadCachePath(modulePath!, version!, 'mod').split('/'))), `${modulePath}@${version}`);
  }
  await t.notThrowsAsync(fs.access(path.join(root, ...downloadCachePath('github.com/spf13/cobra', 'v1.10.2', 'zip').split('/'))));
});

test('extractedModuleDir is the prefix of the entries in a real module zip (no upper case in these paths)', async (t) => {
  const root = await extractCliModuleSet(t);
  const zip = path.join(root, ...downloadCachePath('github.com/google/uuid', 'v1.6.0', 'zip').split('/'));
  const names = (await execFileAsync('unzip', ['-Z1', zip])).stdout.trim().split('\n');
  for (const name of names) t.true(name.startsWith(`${extractedModuleDir('github.com/google/uuid', 'v1.6.0')}/`), name);
});

test('the go command lays out a module with upper-case letters exactly where these functions say', async (t) => {
  const download = await goDownloadFromFileProxy(t, {
    path: 'example.com/UpperCase',
    version: 'v1.0.0-RC1',
    // Escaped by hand: if this were wrong, the go command would not find the module in the proxy.
    escapedPath: 'example.com/!upper!case',
    escapedVersion: 'v1.0.0-!r!c1',
    files: { 'go.mod': 'module example.com/UpperCase\n', 'u.go': 'package uppercase\n' },
  });
  const inCache = (rel: string) => path.join(download.modcache, ...rel.split('/'));
  t.is(download.Zip, inCache(downloadCachePath('example.com/UpperCase', 'v1.0.0-RC1', 'zip')));
  t.is(download.GoMod, inCache(downloadCachePath('example.com/UpperCase', 'v1.0.0-RC1', 'mod')));
  t.is(download.Info, inCache(downloadCachePath('example.com/UpperCase', 'v1.0.0-RC1', 'info')));
  await t.notThrowsAsync(fs.access(inCache(downloadCachePath('example.com/UpperCase', 'v1.0.0-RC1', 'ziphash'))));
  t.is(download.Dir, inCache(extractedModuleDir('example.com/UpperCase', 'v1.0.0-RC1')));
  // And back: the cache's directory names unescape to the module path and version.
  t.is(unescapeModulePath('example.com/!upper!case'), download.Path);
  t.is(unescapeModulePath('v1.0.0-!r!c1'), download.Version);
});

import test from 'ava';

import { compareWithManifest, formatReleaseManifest, parseReleaseManifest } from '../../../src/release/release-manifest.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

const RELEASE = [
  { name: 'go1.26.8/SHA256SUMS', sha256: A },
  { name: 'go1.26.8/tool_linux_amd64', sha256: B },
  { name: 'go1.27.3/SHA256SUMS', sha256: C },
  { name: 'go1.27.3/tool_linux_amd64', sha256: A },
  { name: 'SHA256SUMS.asc', sha256: B },
];

test('the manifest is sha256sum format, sorted, every file but itself and its own signatures (golden)', (t) => {
  const text = formatReleaseManifest([...RELEASE, { name: 'RELEASE-MANIFEST', sha256: C }, { name: 'RELEASE-MANIFEST.sig', sha256: C }, { name: 'RELEASE-MANIFEST.asc', sha256: C }]);
  t.is(
    text,
    [
      `${B}  SHA256SUMS.asc`,
      `${A}  go1.26.8/SHA256SUMS`,
      `${B}  go1.26.8/tool_linux_amd64`,
      `${C}  go1.27.3/SHA256SUMS`,
      `${A}  go1.27.3/tool_linux_amd64`,
      '',
    ].join('\n'),
  );
  t.deepEqual(parseReleaseManifest(text).map((entry) => entry.name), ['SHA256SUMS.asc', 'go1.26.8/SHA256SUMS', 'go1.26.8/tool_linux_amd64', 'go1.27.3/SHA256SUMS', 'go1.27.3/tool_linux_amd64']);
  t.throws(() => formatReleaseManifest([{ name: '../x', sha256: A }]));
  t.throws(() => parseReleaseManifest(`${A}  x\n${B}  x\n`), { message: /x is listed twice/ });
  t.throws(() => parseReleaseManifest(`${A}  ../../etc/passwd\n`), { message: /outside the release directory/ });
});

const present = (entries: ReadonlyArray<{ name: string; sha256: string }>) => new Map<string, string | undefined>(entries.map((entry) => [entry.name, entry.sha256]));

test('the release as it was made has no difference', (t) => {
  t.deepEqual(compareWithManifest(RELEASE, present(RELEASE)), []);
  t.deepEqual(compareWithManifest(RELEASE, present([...RELEASE, { name: 'RELEASE-MANIFEST.sig', sha256: A }])), [], 'its own signatures are no addition');
});

test('a whole toolchain directory removed is named once, as a directory', (t) => {
  const differences = compareWithManifest(RELEASE, present(RELEASE.filter((entry) => !entry.name.startsWith('go1.27.3/'))));
  t.deepEqual(differences, [{ kind: 'missing', path: 'go1.27.3/', detail: 'go1.27.3/ is missing: RELEASE-MANIFEST lists 2 files in it, none is there' }]);
});

test('a file added in a subdirectory, a new directory, an empty directory, a changed and a removed file are each named', (t) => {
  const tree = present([
    ...RELEASE.filter((entry) => entry.name !== 'SHA256SUMS.asc').map((entry) => (entry.name === 'go1.26.8/tool_linux_amd64' ? { ...entry, sha256: C } : entry)),
    { name: 'go1.27.3/extra', sha256: A },
    { name: 'go1.28.0/tool_linux_amd64', sha256: A },
    { name: 'go1.28.0/SHA256SUMS', sha256: A },
  ]);
  t.deepEqual(
    compareWithManifest(RELEASE, tree, ['empty']).map(({ kind, path }) => `${kind} ${path}`),
    ['changed go1.26.8/tool_linux_amd64', 'missing SHA256SUMS.asc', 'added go1.27.3/extra', 'added go1.28.0/', 'added empty/'],
  );
  const link = new Map(present(RELEASE));
  link.set('go1.26.8/tool_linux_amd64', undefined);
  t.deepEqual(compareWithManifest(RELEASE, link).map(({ kind, path }) => `${kind} ${path}`), ['changed go1.26.8/tool_linux_amd64']);
});

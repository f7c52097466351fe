import test from 'ava';

import {
  type ImageToolchain,
  SANDBOX_IMAGE_REPOSITORY,
  isImageToolchainFile,
  renderTemplate,
  sandboxImageSpec,
} from '../../../src/sandbox/image-spec.js';
import { loadSandboxTemplate } from '../../../src/sandbox/load-template.js';
import { LABEL_MANAGED, defaultSandboxPolicy } from '../../../src/sandbox/policy.js';

const TOOLCHAIN: ImageToolchain = {
  version: 'go1.26.8',
  goos: 'linux',
  goarch: 'amd64',
  treeDigest: 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=',
};
const POLICY = defaultSandboxPolicy(4);

const templatePromise = loadSandboxTemplate();

/** Dockerfile instructions: non-empty lines that are not comments, with the keyword upper-cased. */
function instructions(dockerfile: string): Array<{ keyword: string; rest: string }> {
  return dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), rest: rest.join(' ') };
    });
}

test('renderTemplate replaces every placeholder, each time it occurs', (t) => {
  t.is(renderTemplate('{{A}}-{{B_C}}-{{A}}', { A: 'x', B_C: 'y' }), 'x-y-x');
  t.is(renderTemplate('no placeholders', {}), 'no placeholders');
  t.is(renderTemplate('', { A: 'unused' }), '');
});

test('renderTemplate inserts values literally', (t) => {
  t.is(renderTemplate('[{{V}}]', { V: "$& $1 $$ $` $'" }), "[$& $1 $$ $` $']");
  t.is(renderTemplate('{{V}}', { V: '{{W}}' }), '{{W}}', 'a value is not rendered again');
});

test('renderTemplate throws on a placeholder without a value, naming it', (t) => {
  t.throws(() => renderTemplate('FROM {{IMAGE}}', { GO_VERSION: 'go1.26.8' }), { message: 'template placeholder {{IMAGE}} has no value' });
  t.throws(() => renderTemplate('{{A}} {{MISSING}}', { A: 'a' }), { message: 'template placeholder {{MISSING}} has no value' });
});

test('renderTemplate leaves text that is not a placeholder alone', (t) => {
  t.is(renderTemplate('{{lower}} {A} {{ A }} ${A}', { A: 'x' }), '{{lower}} {A} {{ A }} ${A}');
});

test('the sandbox Dockerfile rendered from the real template (golden)', async (t) => {
  const spec = sandboxImageSpec(await templatePromise, TOOLCHAIN, POLICY);
  t.snapshot(spec.dockerfile, 'Dockerfile');
  t.snapshot(spec.passwd, 'etc/passwd');
  t.snapshot(spec.group, 'etc/group');
  t.snapshot({ tag: spec.tag, templateDigest: spec.templateDigest, labels: spec.labels }, 'tag, digest and labels');
});

test('the Dockerfile starts with a comment, and FROM scratch is its first instruction', async (t) => {
  const { dockerfile } = sandboxImageSpec(await templatePromise, TOOLCHAIN, POLICY);
  t.true(dockerfile.startsWith('#'));
  const list = instructions(dockerfile);
  t.deepEqual(list[0], { keyword: 'FROM', rest: 'scratch' });
  t.is(list.filter((instruction) => instruction.keyword === 'FROM').length, 1, 'a single stage');
});

test('the Dockerfile runs nothing: no RUN, no shell-form instruction', async (t) => {
  const { dockerfile } = sandboxImageSpec(await templatePromise, TOOLCHAIN, POLICY);
  const keywords = instructions(dockerfile).map((instruction) => instruction.keyword);
  t.false(keywords.includes('RUN'));
  t.false(keywords.includes('ONBUILD'));
  t.false(keywords.includes('ADD'), 'ADD could fetch URLs; COPY only copies the context');
  t.false(keywords.includes('SHELL'));
  t.true(keywords.includes('COPY'), 'sanity: instructions were found at all');
});

test('every placeholder of the real template is filled in', async (t) => {
  const spec = sandboxImageSpec(await templatePromise, TOOLCHAIN, POLICY);
  for (const text of [spec.dockerfile, spec.passwd, spec.group]) t.false(text.includes('{{'), text);
  t.true(spec.dockerfile.includes('go1.26.8'));
  t.true(spec.dockerfile.includes(TOOLCHAIN.treeDigest));
  t.regex(spec.dockerfile, /^USER 65534:65534$/m);
  t.regex(spec.passwd, /^airlock:x:65534:65534:/m);
  t.regex(spec.group, /^airlock:x:65534:$/m);
});

test('the tag names the repository and Go version and ends in 16 hex digits', async (t) => {
  const spec = sandboxImageSpec(await templatePromise, TOOLCHAIN, POLICY);
  t.regex(spec.tag, new RegExp(`^${SANDBOX_IMAGE_REPOSITORY}:go1\\.26\\.8-[0-9a-f]{16}$`));
  t.regex(spec.templateDigest, /^sha256:[0-9a-f]{64}$/);
  t.deepEqual(spec.labels, {
    [LABEL_MANAGED]: 'true',
    'airlock.toolchain.version': 'go1.26.8',
    'airlock.toolchain.digest': TOOLCHAIN.treeDigest,
    'airlock.template.digest': spec.templateDigest,
  });
  t.is(spec.toolchain, TOOLCHAIN);
});

test('the same inputs always give the same tag', async (t) => {
  const template = await templatePromise;
  const a = sandboxImageSpec(template, TOOLCHAIN, POLICY);
  const b = sandboxImageSpec({ ...template }, { ...TOOLCHAIN }, defaultSandboxPolicy(4));
  t.is(a.tag, b.tag);
  t.is(a.templateDigest, b.templateDigest);
  t.is(a.dockerfile, b.dockerfile);
});

test('the CPU count of the policy does not change the image', async (t) => {
  const template = await templatePromise;
  t.is(sandboxImageSpec(template, TOOLCHAIN, defaultSandboxPolicy(1)).tag, sandboxImageSpec(template, TOOLCHAIN, defaultSandboxPolicy(64)).tag);
});

test('a different toolchain digest gives a different tag', async (t) => {
  const template = await templatePromise;
  const a = sandboxImageSpec(template, TOOLCHAIN, POLICY);
  const b = sandboxImageSpec(template, { ...TOOLCHAIN, treeDigest: 'h1:r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs=' }, POLICY);
  t.not(a.tag, b.tag);
  t.true(b.tag.startsWith(`${SANDBOX_IMAGE_REPOSITORY}:go1.26.8-`), 'still the same version prefix');
});

test('different template text gives a different template digest and tag', async (t) => {
  const template = await templatePromise;
  const base = sandboxImageSpec(template, TOOLCHAIN, POLICY);
  const variants = [
    { ...template, dockerfile: `${template.dockerfile}LABEL extra=1\n` },
    { ...template, dockerfile: template.dockerfile.replace('# airlock', '#  airlock') },
    { ...template, passwd: `${template.passwd}nobody:x:1:1::/:/nonexistent\n` },
    { ...template, group: template.group.replace('airlock:', 'builders:') },
  ];
  const tags = new Set([base.tag]);
  for (const variant of variants) {
    const spec = sandboxImageSpec(variant, TOOLCHAIN, POLICY);
    t.not(spec.templateDigest, base.templateDigest);
    tags.add(spec.tag);
  }
  t.is(tags.size, variants.length + 1, 'every variant has its own tag');
});

test('a different uid changes the rendered files and the tag', async (t) => {
  const template = await templatePromise;
  const other = sandboxImageSpec(template, TOOLCHAIN, { ...POLICY, uid: 1000, gid: 1000 });
  t.not(other.tag, sandboxImageSpec(template, TOOLCHAIN, POLICY).tag);
  t.regex(other.dockerfile, /^USER 1000:1000$/m);
});

test('isImageToolchainFile leaves out tests and test data under src/ only', (t) => {
  for (const kept of [
    'bin/go',
    'pkg/tool/linux_amd64/compile',
    'src/fmt/print.go',
    'src/go.mod',
    'src/cmd/go/internal/test/test.go',
    'src/testing/testing.go',
    'src/internal/testenv/testenv.go',
    'src/cmd/go/testdata.go',
    'VERSION',
    'lib/time/zoneinfo.zip',
    'pkg/include/textflag.h',
    'misc/wasm/wasm_exec.js',
    'test/bench/go1_test.go',
    'lib/testdata/x',
  ]) {
    t.true(isImageToolchainFile(kept), kept);
  }
  for (const dropped of ['src/fmt/fmt_test.go', 'src/cmd/go/testdata/script/build.txt', 'src/debug/elf/testdata/gcc-amd64-linux-exec', 'src/a/b/testdata/c/d']) {
    t.false(isImageToolchainFile(dropped), dropped);
  }
});

import test from 'ava';
import fs from 'node:fs/promises';
import path from 'node:path';

import { checkStaticExecutable } from '../../../src/binary/static-check.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import {
  assertToolchainRunsHere,
  buildFileHelper,
  fileHelperBuildArguments,
  fileHelperBuildEnvironment,
  fileHelperSourceDir,
} from '../../../src/sandbox/file-helper.js';
import { hostPlatform } from '../../../src/plan/host-platform.js';
import { goEnv, hostGoVersion, hostGoroot, run, tempDir } from '../../helpers/host-tools.js';

const [hostGoos, hostGoarch] = hostPlatform(process.platform, process.arch).split('/') as [string, string];

async function hostToolchain() {
  return { goroot: await hostGoroot(), version: await hostGoVersion(), goos: hostGoos, goarch: hostGoarch };
}

test.serial('the helper\'s own Go tests pass (its refusals, its end-marker and idle behaviour)', async (t) => {
  const cache = await tempDir(t);
  const result = await run('go', ['test', '-count=1', '.'], {
    cwd: fileHelperSourceDir(),
    env: { ...goEnv, GOFLAGS: '-mod=mod', GOCACHE: path.join(cache, 'gocache'), GOPATH: path.join(cache, 'gopath') },
  });
  t.is(result.code, 0, `${result.stdout}${result.stderr}`);
});

test.serial('buildFileHelper makes the same static Linux executable twice, whatever the caller\'s environment holds', async (t) => {
  const toolchain = await hostToolchain();
  // Inherited, these would break the build or change its bytes; the build must not see them.
  const saved = { GOFLAGS: process.env.GOFLAGS, GOAMD64: process.env.GOAMD64, GOEXPERIMENT: process.env.GOEXPERIMENT };
  Object.assign(process.env, { GOFLAGS: '-mod=vendor -race', GOAMD64: 'v3', GOEXPERIMENT: 'nosuchexperiment' });
  t.teardown(() => {
    for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
  });
  const first = await buildFileHelper({ toolchain, target: { goos: 'linux', goarch: hostGoarch }, scratchDir: await tempDir(t) });
  const second = await buildFileHelper({ toolchain, target: { goos: 'linux', goarch: hostGoarch }, scratchDir: await tempDir(t) });
  t.is(first.sha256, second.sha256);
  t.regex(first.sha256, /^[0-9a-f]{64}$/);
  t.is(first.sourceDigest, second.sourceDigest);
  const bytes = await fs.readFile(first.path);
  t.is(bytes.length, first.size);
  t.deepEqual(checkStaticExecutable(bytes), { format: 'elf', static: true });
  t.log(`file helper ${first.sha256} (${first.size} bytes) built with ${toolchain.version}`);
});

test.serial('buildFileHelper cross-compiles for another architecture with the host\'s toolchain', async (t) => {
  const other = hostGoarch === 'arm64' ? 'amd64' : 'arm64';
  const helper = await buildFileHelper({ toolchain: await hostToolchain(), target: { goos: 'linux', goarch: other }, scratchDir: await tempDir(t) });
  t.deepEqual(checkStaticExecutable(await fs.readFile(helper.path)), { format: 'elf', static: true });
});

test('a toolchain this host cannot run is refused with a typed error and a hint', (t) => {
  const toolchain = { goroot: '/nonexistent', version: 'go1.26.8', goos: 'linux', goarch: 'arm64' };
  const error = t.throws(() => assertToolchainRunsHere(toolchain, { platform: 'linux', arch: 'x64' }), { instanceOf: InputError });
  t.is(error?.exitCode, ExitCode.badInput);
  t.is(error?.message, 'the toolchain go1.26.8 linux/arm64 cannot run on this linux/amd64 host to build the file helper');
  t.regex(error?.hint ?? '', /import go1\.26\.8 for linux\/amd64/);
  t.notThrows(() => assertToolchainRunsHere(toolchain, { platform: 'linux', arch: 'arm64' }));
});

test('the build command and environment are fixed and complete', (t) => {
  t.deepEqual(fileHelperBuildArguments('/o/file-helper'), ['build', '-trimpath', '-buildvcs=false', '-ldflags=-s -w -buildid=', '-o', '/o/file-helper', '.']);
  const env = fileHelperBuildEnvironment(
    { toolchain: { goroot: '/store/go', version: 'go1.26.8', goos: 'linux', goarch: 'amd64' }, target: { goos: 'linux', goarch: 'arm64' }, scratchDir: '/s' },
    { home: '/s/home', gocache: '/s/gocache', gopath: '/s/gopath', tmp: '/s/tmp' },
  );
  t.like(env, { PATH: '/store/go/bin', GOROOT: '/store/go', CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'arm64', GOTOOLCHAIN: 'local', GOPROXY: 'off', GOFLAGS: '-mod=mod', GOWORK: 'off', GOCACHE: '/s/gocache' });
});

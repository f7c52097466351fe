/**
 * Builds small real Go programs with the host toolchain, once per test process, for tests that inspect
 * executables. Every build runs in a fresh temporary module with the toolchain pinned and the network off,
 * so results depend only on the host Go and its build cache.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface GoFixtureSpec {
  goos: string;
  goarch: string;
  cgo: boolean;
}

export const GO_FIXTURES = {
  'linux-amd64': { goos: 'linux', goarch: 'amd64', cgo: false },
  'linux-arm64': { goos: 'linux', goarch: 'arm64', cgo: false },
  'windows-amd64': { goos: 'windows', goarch: 'amd64', cgo: false },
  'darwin-arm64': { goos: 'darwin', goarch: 'arm64', cgo: false },
  'linux-amd64-cgo': { goos: 'linux', goarch: 'amd64', cgo: true },
  // The next three cover the other header layouts: 32-bit ELF, big-endian ELF and PE32.
  'linux-386': { goos: 'linux', goarch: '386', cgo: false },
  'linux-s390x': { goos: 'linux', goarch: 's390x', cgo: false },
  'windows-386': { goos: 'windows', goarch: '386', cgo: false },
} as const satisfies Record<string, GoFixtureSpec>;

export type GoFixtureName = keyof typeof GO_FIXTURES;

export interface GoBinary extends GoFixtureSpec {
  name: GoFixtureName;
  bytes: Buffer;
}

/** Module path of the fixture's main module, and of the dependency it replaces with a local directory. */
export const FIXTURE_MODULE = 'example.com/airlockfixture';
export const FIXTURE_DEPENDENCY = 'example.com/greet';
/** Passed as -gcflags so the build info holds a setting whose value Go must quote. */
export const FIXTURE_GCFLAGS = '-N -l';

const GO_ENV = { GOTOOLCHAIN: 'local', GOFLAGS: '-trimpath', GOPROXY: 'off', GOWORK: 'off' };

const builds = new Map<GoFixtureName, Promise<GoBinary>>();

export function goBinary(name: GoFixtureName): Promise<GoBinary> {
  let build = builds.get(name);
  if (build === undefined) {
    build = sharedFixture(name);
    builds.set(name, build);
  }
  return build;
}

/**
 * Several test files (each its own process) ask for the same fixtures at once; each fixture is built by the
 * first of them and kept, under a key of everything the build depends on, in a per-user directory, where the
 * others wait for it. The unit tests then cold-compile each target's standard library once instead of once per
 * file (CI time); the bytes are the same, since the build is reproducible.
 */
async function sharedFixture(name: GoFixtureName): Promise<GoBinary> {
  const spec: GoFixtureSpec = GO_FIXTURES[name];
  const key = createHash('sha256')
    .update(JSON.stringify({ name, spec, go: await hostGoVersion(), env: GO_ENV, gcflags: FIXTURE_GCFLAGS, sources: [mainWithoutCgo, mainWithCgo, FIXTURE_MODULE, FIXTURE_DEPENDENCY] }))
    .digest('hex')
    .slice(0, 32);
  const dir = path.join(os.tmpdir(), `airlock-go-fixtures-${process.getuid?.() ?? 'user'}`);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}-${key}.bin`);
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    const kept = await fs.readFile(file).catch(() => undefined);
    if (kept) return { name, ...spec, bytes: kept };
    const locked = await fs.mkdir(lock).then(() => true, () => false);
    if (locked) {
      try {
        const built = await buildFixture(name);
        const partial = `${file}.${process.pid}.partial`;
        await fs.writeFile(partial, built.bytes);
        await fs.rename(partial, file);
        return built;
      } finally {
        await fs.rm(lock, { recursive: true, force: true });
      }
    }
    // A lock older than any build is left over from a process that died: take it over.
    const age = await fs.stat(lock).then((stat) => Date.now() - stat.mtimeMs, () => 0);
    if (age > 6 * 60 * 1000) await fs.rm(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`timed out waiting for another test process to build the ${name} Go fixture (${lock})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let goVersion: Promise<string> | undefined;

/** `go env GOVERSION` of the host toolchain, e.g. "go1.26.8". */
export function hostGoVersion(): Promise<string> {
  goVersion ??= execFileAsync('go', ['env', 'GOVERSION'], { env: { ...process.env, ...GO_ENV } }).then(({ stdout }) =>
    stdout.trim(),
  );
  return goVersion;
}

const mainWithoutCgo = `package main

import (
	"fmt"

	"${FIXTURE_DEPENDENCY}"
)

func main() { fmt.Println(greet.Hello()) }
`;

const mainWithCgo = `package main

// static int add(int a, int b) { return a + b; }
import "C"

import (
	"fmt"

	"${FIXTURE_DEPENDENCY}"
)

func main() { fmt.Println(greet.Hello(), C.add(1, 2)) }
`;

async function buildFixture(name: GoFixtureName): Promise<GoBinary> {
  const spec: GoFixtureSpec = GO_FIXTURES[name];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `airlock-go-${name}-`));
  try {
    await fs.mkdir(path.join(dir, 'greet'));
    await fs.writeFile(path.join(dir, 'greet', 'go.mod'), `module ${FIXTURE_DEPENDENCY}\n\ngo 1.22\n`);
    await fs.writeFile(path.join(dir, 'greet', 'greet.go'), 'package greet\n\nfunc Hello() string { return "hello" }\n');
    await fs.writeFile(
      path.join(dir, 'go.mod'),
      `module ${FIXTURE_MODULE}\n\ngo 1.22\n\nrequire ${FIXTURE_DEPENDENCY} v0.0.0\n\nreplace ${FIXTURE_DEPENDENCY} => ./greet\n`,
    );
    await fs.writeFile(path.join(dir, 'main.go'), spec.cgo ? mainWithCgo : mainWithoutCgo);
    const output = path.join(dir, 'fixture.bin');
    try {
      await execFileAsync('go', ['build', `-gcflags=${FIXTURE_GCFLAGS}`, '-o', output, '.'], {
        cwd: dir,
        env: {
          ...process.env,
          ...GO_ENV,
          GOOS: spec.goos,
          GOARCH: spec.goarch,
          CGO_ENABLED: spec.cgo ? '1' : '0',
        },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 5 * 60 * 1000,
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`building the ${name} Go fixture failed: ${stderr || String(error)}`);
    }
    return { name, ...spec, bytes: await fs.readFile(output) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Builds small real Go programs with the host toolchain, once per test process, for tests that inspect
 * executables. Every build runs in a fresh temporary module with the toolchain pinned and the network off,
 * so results depend only on the host Go and its build cache.
 */
import { execFile } from 'node:child_process';
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
    build = buildFixture(name);
    builds.set(name, build);
  }
  return build;
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

/**
 * A Go toolchain whose `go` misbehaves on purpose (test/fixtures/hostile-go), for the tests of what airlock
 * guarantees when a build container hands back hostile output, hangs or runs out of memory. The fixture is
 * compiled statically with the host's go into bin/go of a minimal fake GOROOT (what `airlock toolchain
 * import --goroot` reads: VERSION, pkg/tool/<goos>_<goarch>/ and the port list), which is imported on trust
 * into a store (AIRLOCK_HOME) of its own, so it can never be picked for another test's build.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { privateHome, repoRoot, runAirlock } from './airlock-run.js';

/** A release that does not exist, so the fake is never mistaken for a real toolchain. */
export const HOSTILE_GO_VERSION = 'go1.99.0';
export const HOSTILE_GO_SOURCE = path.join(repoRoot, 'test', 'fixtures', 'hostile-go');
/** The file in the module's root that tells the fake go what to do (see test/fixtures/hostile-go/main.go). */
export const HOSTILE_MODE_FILE = 'hostile-mode';
/** The ports the fake toolchain declares; its "ok" output is the host's executable whatever the target. */
export const HOSTILE_PORTS = ['linux/amd64', 'linux/arm64'];

async function hostGoEnv(name: string): Promise<string> {
  return (await execa('go', ['env', name], { env: { GOTOOLCHAIN: 'local' } })).stdout.trim();
}

/**
 * Compiles the fixture to `output`: static (no cgo) and with no build ID or VCS stamp, so the same host go
 * gives the same bytes, the same toolchain digest and so the same sandbox image every time.
 */
export async function buildHostileGo(output: string): Promise<void> {
  await execa('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', output, '.'], {
    cwd: HOSTILE_GO_SOURCE,
    env: { CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '', GOPROXY: 'off', GOWORK: 'off' },
  });
}

/** Writes a fake GOROOT holding the hostile go under `dir`, and returns it. */
export async function makeHostileGoroot(dir: string): Promise<string> {
  const goroot = path.join(dir, 'goroot');
  const [goos, goarch] = await Promise.all([hostGoEnv('GOOS'), hostGoEnv('GOARCH')]);
  await fs.mkdirp(path.join(goroot, 'bin'));
  await buildHostileGo(path.join(goroot, 'bin', 'go'));
  // A sandbox worker idles on the toolchain's gofmt; here it is the same program, which knows its name.
  await fs.copy(path.join(goroot, 'bin', 'go'), path.join(goroot, 'bin', 'gofmt'));
  await fs.writeFile(path.join(goroot, 'VERSION'), `${HOSTILE_GO_VERSION}\ntime 2099-01-01T00:00:00Z\n`);
  // The store copies files, not directories: the tool directory, which names the platform, needs one.
  await fs.outputFile(path.join(goroot, 'pkg', 'tool', `${goos}_${goarch}`, 'README'), 'hostile-go has no tools\n');
  const ports = [...new Set([...HOSTILE_PORTS, `${goos}/${goarch}`])].map((port) => {
    const [portOs, portArch] = port.split('/');
    return `\t{"${portOs}", "${portArch}"},`;
  });
  await fs.outputFile(
    path.join(goroot, 'src', 'internal', 'platform', 'zosarch.go'),
    `// A fake port list for hostile-go.\n\npackage platform\n\nvar List = []OSArch{\n${ports.join('\n')}\n}\n`,
  );
  return goroot;
}

let homeReady: Promise<string> | undefined;

/** An AIRLOCK_HOME holding only the hostile toolchain (made once per test process). */
export function hostileHome(): Promise<string> {
  homeReady ??= (async () => {
    const home = await privateHome();
    const goroot = await makeHostileGoroot(await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-hostile-goroot-')));
    const result = await runAirlock(['toolchain', 'import', '--goroot', goroot, '--trust-on-first-use'], { env: { AIRLOCK_HOME: home } });
    if (result.exitCode !== 0) throw new Error(`importing the hostile toolchain failed: ${result.stderr}`);
    await fs.remove(path.dirname(goroot));
    return home;
  })();
  return homeReady;
}

/**
 * A module of its own in a fresh temporary directory (the module is its only entry, so anything written
 * beside it shows), with the fake go's mode and, when given, an airlock.json.
 */
export async function hostileModule(mode: string, config?: object): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-hostile-'));
  const module = path.join(dir, 'hostile');
  await fs.mkdirp(module);
  await fs.writeFile(path.join(module, 'go.mod'), 'module example.com/hostile\n\ngo 1.22\n');
  await fs.writeFile(path.join(module, 'main.go'), 'package main\n\nfunc main() {}\n');
  await setHostileMode(module, mode, config);
  return module;
}

/** Sets the fake go's mode, and airlock.json (removed when no config is given). */
export async function setHostileMode(module: string, mode: string, config?: object): Promise<void> {
  await fs.writeFile(path.join(module, HOSTILE_MODE_FILE), `${mode}\n`);
  const configFile = path.join(module, 'airlock.json');
  if (config === undefined) await fs.remove(configFile);
  else await fs.writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
}

import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { buildSetting, readGoBuildInfo } from '../../src/binary/go-buildinfo.js';
import { assertCleanFailure, copyModule, ensureToolchains, integration, runAirlock } from '../helpers/airlock-cli.js';

interface PlanJson {
  layout: string;
  toolchains: Array<{ version: string; digest: string; verification: string; image: string }>;
  jobs: Array<{ toolchain: string; target: string; goos: string; goarch: string; output: string; package: string }>;
}

const TARGETS = ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'];

integration('toolchains ">=1.26" and four targets: the plan and the build give the 8-binary matrix from pinned toolchains', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  await fs.writeFile(path.join(module, 'airlock.json'), JSON.stringify({ toolchains: '>=1.26', targets: TARGETS }, null, 2));

  const planText = await runAirlock(['plan', module]);
  t.is(planText.exitCode, 0, planText.stderr);
  t.regex(planText.stdout, /^TOOLCHAIN\s+TARGET\s+PACKAGE\s+OUTPUT\s+IMAGE$/m);
  t.regex(planText.stdout, /^go1\.27\.3\s+windows\/amd64\s+\.\s+go1\.27\.3\/hello_windows_amd64\.exe\s+airlock-sandbox:go1\.27\.3-[0-9a-f]{16}$/m);
  const planJson = await runAirlock(['plan', module, '--json']);
  const plan = JSON.parse(planJson.stdout) as PlanJson;
  t.is(plan.layout, 'per-toolchain');
  t.deepEqual(plan.toolchains.map((toolchain) => [toolchain.version, toolchain.verification]), [
    ['go1.26.8', 'pinned'],
    ['go1.27.3', 'pinned'],
  ]);
  t.is(plan.jobs.length, 8);

  // --cache: the matrix is the point here, not a cold compile of 8 targets (CI time).
  const build = await runAirlock(['build', module, '--cache']);
  t.is(build.exitCode, 0, build.stderr);
  const dist = path.join(module, 'dist');
  t.deepEqual((await fs.readdir(dist)).sort(), ['RELEASE-MANIFEST', 'go1.26.8', 'go1.27.3']);
  for (const version of ['go1.26.8', 'go1.27.3']) {
    const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: path.join(dist, version) });
    t.is(check.stdout.split('\n').filter((line) => line.endsWith(': OK')).length, 4, version);
  }
  // Every binary's own build info matches its row of the plan.
  for (const job of plan.jobs) {
    const bytes = await fs.readFile(path.join(dist, job.output));
    const info = readGoBuildInfo(bytes);
    t.is(info?.goVersion, job.toolchain, job.output);
    t.is(buildSetting(info!, 'GOOS'), job.goos, job.output);
    t.is(buildSetting(info!, 'GOARCH'), job.goarch, job.output);
    t.is(buildSetting(info!, 'CGO_ENABLED'), '0', job.output);
  }
  const native = await execa(path.join(dist, 'go1.27.3', 'hello_linux_amd64'));
  t.is(native.stdout.trim(), 'hello from a hermetic airlock build');
});

integration('a module whose go.mod says go 1.27 is never built with go1.26.8', async (t) => {
  await ensureToolchains();
  const module = await copyModule('test/fixtures/modules/needs-go127');
  const result = await runAirlock(['build', module, '--cache', '--go', '>=1.26', '--target', 'linux/amd64']);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stderr, /go1\.26\.8 is not used: go\.mod requires go 1\.27 or later/);
  t.deepEqual((await fs.readdir(path.join(module, 'dist'))).sort(), ['RELEASE-MANIFEST', 'SHA256SUMS', 'modern_linux_amd64', 'modern_linux_amd64.intoto.jsonl']);
  const info = readGoBuildInfo(await fs.readFile(path.join(module, 'dist', 'modern_linux_amd64')));
  t.is(info?.goVersion, 'go1.27.3');

  const forced = await runAirlock(['build', module, '--cache', '--go', '1.26.8', '--out', path.join(path.dirname(module), 'forced')]);
  assertCleanFailure(t, forced, 2, /the module requires go 1\.27 or later, and the selected toolchains \(go1\.26\.8\) are all older/);
  t.false(await fs.pathExists(path.join(path.dirname(module), 'forced')));
});

integration('a target one of the toolchains lacks, a range that matches nothing and a bad airlock.json are refused up front', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const mips = await runAirlock(['plan', module, '--go', '>=1.26', '--target', 'windows/mips']);
  assertCleanFailure(t, mips, 2, /unknown target windows\/mips: go1\.26\.8 has no port windows\/mips; windows targets of go1\.26\.8: windows\/386, windows\/amd64, windows\/arm64/);
  const nothing = await runAirlock(['plan', module, '--go', '>=1.99']);
  assertCleanFailure(t, nothing, 2, /toolchains: ">=1\.99" matches no Go release airlock knows \(known: go1\.26\.0, .*go1\.27\.3\)/);
  await fs.writeFile(path.join(module, 'airlock.json'), JSON.stringify({ targets: ['linux/amd64', 'linux-arm64'] }));
  const badConfig = await runAirlock(['build', module]);
  assertCleanFailure(t, badConfig, 2, /airlock\.json: targets\[1\]: must match pattern/);
  await fs.writeFile(path.join(module, 'airlock.json'), '{"toolchain": "1.26.8"}');
  const unknownField = await runAirlock(['build', module]);
  assertCleanFailure(t, unknownField, 2, /airlock\.json: toolchain: unknown field/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
});

import test from 'ava';
import { execa } from 'execa';

import { COMMAND_INDEX, selectedCommand } from '../../../src/cli/command-index.js';
import { cliPath } from '../../helpers/airlock-run.js';

test('selectedCommand: the first word that is not a flag, when it names a command', (t) => {
  t.is(selectedCommand(['--debug', 'build', 'examples/cli']), 'build');
  t.is(selectedCommand(['plan', '--format=json']), 'plan');
  t.is(selectedCommand(['modules', 'pack', '.']), 'modules');
  t.is(selectedCommand(['--version']), undefined);
  t.is(selectedCommand(['--help']), undefined);
  t.is(selectedCommand(['biuld']), undefined);
  t.is(selectedCommand([]), undefined);
});

// A hook that reports every package the process resolves, so the test sees what a command really loads.
const PACKAGE_TRACE = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`export async function resolve(specifier, context, next) {
  if (!/^(\\\\.|node:|file:|data:)/.test(specifier)) process.stderr.write('loaded-package ' + specifier + '\\\\n');
  return next(specifier, context);
}\`));`)}`;

async function packagesLoadedBy(args: string[]): Promise<{ packages: Set<string>; stdout: string; exitCode: number | undefined }> {
  const result = await execa('node', ['--import', PACKAGE_TRACE, cliPath, ...args], { reject: false, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
  const packages = new Set(
    result.stderr
      .split('\n')
      .filter((line) => line.startsWith('loaded-package '))
      .map((line) => line.slice('loaded-package '.length)),
  );
  return { packages, stdout: result.stdout, exitCode: result.exitCode };
}

test('--version loads no package at all, and --help lists every command without loading any', async (t) => {
  const version = await packagesLoadedBy(['--version']);
  t.regex(version.stdout, /^\d+\.\d+\.\d+/);
  t.deepEqual([...version.packages], []);
  const help = await packagesLoadedBy(['--help']);
  t.is(help.exitCode, 0);
  for (const entry of COMMAND_INDEX) t.true(help.stdout.includes(`airlock ${entry.usage}`), `--help lists ${entry.usage}`);
  for (const heavy of ['dockerode', 'execa', 'fs-extra', 'tar-stream', 'sm-crypto-v2']) t.false(help.packages.has(heavy), `--help loads ${heavy}`);
});

test('plan and verify never load the engine client; build loads it only when it connects', async (t) => {
  for (const args of [['plan', '--help'], ['verify', '--help'], ['build', '--help']]) {
    const run = await packagesLoadedBy(args);
    t.is(run.exitCode, 0, args.join(' '));
    t.true(run.stdout.includes(`airlock ${args[0]}`), `${args[0]} --help shows its own usage`);
    t.false(run.packages.has('dockerode'), `${args.join(' ')} loads dockerode`);
  }
});

test('each command, once loaded, registers the usage and description the index gives --help', async (t) => {
  for (const entry of COMMAND_INDEX) {
    const run = await packagesLoadedBy([entry.name, '--help']);
    t.is(run.exitCode, 0, entry.name);
    t.true(run.stdout.includes(`airlock ${entry.usage}`), `${entry.name} --help: ${run.stdout.slice(0, 200)}`);
  }
});

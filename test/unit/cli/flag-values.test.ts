import test from 'ava';

import { attachFlagValues, parseJobs } from '../../../src/cli/flag-values.js';
import { ExitCode, InputError } from '../../../src/errors.js';

test('--ldflags takes the next argument as its value even when it starts with -, as go build does', (t) => {
  t.deepEqual(attachFlagValues(['build', '--ldflags', '-s -w', 'examples/hello']), ['build', '--ldflags=-s -w', 'examples/hello']);
  t.deepEqual(attachFlagValues(['plan', '--ldflags', '-X main.version=1.0', '--ldflags', '-s']), ['plan', '--ldflags=-X main.version=1.0', '--ldflags=-s']);
  t.deepEqual(attachFlagValues(['build', '--tags', 'netgo,osusergo', '.']), ['build', '--tags=netgo,osusergo', '.']);
  t.deepEqual(attachFlagValues(['build', '--ldflags', '--tags']), ['build', '--ldflags=--tags'], 'the value is the next argument, whatever it is');
  t.deepEqual(attachFlagValues(['build', '--ldflags', '']), ['build', '--ldflags=']);
});

test('arguments that are already joined, other flags and everything after -- are left as they are', (t) => {
  const argv = ['build', '--ldflags=-s -w', '--target', 'linux/arm64', '--jobs', '2', '.'];
  t.deepEqual(attachFlagValues(argv), argv);
  t.deepEqual(attachFlagValues(['build', '--', '--ldflags', '-s']), ['build', '--', '--ldflags', '-s']);
  t.deepEqual(attachFlagValues([]), []);
});

test('--ldflags or --tags without a value is bad input, with how to write it', (t) => {
  for (const argv of [['build', '--ldflags'], ['plan', '.', '--tags'], ['build', '--ldflags', '--']]) {
    const error = t.throws(() => attachFlagValues(argv), { instanceOf: InputError }, argv.join(' '));
    t.is(error?.exitCode, ExitCode.badInput);
    t.regex(error?.message ?? '', /^--(ldflags|tags) needs a value$/);
    t.truthy(error?.hint);
  }
});

test('--jobs is a positive whole number; absent means the default', (t) => {
  t.is(parseJobs(undefined), undefined);
  t.is(parseJobs('1'), 1);
  t.is(parseJobs('16'), 16);
  t.is(parseJobs(' 4 '), 4);
});

test('--jobs that is not a positive whole number is bad input before anything starts', (t) => {
  for (const value of ['abc', '0', '-1', '1.5', '', '1e3', 'NaN', 'Infinity', '99999999999999999999', '0x10']) {
    const error = t.throws(() => parseJobs(value), { instanceOf: InputError }, value);
    t.is(error?.exitCode, ExitCode.badInput);
    t.regex(error?.message ?? '', /^--jobs .+ is not a positive whole number$/, value);
  }
  t.throws(() => parseJobs(['2', '3']), { instanceOf: InputError, message: '--jobs is given more than once' });
});

import test from 'ava';

import { renderError, usageErrorMessage } from '../../../src/cli/error-output.js';
import { BuildError, EngineError, ExitCode, InputError, InterruptedError, VerificationError } from '../../../src/errors.js';

const inputError = () =>
  new InputError('unknown target linux/amd65: go1.26.8 has no port linux/amd65', {
    hint: 'linux targets of go1.26.8: linux/386, linux/amd64, linux/arm64',
  });

const buildError = () =>
  new BuildError('go build failed for ./cmd/tool on linux/amd64 (exit status 1)', {
    hint: 'the compiler output is above',
    details: '# example.com/tool/cmd/tool\n./main.go:7:2: undefined: missing\n./main.go:9:1: missing return\n\n  \n',
  });

test('an InputError with a hint (golden)', (t) => {
  const rendered = renderError(inputError(), false);
  t.snapshot(rendered);
  t.is(rendered.exitCode, ExitCode.badInput);
  t.is(
    rendered.text,
    'airlock: error: unknown target linux/amd65: go1.26.8 has no port linux/amd65; linux targets of go1.26.8: linux/386, linux/amd64, linux/arm64\n',
  );
});

test('a BuildError shows the tool output first, without trailing blank lines (golden)', (t) => {
  const rendered = renderError(buildError(), false);
  t.snapshot(rendered);
  t.is(rendered.exitCode, ExitCode.buildFailed);
  const lines = rendered.text.split('\n');
  t.deepEqual(lines, [
    '# example.com/tool/cmd/tool',
    './main.go:7:2: undefined: missing',
    './main.go:9:1: missing return',
    'airlock: error: go build failed for ./cmd/tool on linux/amd64 (exit status 1); the compiler output is above',
    '',
  ]);
});

test('an internal error is a bug report with exit code 1 and no stack (golden)', (t) => {
  const error = new TypeError("Cannot read properties of undefined (reading 'jobs')");
  const rendered = renderError(error, false);
  t.snapshot(rendered);
  t.is(rendered.exitCode, 1);
  t.is(rendered.exitCode, ExitCode.internal);
  t.is(
    rendered.text,
    "airlock: internal error: Cannot read properties of undefined (reading 'jobs'); this is a bug in airlock, please report it with the output of --debug\n",
  );
  t.false(rendered.text.includes('    at '), 'no stack frames');
});

test('with --debug an internal error shows its stack', (t) => {
  const error = new Error('boom');
  const rendered = renderError(error, true);
  t.is(rendered.exitCode, ExitCode.internal);
  t.true(rendered.text.startsWith('airlock: internal error: boom; this is a bug in airlock'));
  t.true(rendered.text.includes(error.stack!));
  t.regex(rendered.text, /\n\s+at /);
  t.true(rendered.text.endsWith('\n'));
});

test('with --debug an AirlockError shows its stack after the message', (t) => {
  const error = inputError();
  const rendered = renderError(error, true);
  const [first, ...rest] = rendered.text.split('\n');
  t.is(first, 'airlock: error: unknown target linux/amd65: go1.26.8 has no port linux/amd65; linux targets of go1.26.8: linux/386, linux/amd64, linux/arm64');
  t.is(rest.join('\n'), `${error.stack}\n`);
  t.regex(rendered.text, /\n\s+at /);
  t.is(rendered.exitCode, ExitCode.badInput);
});

test('without debug no AirlockError shows a stack', (t) => {
  for (const error of [inputError(), buildError(), new EngineError('no engine'), new VerificationError('bad digest')]) {
    t.false(renderError(error, false).text.includes('    at '));
  }
});

test('a message without a hint has no trailing separator, and blank details are left out', (t) => {
  t.is(renderError(new EngineError('cannot reach the Docker engine'), false).text, 'airlock: error: cannot reach the Docker engine\n');
  t.is(renderError(new VerificationError('digest mismatch', { details: '  \n\t\n' }), false).text, 'airlock: error: digest mismatch\n');
});

test('each kind of AirlockError returns its own exit code', (t) => {
  t.is(renderError(new InputError('x'), false).exitCode, 2);
  t.is(renderError(new BuildError('x'), false).exitCode, 3);
  t.is(renderError(new VerificationError('x'), false).exitCode, 4);
  t.is(renderError(new EngineError('x'), false).exitCode, 5);
  t.is(renderError(new InterruptedError('x'), false).exitCode, 130);
});

test('a thrown non-Error is rendered as text', (t) => {
  t.deepEqual(renderError('just a string', false), {
    text: 'airlock: internal error: just a string; this is a bug in airlock, please report it with the output of --debug\n',
    exitCode: 1,
  });
  t.is(renderError(undefined, true).text, 'airlock: internal error: undefined; this is a bug in airlock, please report it with the output of --debug\n');
  t.is(renderError({ code: 42 }, false).exitCode, 1);
});

test('the cause of an AirlockError (a library\'s own words) is shown with --debug only', (t) => {
  const error = new InputError('the passphrase in AIRLOCK_KEY_PASSPHRASE does not decrypt k.key', {
    hint: 'export AIRLOCK_KEY_PASSPHRASE with the passphrase given when the key was made',
    cause: new Error('error:1C800064:Provider routines::bad decrypt'),
  });
  t.is(
    renderError(error, false).text,
    'airlock: error: the passphrase in AIRLOCK_KEY_PASSPHRASE does not decrypt k.key; export AIRLOCK_KEY_PASSPHRASE with the passphrase given when the key was made\n',
  );
  t.regex(renderError(error, true).text, /\ncaused by: error:1C800064:Provider routines::bad decrypt\n$/);
});

test('a yargs invalid choice becomes one line naming the flag, the value and the choices (golden)', (t) => {
  const format = usageErrorMessage('Invalid values:\n  Argument: format, Given: "xml", Choices: "table", "json", "github", "gitlab"');
  t.is(format, '--format xml is not one of table, json, github, gitlab');
  t.snapshot(format);
  t.is(usageErrorMessage('Invalid values:\n  Argument: ci, Given: "bitbucket", Choices: "github", "gitlab"'), '--ci bitbucket is not one of github, gitlab');
  t.is(
    usageErrorMessage('Invalid values:\n  Argument: ci, Given: "a", Choices: "github", "gitlab"\n  Argument: format, Given: "b c", Choices: "json"'),
    '--ci a is not one of github, gitlab; --format b c is not one of json',
  );
  const rendered = renderError(new InputError(usageErrorMessage('Invalid values:\n  Argument: ci, Given: "x\ny", Choices: "github"'), { hint: 'run `airlock --help`' }), false);
  t.is(rendered.text.split('\n').length, 2, 'one line and the final newline');
});

test('other yargs messages are kept, on one line', (t) => {
  t.is(usageErrorMessage('Unknown argument: jobs'), 'Unknown argument: jobs');
  t.is(usageErrorMessage('Missing required argument: out'), 'Missing required argument: out');
  t.is(usageErrorMessage('first line\n  second line\n'), 'first line second line');
});

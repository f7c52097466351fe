/**
 * A site's seccomp profile (--seccomp FILE) never crashes airlock: random text and mutations of airlock's own
 * profile load, or fail with a one-line InputError.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { loadSeccompChoice, strictProfilePath } from '../../../src/sandbox/seccomp-choice.js';
import { tempDir } from '../../helpers/host-tools.js';
import { assertAsyncProperty } from '../../helpers/properties.js';
import {
  applyTextMutations,
  arbitraryText,
  jsonMutationArbitrary,
  mutateJsonText,
  parsesOrFailsCleanlyAsync,
  textMutationArbitrary,
} from '../../helpers/robustness.js';

const REAL = await fs.readFile(strictProfilePath(), 'utf8');

test('property: random text, and text and JSON mutations of the shipped profile, load or fail with a one-line InputError', async (t) => {
  const file = path.join(await tempDir(t), 'site-profile.json');
  const text = fc.oneof(
    arbitraryText(['{', '}', '[', ']', '"defaultAction"', '"syscalls"', ':', ',', '"SCMP_ACT_ERRNO"', 'null', '\n']),
    fc.array(textMutationArbitrary(), { minLength: 1, maxLength: 4 }).map((mutations) => applyTextMutations(REAL, mutations)),
    fc.array(jsonMutationArbitrary(), { minLength: 1, maxLength: 4 }).map((mutations) => mutateJsonText(REAL, mutations)),
  );
  await assertAsyncProperty(
    t,
    fc.asyncProperty(text, async (profile) => {
      await fs.writeFile(file, profile);
      await parsesOrFailsCleanlyAsync(() => loadSeccompChoice(file));
    }),
    { numRuns: 200 },
  );
});

import fs from 'fs-extra';
import path from 'node:path';
import { VerificationError, oneLine } from '../../../errors.js';
import { decodePayload, parseEnvelopeLines } from '../../../provenance/dsse.js';
import { TEST_RESULT_V01 } from '../../../provenance/test-result-statement.js';
import { CHECKSUMS_FILE } from '../../../release/layout.js';
import { planTestRunFiles } from '../../../release/test-run-files.js';
import { sha256File } from '../../../util/hash.js';
import { type BuildStage, sourceOf, stagingOf } from '../stage.js';

const RERUN_HINT = 'run the tests and the build again (`airlock build --test`), with nothing changing the module in between';

interface TestStatementFacts {
  predicateType?: unknown;
  subject?: Array<{ name?: unknown; digest?: Record<string, unknown> }>;
  predicate?: { result?: unknown };
}

/**
 * `build --test`: the passing test run's reports, streams and attestations go into the release, listed in its
 * SHA256SUMS. Each is checked again as it is copied (the digest its test run recorded), and each attestation
 * must be for the very source tree this build sent to the sandbox: a release says its binaries' source passed.
 */
export const includeTestRun: BuildStage = {
  name: 'include the test run',
  skip: (run) => run.build.run.testRunDir === undefined,
  async run(run) {
    const dir = run.build.run.testRunDir!;
    const staging = stagingOf(run);
    const releaseNames = new Set(run.artifacts.map((artifact) => path.posix.basename(artifact.file)));
    const sums = await fs.readFile(path.join(dir, CHECKSUMS_FILE), 'utf8');
    const files = planTestRunFiles(sums, dir, releaseNames);
    for (const entry of files.listed) {
      const target = staging.pathFor(entry.name);
      await fs.copyFile(path.join(dir, entry.name), target);
      const actual = await sha256File(target);
      if (actual !== entry.sha256) {
        throw new VerificationError(oneLine(`${dir}/${entry.name} is not what its test run wrote (sha256 ${actual}, SHA256SUMS says ${entry.sha256})`), { hint: RERUN_HINT });
      }
    }
    const treeDigest = sourceOf(run).digest.digest;
    for (const envelope of files.envelopes) {
      const target = staging.pathFor(envelope);
      await fs.copyFile(path.join(dir, envelope), target);
      const statement = readStatement(await fs.readFile(target, 'utf8'), `${dir}/${envelope}`);
      const source = statement.subject?.find((subject) => subject.name === 'source')?.digest?.dirHash;
      if (statement.predicateType !== TEST_RESULT_V01 || statement.predicate?.result === 'FAILED') {
        throw new VerificationError(oneLine(`${dir}/${envelope} is not the attestation of a passing test run`), { hint: RERUN_HINT });
      }
      if (source !== treeDigest) {
        throw new VerificationError(oneLine(`the tests in ${dir} ran on another source tree (${String(source)}) than this build (${treeDigest})`), { hint: RERUN_HINT });
      }
    }
    run.testRunFiles.push(...files.listed);
  },
};

function readStatement(text: string, where: string): TestStatementFacts {
  try {
    const statement: unknown = JSON.parse(decodePayload(parseEnvelopeLines(text, where)[0]!).toString('utf8'));
    if (typeof statement === 'object' && statement !== null) return statement as TestStatementFacts;
  } catch {
    // Reported below, in one line.
  }
  throw new VerificationError(oneLine(`${where} is not a test-result attestation (a DSSE envelope of an in-toto statement)`), { hint: RERUN_HINT });
}

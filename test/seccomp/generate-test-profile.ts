/**
 * Writes templates/seccomp/airlock-go-test.json, the profile for go vet and go test, from the build measurement
 * (templates/seccomp/measured-syscalls.json) and the test measurement (templates/seccomp/measured-test-syscalls.json).
 * Run by test/seccomp/measure-tests.sh after a measurement, or alone: `node build/test/seccomp/generate-test-profile.js`.
 * Deterministic: the same measurements give the same bytes (test/unit/sandbox/seccomp-test-profile.test.ts checks
 * the committed profile against this).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';
import {
  SECCOMP_MEASUREMENT_FILE,
  SECCOMP_TEST_MEASUREMENT_FILE,
  TEST_PROFILE_FILE,
  allowedSyscalls,
  buildSeccompProfile,
  buildTestSeccompProfile,
  parseSeccompMeasurement,
  parseSeccompTestMeasurement,
  renderSeccompProfile,
} from './seccomp-profile.js';

const directory = path.join(packageRoot(), 'templates', 'seccomp');
const profileFile = path.join(directory, TEST_PROFILE_FILE);

const build = parseSeccompMeasurement(JSON.parse(await fs.readFile(path.join(directory, SECCOMP_MEASUREMENT_FILE), 'utf8')));
const tests = parseSeccompTestMeasurement(JSON.parse(await fs.readFile(path.join(directory, SECCOMP_TEST_MEASUREMENT_FILE), 'utf8')));
const profile = buildTestSeccompProfile(build.syscalls, tests.syscalls);
const text = renderSeccompProfile(profile);
const previous = await fs.readFile(profileFile, 'utf8').catch(() => undefined);
await fs.writeFile(profileFile, text);

const buildAllowed = new Set(allowedSyscalls(buildSeccompProfile(build.syscalls)));
const added = allowedSyscalls(profile).filter((name) => !buildAllowed.has(name));
console.log(
  `${path.relative(process.cwd(), profileFile) || profileFile}: ${allowedSyscalls(profile).length} allowed names ` +
    `(${tests.syscalls.length} measured in test runs), ${profile.syscalls.length} rule groups` +
    (previous === undefined ? '' : previous === text ? '; unchanged' : '; changed'),
);
console.log(`allowed beyond the build profile (${added.length}): ${added.join(' ')}`);

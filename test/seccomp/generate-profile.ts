/**
 * Writes templates/seccomp/airlock-go-build.json from templates/seccomp/measured-syscalls.json.
 * Run by test/seccomp/measure.sh after a measurement, or alone: `node build/test/seccomp/generate-profile.js`.
 * Deterministic: the same measurement gives the same bytes (the unit test in
 * test/unit/sandbox/seccomp-profile.test.ts checks the committed profile against this).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';
import { STRICT_PROFILE_FILE } from '../../src/sandbox/seccomp-choice.js';
import {
  SECCOMP_MEASUREMENT_FILE,
  allowedSyscalls,
  buildSeccompProfile,
  parseSeccompMeasurement,
  renderSeccompProfile,
} from './seccomp-profile.js';

const directory = path.join(packageRoot(), 'templates', 'seccomp');
const measurementFile = path.join(directory, SECCOMP_MEASUREMENT_FILE);
const profileFile = path.join(directory, STRICT_PROFILE_FILE);

const measurement = parseSeccompMeasurement(JSON.parse(await fs.readFile(measurementFile, 'utf8')));
const profile = buildSeccompProfile(measurement.syscalls);
const text = renderSeccompProfile(profile);
const previous = await fs.readFile(profileFile, 'utf8').catch(() => undefined);
await fs.writeFile(profileFile, text);

const denied = profile.syscalls.filter((rule) => rule.action === 'SCMP_ACT_ERRNO').reduce((n, rule) => n + rule.names.length, 0);
console.log(
  `${path.relative(process.cwd(), profileFile) || profileFile}: ${allowedSyscalls(profile).length} allowed names ` +
    `(${measurement.syscalls.length} measured), ${denied} answered with an errno, ${profile.syscalls.length} rule groups` +
    (previous === undefined ? '' : previous === text ? '; unchanged' : '; changed'),
);

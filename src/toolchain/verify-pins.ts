import { VerificationError } from '../errors.js';
import { type ToolchainMatrix, findPins } from './matrix.js';
import type { ToolchainIdentity } from './toolchain-tree.js';

export type VerificationStatus = 'pinned' | 'trust-on-first-use';

export interface ToolchainEvidence {
  identity: ToolchainIdentity;
  /** h1: of the canonical tree that would enter the store */
  treeDigest: string;
  archiveSha256?: string;
  /** h1: of a module zip, computed over its entries */
  moduleH1?: string;
}

export interface PinVerification {
  status: VerificationStatus;
  /** What was compared, for the record and for provenance. */
  checks: string[];
  notes: string[];
}

/**
 * Decides whether a toolchain may enter the store. The tree digest always has to match the pin, whatever
 * form the toolchain came in: it covers every file that is stored and later built into the sandbox image.
 */
export function verifyAgainstMatrix(
  matrix: ToolchainMatrix,
  evidence: ToolchainEvidence,
  options: { trustOnFirstUse: boolean },
): PinVerification {
  const { identity } = evidence;
  const platform = `${identity.goos}/${identity.goarch}`;
  const pins = findPins(matrix, identity.version, platform);
  const name = `${identity.version} ${platform}`;
  if (!pins) {
    if (!options.trustOnFirstUse) {
      throw new VerificationError(`${name} is not in the toolchain matrix ${matrix.location}`, {
        hint: 'add its pins (`airlock toolchain pin` prints them) to the matrix, or pass --trust-on-first-use to accept it unverified',
      });
    }
    return {
      status: 'trust-on-first-use',
      checks: [],
      notes: [`${name} is not in the toolchain matrix; accepted on first use with tree digest ${evidence.treeDigest}`],
    };
  }
  const checks: string[] = [];
  const notes: string[] = [];
  if (evidence.moduleH1 !== undefined && pins.module) {
    if (evidence.moduleH1 !== pins.module.h1) {
      throw new VerificationError(`the ${name} module zip does not match its pin: expected ${pins.module.h1}, got ${evidence.moduleH1}`, {
        hint: 'the file was altered or is not the official toolchain module; obtain it again from a trusted source',
      });
    }
    checks.push(`module zip h1 ${evidence.moduleH1}`);
  }
  if (evidence.treeDigest !== pins.treeDigest) {
    throw new VerificationError(`the ${name} toolchain tree does not match its pin: expected ${pins.treeDigest}, got ${evidence.treeDigest}`, {
      hint: 'a file of the toolchain was altered (an edited go.env counts); import an unmodified official archive or module zip',
    });
  }
  checks.push(`tree digest ${evidence.treeDigest}`);
  if (evidence.archiveSha256 !== undefined) {
    if (pins.archive && pins.archive.sha256 === evidence.archiveSha256) {
      checks.push(`archive sha256 ${evidence.archiveSha256}`);
    } else if (pins.archive) {
      notes.push(`the archive is not byte-identical to the official ${pins.archive.file} (sha256 ${evidence.archiveSha256}), but every toolchain file in it matches the pinned tree`);
    }
  }
  return { status: 'pinned', checks, notes };
}

import { InputError } from '../errors.js';

export interface Target {
  goos: string;
  goarch: string;
}

export function formatTarget(target: Target): string {
  return `${target.goos}/${target.goarch}`;
}

export function parseTarget(text: string): Target {
  const match = /^([a-z0-9]+)\/([a-z0-9]+)$/.exec(text.trim());
  if (!match) {
    throw new InputError(`invalid target ${JSON.stringify(text)}: a target is GOOS/GOARCH`, {
      hint: 'write targets like linux/amd64 or windows/arm64 (`go tool dist list` shows them all)',
    });
  }
  return { goos: match[1]!, goarch: match[2]! };
}

/** Every requested target must be a port of the toolchain; the error names the nearest real choices. */
export function validateTargets(targets: readonly Target[], ports: readonly string[], toolchainVersion: string): void {
  for (const target of targets) {
    const name = formatTarget(target);
    if (ports.includes(name)) continue;
    const sameOs = ports.filter((port) => port.startsWith(`${target.goos}/`));
    const sameArch = ports.filter((port) => port.endsWith(`/${target.goarch}`));
    const suggestions = sameOs.length > 0 ? sameOs : sameArch.length > 0 ? sameArch : [...new Set(ports.map((port) => port.split('/')[0]))];
    const what = sameOs.length > 0 ? `${target.goos} targets` : sameArch.length > 0 ? `${target.goarch} targets` : 'GOOS values';
    throw new InputError(`unknown target ${name}: ${toolchainVersion} has no port ${name}`, {
      hint: `${what} of ${toolchainVersion}: ${suggestions.join(', ')}`,
    });
  }
}

export function dedupeTargets(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((target) => {
    const key = formatTarget(target);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

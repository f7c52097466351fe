import { InputError } from '../errors.js';

const INCOMPLETE_HINT = 'import a complete, unmodified Go 1.21 or later distribution';

/**
 * The GOOS/GOARCH pairs a toolchain supports, read from its own src/internal/platform/zosarch.go (generated
 * by the Go project; the data behind `go tool dist list`), so no toolchain binary has to run on the host.
 */
export function parsePortList(zosarchSource: string): string[] {
  const listBody = /var List = \[\]OSArch\{([\s\S]*?)\n\}/.exec(zosarchSource)?.[1];
  if (listBody === undefined) throw new InputError('no port list (var List) in zosarch.go', { hint: INCOMPLETE_HINT });
  const broken = new Set<string>();
  for (const match of zosarchSource.matchAll(/\{"([a-z0-9]+)", "([a-z0-9]+)"\}:\s*\{[^}]*Broken:\s*true/g)) {
    broken.add(`${match[1]}/${match[2]}`);
  }
  const ports: string[] = [];
  for (const match of listBody.matchAll(/\{"([a-z0-9]+)", "([a-z0-9]+)"\}/g)) {
    const port = `${match[1]}/${match[2]}`;
    if (!broken.has(port)) ports.push(port);
  }
  if (ports.length === 0) throw new InputError('empty port list in zosarch.go', { hint: INCOMPLETE_HINT });
  return ports;
}

export const PORT_LIST_FILE = 'src/internal/platform/zosarch.go';

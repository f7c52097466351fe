/**
 * The module cache spells every upper-case letter of a module path or version as "!" plus the lower-case
 * letter, so that case-insensitive file systems keep distinct modules apart.
 */
export function escapeModulePath(value: string): string {
  return value.replace(/[A-Z]/g, (letter) => `!${letter.toLowerCase()}`);
}

export function unescapeModulePath(value: string): string {
  return value.replace(/!([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Where a module's files live in the download cache: cache/download/<escaped path>/@v/<escaped version>.<ext> */
export function downloadCachePath(modulePath: string, version: string, extension: 'info' | 'mod' | 'zip' | 'ziphash'): string {
  return `cache/download/${escapeModulePath(modulePath)}/@v/${escapeModulePath(version)}.${extension}`;
}

/** Where the go command unpacks a module: <escaped path>@<escaped version> */
export function extractedModuleDir(modulePath: string, version: string): string {
  return `${escapeModulePath(modulePath)}@${escapeModulePath(version)}`;
}

// The characters of module paths as go.sum holds them, in slash-separated elements.
const MODULE_PATH = /^[A-Za-z0-9._~+-]+(\/[A-Za-z0-9._~+-]+)*$/;

/** Whether a module path read from outside is one; no element may be "." or "..", so its files stay where it says. */
export function isModulePath(modulePath: string): boolean {
  return MODULE_PATH.test(modulePath) && !modulePath.split('/').some((part) => part === '.' || part === '..');
}

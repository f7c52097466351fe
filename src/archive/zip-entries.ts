import yauzl from 'yauzl';

import { oneLine } from '../errors.js';

/**
 * The part of a zip entry's name after PREFIX (which ends in "/"), if the name is PREFIX followed by a safe
 * relative path: not empty, no empty, "." or ".." component, and no control character (which the go command
 * never puts in a module file name, and which a NUL or a line break would turn into another name). Undefined
 * otherwise.
 */
export function relativeEntryName(name: string, prefix: string): string | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const relative = name.slice(prefix.length);
  if (relative === '' || /[\u0000-\u001f\u007f]/.test(relative)) return undefined;
  if (relative.split('/').some((part) => part === '' || part === '.' || part === '..')) return undefined;
  return relative;
}

/** An entry name as a message shows it: as it is when plainly printable, else in JSON quotes with every line break escaped. */
export function quoteEntryName(name: string): string {
  return /^[\x21-\x7e]+$/.test(name) && !name.includes('"') ? name : oneLine(JSON.stringify(name));
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (error, zip) => {
      if (error || !zip) reject(error ?? new Error('cannot open'));
      else resolve(zip);
    });
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) reject(error ?? new Error('cannot read entry'));
      else resolve(stream);
    });
  });
}

/**
 * Opens a zip (entry sizes validated, file names strict) and calls VISIT for each entry that is not a
 * directory, one at a time and in order; OPEN gives the entry's uncompressed bytes. Rejects with the error of
 * opening or reading the zip, or with whatever VISIT throws, after which no further entry is visited. The zip
 * is always closed.
 */
export async function forEachZipEntry(
  file: string,
  visit: (entry: yauzl.Entry, open: () => Promise<NodeJS.ReadableStream>) => Promise<void>,
): Promise<void> {
  const zip = await openZip(file);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          // Module zips hold files only; a directory entry carries nothing to hash or store.
          if (!entry.fileName.endsWith('/')) await visit(entry, () => openEntry(zip, entry));
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

import { VerificationError } from '../errors.js';

/** A checksum database tree head: the number of records in the log and the Merkle root over them. */
export interface TreeHead {
  size: number;
  /** 32 bytes. */
  hash: Buffer;
}

const TREE_HEADER = 'go.sum database tree\n';

/**
 * Reads the signed text of a tree note: the header line, the size in canonical decimal and the root hash in
 * base64. Further lines are ignored, as the go command ignores them (room for extensions).
 */
export function parseTreeHead(text: string, source: string): TreeHead {
  const fail = (why: string) => new VerificationError(`${source}: ${why}`, { hint: 'the checksum database evidence is damaged; pack the module set again' });
  if (!text.startsWith(TREE_HEADER)) throw fail('the signed note is not a go.sum database tree head');
  const [sizeText, hashText] = text.slice(TREE_HEADER.length).split('\n');
  if (sizeText === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw fail('the tree size is not a canonical decimal number');
  }
  if (hashText === undefined || !/^[A-Za-z0-9+/]{43}=$/.test(hashText)) throw fail('the tree hash is not 32 bytes of base64');
  return { size: Number(sizeText), hash: Buffer.from(hashText, 'base64') };
}

export function formatTreeHead(tree: TreeHead): string {
  return `${tree.size} ${tree.hash.toString('base64')}`;
}

// Types for tar-fs 3 (the published @types/tar-fs describe version 2).
declare module 'tar-fs' {
  import type { Writable } from 'node:stream';
  import type { Extract, Pack } from 'tar-stream';

  export interface TarHeader {
    name: string;
    mode?: number;
    mtime?: Date;
    size?: number;
    type?: 'file' | 'link' | 'symlink' | 'directory' | 'block-device' | 'character-device' | 'fifo' | 'contiguous-file';
    linkname?: string;
    uid?: number;
    gid?: number;
    uname?: string;
    gname?: string;
  }

  export interface PackOptions {
    ignore?: (name: string) => boolean;
    map?: (header: TarHeader) => TarHeader | undefined;
    entries?: string[];
    sort?: boolean;
    dereference?: boolean;
    strict?: boolean;
    pack?: Pack;
    finalize?: boolean;
    finish?: (pack: Pack) => void;
  }

  export interface ExtractOptions {
    ignore?: (name: string, header?: TarHeader) => boolean;
    map?: (header: TarHeader) => TarHeader | undefined;
    strip?: number;
    readable?: boolean;
    writable?: boolean;
    dmode?: number;
    fmode?: number;
    chown?: boolean;
    utimes?: boolean;
    validateSymlinks?: boolean;
    /** The tar-stream extract to read entries from, instead of a new one. */
    extract?: Extract;
    /** The file-system calls to extract with, instead of node:fs. */
    fs?: object;
  }

  export function pack(cwd: string, options?: PackOptions): Pack;
  export function extract(cwd: string, options?: ExtractOptions): Writable;

  const tarFs: { pack: typeof pack; extract: typeof extract };
  export default tarFs;
}

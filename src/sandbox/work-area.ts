import type { Readable } from 'node:stream';
import path from 'node:path';
import tarStream from 'tar-stream';
import { SandboxPaths } from './policy.js';

/**
 * The writable output directory, as a tar to put into the work volume before the build starts. Docker fills a
 * new volume from the image (so /work/out is already there); Podman does not once something was copied in, so
 * airlock creates it itself and the build works the same on both.
 */
export function packOutputDirectory(owner: { uid: number; gid: number }): Readable {
  const pack = tarStream.pack();
  pack.entry({
    name: `${path.posix.relative(SandboxPaths.work, SandboxPaths.output)}/`,
    type: 'directory',
    mode: 0o755,
    uid: owner.uid,
    gid: owner.gid,
    mtime: new Date(0),
  });
  pack.finalize();
  return pack as unknown as Readable;
}

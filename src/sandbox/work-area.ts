import path from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { SCRATCH_GOCACHE, SCRATCH_TMP, SandboxPaths } from './policy.js';

/**
 * The tar put into the work volume before the build: the writable output directory. Docker fills a new volume
 * from the image (so /work/out is already there); Podman does not always, so airlock creates it itself and the
 * build works the same on both.
 */
export function outputDirectoryPack(owner: { uid: number; gid: number }): Readable {
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

/**
 * The build user's directories in a fresh scratch volume (its root stays root's): GOCACHE and the go command's
 * work directory. Put in through the archive API so they exist alike on Docker, which would copy them from the
 * image, and Podman, which does not always.
 */
export function scratchDirectoriesPack(owner: { uid: number; gid: number }): Readable {
  const pack = tarStream.pack();
  for (const directory of [SCRATCH_GOCACHE, SCRATCH_TMP]) {
    pack.entry({
      name: `${path.posix.relative(SandboxPaths.scratch, directory)}/`,
      type: 'directory',
      mode: 0o700,
      uid: owner.uid,
      gid: owner.gid,
      mtime: new Date(0),
    });
  }
  pack.finalize();
  return pack as unknown as Readable;
}

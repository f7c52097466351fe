import path from 'node:path';
import tarStream, { type Pack } from 'tar-stream';
import { SandboxPaths } from './policy.js';

/**
 * The start of the tar put into the work volume before the build: the writable output directory, with the
 * source to follow. Docker fills a new volume from the image (so /work/out is already there); Podman does not
 * once something was copied in, so airlock creates it itself and the build works the same on both.
 */
export function outputDirectoryPack(owner: { uid: number; gid: number }): Pack {
  const pack = tarStream.pack();
  pack.entry({
    name: `${path.posix.relative(SandboxPaths.work, SandboxPaths.output)}/`,
    type: 'directory',
    mode: 0o755,
    uid: owner.uid,
    gid: owner.gid,
    mtime: new Date(0),
  });
  return pack;
}

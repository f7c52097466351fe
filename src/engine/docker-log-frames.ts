import type { ContainerLogs } from './engine.js';

/**
 * Splits the multiplexed log stream of a container without a TTY: frames of an 8-byte header
 * (stream type, 3 zero bytes, big-endian payload length) followed by the payload.
 */
export function demuxDockerLogs(buffer: Uint8Array): ContainerLogs {
  const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const stream = bytes[offset];
    const length = bytes.readUInt32BE(offset + 4);
    const payload = bytes.subarray(offset + 8, Math.min(offset + 8 + length, bytes.length));
    (stream === 2 ? stderr : stdout).push(payload);
    offset += 8 + length;
  }
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}

import test from 'ava';

import { demuxDockerLogs } from '../../../src/engine/docker-log-frames.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;

/** One frame as the Docker API sends it: stream byte, three zero bytes, big-endian uint32 length, payload. */
function frame(stream: number, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

test('an empty stream has empty stdout and stderr', (t) => {
  t.deepEqual(demuxDockerLogs(new Uint8Array(0)), { stdout: '', stderr: '' });
});

test('interleaved frames are split by stream, each keeping its own order', (t) => {
  const logs = Buffer.concat([
    frame(STDOUT, 'building\n'),
    frame(STDERR, '# example.com/tool\n'),
    frame(STDOUT, 'still building\n'),
    frame(STDERR, './main.go:3:2: undefined: x\n'),
    frame(STDERR, ''),
    frame(STDOUT, 'done\n'),
  ]);
  t.deepEqual(demuxDockerLogs(logs), {
    stdout: 'building\nstill building\ndone\n',
    stderr: '# example.com/tool\n./main.go:3:2: undefined: x\n',
  });
});

test('the header is exactly 8 bytes with a big-endian length', (t) => {
  const hand = Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x63, 1, 0, 0, 0, 0, 0, 0, 1, 0x7a]);
  t.deepEqual(demuxDockerLogs(hand), { stdout: 'z', stderr: 'abc' });
});

test('a payload longer than 255 bytes uses the higher length bytes', (t) => {
  const big = 'x'.repeat(70_000);
  const logs = Buffer.concat([frame(STDERR, big), frame(STDOUT, 'after')]);
  t.is(logs.readUInt32BE(4), 70_000);
  const result = demuxDockerLogs(logs);
  t.is(result.stderr, big);
  t.is(result.stdout, 'after');
});

test('a character split across two frames of the same stream is decoded whole', (t) => {
  const bytes = Buffer.from('grüße 🎉\n', 'utf8');
  const cut = bytes.indexOf(0xf0) + 2; // inside the 4-byte emoji
  const logs = Buffer.concat([frame(STDOUT, bytes.subarray(0, cut)), frame(STDERR, 'between\n'), frame(STDOUT, bytes.subarray(cut))]);
  t.deepEqual(demuxDockerLogs(logs), { stdout: 'grüße 🎉\n', stderr: 'between\n' });
});

test('a truncated last frame keeps the bytes that arrived', (t) => {
  const whole = frame(STDERR, 'error: out of memory\n');
  const logs = Buffer.concat([frame(STDOUT, 'ok\n'), whole.subarray(0, 8 + 'error: out'.length)]);
  t.deepEqual(demuxDockerLogs(logs), { stdout: 'ok\n', stderr: 'error: out' });
});

test('a truncated header at the end is ignored', (t) => {
  const logs = Buffer.concat([frame(STDOUT, 'ok\n'), frame(STDERR, 'lost').subarray(0, 5)]);
  t.deepEqual(demuxDockerLogs(logs), { stdout: 'ok\n', stderr: '' });
});

test('a frame whose header arrived without any payload adds nothing', (t) => {
  const logs = Buffer.concat([frame(STDERR, 'a'), frame(STDERR, 'never arrives').subarray(0, 8)]);
  t.deepEqual(demuxDockerLogs(logs), { stdout: '', stderr: 'a' });
});

test('stdin frames (type 0) are counted as stdout', (t) => {
  const logs = Buffer.concat([frame(STDIN, 'in '), frame(STDOUT, 'out')]);
  t.deepEqual(demuxDockerLogs(logs), { stdout: 'in out', stderr: '' });
});

test('a view into a larger buffer is read from its own offset', (t) => {
  const inner = Buffer.concat([frame(STDOUT, 'inner'), frame(STDERR, 'err')]);
  const outer = Buffer.concat([Buffer.from('GARBAGE-BEFORE'), inner, Buffer.from('GARBAGE-AFTER')]);
  const view = new Uint8Array(outer.buffer, outer.byteOffset + 'GARBAGE-BEFORE'.length, inner.length);
  t.deepEqual(demuxDockerLogs(view), { stdout: 'inner', stderr: 'err' });
});

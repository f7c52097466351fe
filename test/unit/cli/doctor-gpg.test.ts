import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { gpgFinding } from '../../../src/cli/commands/doctor.js';
import { tempDir } from '../../helpers/host-tools.js';

const hasGpg = (await execa('gpg', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const gpgTest = hasGpg ? test : test.skip;

/** A module directory whose airlock.json says `config`. */
async function moduleWith(t: Parameters<typeof tempDir>[0], config: unknown): Promise<string> {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, 'airlock.json'), JSON.stringify(config));
  return dir;
}

test('doctor says nothing about gpg when airlock.json names no GPG key', async (t) => {
  t.is(await gpgFinding(await moduleWith(t, {}), { PATH: '/nonexistent' }), undefined);
  t.is(await gpgFinding(await tempDir(t), { PATH: '/nonexistent' }), undefined, 'no airlock.json at all');
});

test('doctor reports an airlock.json it cannot read as that, not as gpg', async (t) => {
  const finding = await gpgFinding(await moduleWith(t, { signing: { gpgKey: '' } }), process.env);
  t.is(finding?.subject, 'airlock.json');
  t.false(finding?.ok);
});

test('with a GPG key configured and no gpg on PATH, doctor names the problem and what to do (exit 2)', async (t) => {
  const finding = await gpgFinding(await moduleWith(t, { signing: { gpgKey: 'release@airlock.test' } }), { PATH: await tempDir(t) });
  t.like(finding, { ok: false, subject: 'gpg', text: 'gpg is not installed: no `gpg` on PATH', exitCode: 2 });
  t.regex(finding?.hint ?? '', /apt-get install gnupg/);
});

gpgTest('with a GPG key configured, doctor reports gpg\'s version and the key it names; an unknown key is a problem', async (t) => {
  const home = await tempDir(t);
  await fs.chmod(home, 0o700);
  t.teardown(() => execa('gpgconf', ['--homedir', home, '--kill', 'all'], { reject: false }));
  await execa('gpg', ['--homedir', home, '--batch', '--passphrase', '', '--quick-gen-key', 'doctor test <doctor@airlock.test>', 'ed25519', 'sign', '0']);
  const env = { ...process.env, GNUPGHOME: home };
  const found = await gpgFinding(await moduleWith(t, { signing: { gpgKey: 'doctor@airlock.test' } }), env);
  t.true(found?.ok, found?.text);
  t.regex(found?.text ?? '', /^GnuPG \d+\.\d+\.\d+ installed; signing\.gpgKey doctor@airlock\.test is [0-9A-F]{40} \(doctor test <doctor@airlock\.test>\)$/);
  const unknown = await gpgFinding(await moduleWith(t, { signing: { gpgKey: 'nobody@airlock.test' } }), env);
  t.like(unknown, { ok: false, subject: 'gpg', exitCode: 2 });
  t.regex(unknown?.text ?? '', /GPG key nobody@airlock\.test: no such secret key in GNUPGHOME/);
});

import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';

import { readGitFacts } from '../../../src/provenance/git-source.js';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'airlock test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'airlock test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
};

test('a real git checkout: its commit, its commit time, and whether the module differs from it', async (t) => {
  const repo = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-git-'));
  t.teardown(() => fs.rm(repo, { recursive: true, force: true }));
  const git = (...args: string[]) => execa('git', ['-C', repo, ...args], { env: GIT_ENV });
  await git('init', '-q');
  await fs.writeFile(path.join(repo, 'go.mod'), 'module example.com/m\n');
  await git('add', '.');
  await git('commit', '-q', '-m', 'first');
  const commit = (await git('rev-parse', 'HEAD')).stdout.trim();
  const commitTime = Date.parse('2026-01-02T03:04:05Z') / 1000;
  t.deepEqual(await readGitFacts(repo), { commit, dirty: false, commitTime, tags: [] });
  await fs.writeFile(path.join(repo, 'main.go'), 'package main\n');
  t.deepEqual(await readGitFacts(repo), { commit, dirty: true, commitTime, tags: [] });
  // The origin remote, its token removed, and the tags at the commit, sorted.
  await git('remote', 'add', 'origin', 'https://oauth2:TOKEN@git.corp.example/payments/m.git');
  await git('tag', 'v1.0.0');
  await git('tag', 'stable');
  t.deepEqual(await readGitFacts(repo), { commit, dirty: true, commitTime, remote: 'https://git.corp.example/payments/m.git', tags: ['stable', 'v1.0.0'] });
});

test('a directory outside any git checkout has no git facts', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-nogit-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  t.is(await readGitFacts(dir), undefined);
});

import Docker from 'dockerode';
import { copyModule, ensureToolchains, integration, runAirlock } from '../helpers/airlock-cli.js';

integration('prune removes what airlock created and is not in use: stopped containers, build caches, sandbox images', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const build = await runAirlock(['build', module, '--cache']);
  t.is(build.exitCode, 0, build.stderr);
  const docker = new Docker();
  const managed = JSON.stringify({ label: ['airlock.managed=true'] });
  const images = await docker.listImages({ filters: managed });
  t.true(images.length > 0, 'the build left its sandbox image');
  const caches = (await docker.listVolumes({ filters: managed })).Volumes ?? [];
  t.true(caches.some((volume) => volume.Name.startsWith('airlock-gocache-')), 'the build left its cache volume');
  // A container left behind (as a killed run could leave one): created from the sandbox image, never started.
  const leftover = await docker.createContainer({ Image: images[0]!.RepoTags![0]!, Cmd: ['/usr/local/go/bin/go', 'version'], Labels: { 'airlock.managed': 'true' }, name: `airlock-leftover-${process.pid}` });
  // Something that is not airlock's stays untouched.
  const foreign = await docker.createVolume({ Name: `not-airlock-${process.pid}` });

  const result = await runAirlock(['prune']);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, new RegExp(`^removed container airlock-leftover-${process.pid}$`, 'm'));
  t.regex(result.stdout, /^removed volume airlock-gocache-[0-9a-f]{20}$/m);
  t.regex(result.stdout, /^removed image airlock-sandbox:go1\.\d+\.\d+-[0-9a-f]{16}$/m);
  t.deepEqual(await docker.listImages({ filters: managed }), []);
  t.deepEqual((await docker.listVolumes({ filters: managed })).Volumes ?? [], []);
  t.deepEqual(await docker.listContainers({ all: true, filters: managed }), []);
  await t.throwsAsync(leftover.inspect());
  t.truthy(await docker.getVolume(foreign.name).inspect());
  await docker.getVolume(foreign.name).remove();
  const again = await runAirlock(['prune']);
  t.is(again.stdout.trim(), 'nothing to remove');
  // Builds still work afterwards: the image is simply built again.
  const rebuilt = await runAirlock(['build', module]);
  t.is(rebuilt.exitCode, 0, rebuilt.stderr);
  t.regex(rebuilt.stderr, /building the sandbox image/);
});

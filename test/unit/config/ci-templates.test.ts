/**
 * The release pipelines in templates/ci/: they parse as YAML, have the shape GitHub Actions and GitLab CI
 * document, use only the CLI surface and matrix fields airlock provides, and reach nothing but what an
 * air-gapped runner has.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import test from 'ava';
import fc from 'fast-check';
import { parse, parseAllDocuments } from 'yaml';

import { CI_FILES, CI_NEXT_STEPS, CI_SYSTEMS, type CiTemplate, loadCiTemplates, moduleDirInRepository, planInitFiles, setTemplateModuleDir } from '../../../src/config/ci-templates.js';
import { type Permission, REQUIRED_PERMISSIONS, permissionName } from '../../../src/engine/kubernetes-permissions.js';
import { type PlanToolchainInput, resolvePlan } from '../../../src/plan/build-plan.js';
import { githubMatrix, gitlabMatrix } from '../../../src/plan/ci-matrix.js';
import { parseTarget } from '../../../src/plan/targets.js';
import { packageRoot } from '../../../src/util/package-root.js';

type Yaml = Record<string, any>;

const templates = async (system: (typeof CI_SYSTEMS)[number]): Promise<Map<string, CiTemplate>> =>
  new Map((await loadCiTemplates(system)).map((template) => [template.path, template]));

/** Strict parsing: duplicate keys and anything else a CI system would refuse are errors. */
const yaml = (text: string): Yaml => parse(text, { uniqueKeys: true, strict: true }) as Yaml;

/** A Kubernetes manifest: one YAML document per object, each parsed as strictly. */
const manifest = (text: string): Yaml[] =>
  parseAllDocuments(text, { uniqueKeys: true, strict: true }).map((document) => {
    if (document.errors.length > 0) throw document.errors[0]!;
    return document.toJS() as Yaml;
  });

const toolchain = (version: string): PlanToolchainInput => ({
  version,
  goos: 'linux',
  goarch: 'amd64',
  treeDigest: `h1:digest-of-${version}`,
  ports: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'],
  verification: 'pinned',
  image: `airlock-sandbox:${version}-0123456789abcdef`,
});

const PLAN = resolvePlan({
  module: { path: 'example.com/tool', go: '1.26', vendored: true },
  mainPackages: ['./cmd/tool'],
  targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'].map(parseTarget),
  toolchains: [toolchain('go1.26.8'), toolchain('go1.27.3')],
  ldflags: [],
  tags: [],
});

const scripts = (job: Yaml): string => [job.script, job.run].flat().filter((line) => typeof line === 'string').join('\n');

test('every CI file has a template, and each template parses as YAML', async (t) => {
  for (const system of CI_SYSTEMS) {
    for (const template of await loadCiTemplates(system)) {
      t.true(template.text.length > 0, template.template);
      t.notThrows(() => (template.kind === 'pipeline' ? yaml(template.text) : manifest(template.text)), template.template);
    }
  }
  t.deepEqual(
    CI_SYSTEMS.flatMap((system) => CI_FILES[system].map((file) => file.path)),
    ['.github/workflows/airlock-release.yml', '.gitlab-ci.yml', '.gitlab/airlock-build.yml', '.gitlab-ci.yml', '.gitlab/airlock-kubernetes-rbac.yml'],
  );
  t.deepEqual(CI_SYSTEMS, ['github', 'gitlab', 'gitlab-kubernetes']);
  for (const system of CI_SYSTEMS) t.regex(CI_NEXT_STEPS[system], /^next: commit the public key from `airlock keygen` as airlock\.pub/, system);
});

test('GitHub: test, plan, build, merge and verify jobs, chained by needs, with the build matrix from the plan job', async (t) => {
  const workflow = yaml((await templates('github')).get('.github/workflows/airlock-release.yml')!.text);
  t.deepEqual(Object.keys(workflow.jobs as object), ['test', 'plan', 'build', 'merge', 'verify']);
  t.deepEqual(workflow.on.push.tags, ['v*']);
  t.true('workflow_dispatch' in workflow.on);
  t.deepEqual(workflow.permissions, { contents: 'read' });
  t.regex(workflow.env.AIRLOCK_SHARDS, /^[1-9]\d*$/, 'the shard count is a placeholder string');
  t.is(workflow.env.AIRLOCK_MODULE, '.');

  const { test: tests, plan, build, merge, verify } = workflow.jobs as Record<string, Yaml>;
  // The tests once, signed; their results are uploaded whatever the outcome, and the build waits for them.
  t.regex((tests!.steps as Yaml[]).map(scripts).join('\n'), /npx --no airlock test "\$AIRLOCK_MODULE" --cache --out "\$RUNNER_TEMP\/test-results" --sign-key /);
  const testUpload = (tests!.steps as Yaml[]).find((step) => String(step.uses).startsWith('actions/upload-artifact@'))!;
  t.is(testUpload.if, 'always()');
  t.is(testUpload.with.name, 'airlock-test-results');
  const planStep = (plan!.steps as Yaml[]).find((step) => step.id === 'plan')!;
  t.is(plan!.outputs.matrix, '${{ steps.plan.outputs.matrix }}');
  t.regex(planStep.run, /npx --no airlock plan "\$AIRLOCK_MODULE" --format github --shards "\$AIRLOCK_SHARDS"/);
  t.regex(planStep.run, /^matrix=\$\(npx .*\)$/m, 'assigned on its own line, so a failing plan fails the step');
  t.regex(planStep.run, /echo "matrix=\$matrix" >> "\$GITHUB_OUTPUT"/);

  t.deepEqual(build!.needs, ['plan', 'test']);
  t.is(build!.strategy.matrix, '${{ fromJSON(needs.plan.outputs.matrix) }}');
  const buildRun = (build!.steps as Yaml[]).map(scripts).join('\n');
  t.regex(buildRun, /npx --no airlock build "\$AIRLOCK_MODULE" --shard "\$AIRLOCK_SHARD" --out /);
  const buildEnv = (build!.steps as Yaml[]).find((step) => step.env?.AIRLOCK_SHARD)!.env;
  t.is(buildEnv.AIRLOCK_SHARD, '${{ matrix.shard }}');
  t.is(buildEnv.AIRLOCK_KEY_PASSPHRASE, '${{ secrets.AIRLOCK_KEY_PASSPHRASE }}');

  t.is(merge!.needs, 'build');
  const mergeRun = (merge!.steps as Yaml[]).map(scripts).join('\n');
  t.regex(mergeRun, /npx --no airlock merge "\$RUNNER_TEMP"\/shards\/\* "\$RUNNER_TEMP\/test-results" --out "\$RUNNER_TEMP\/dist" --key airlock\.pub/);
  t.is(verify!.needs, 'merge');
  t.regex((verify!.steps as Yaml[]).map(scripts).join('\n'), /npx --no airlock verify "\$RUNNER_TEMP\/dist" --key airlock\.pub/);

  // Artifacts: each shard under its own name, downloaded together by the merge job.
  const upload = (build!.steps as Yaml[]).find((step) => String(step.uses).startsWith('actions/upload-artifact@'))!;
  t.is(upload.with.name, 'airlock-shard-${{ strategy.job-index }}');
  const downloads = (merge!.steps as Yaml[]).filter((step) => String(step.uses).startsWith('actions/download-artifact@'));
  t.is(downloads[0]!.with.pattern, 'airlock-shard-*');
  t.deepEqual(downloads[1]!.with, { name: 'airlock-test-results', path: '${{ runner.temp }}/test-results' });
});

test('GitHub: every matrix field the workflow reads is one `airlock plan --format github` writes', async (t) => {
  const text = (await templates('github')).get('.github/workflows/airlock-release.yml')!.text;
  const used = new Set([...text.matchAll(/\bmatrix\.([A-Za-z_][\w-]*)/g)].map((match) => match[1]!));
  t.true(used.has('shard'));
  const include = githubMatrix(PLAN, 3).include;
  t.is(include.length, 3);
  for (const field of used) t.true(include.every((entry) => field in entry), `matrix.${field}`);
  t.deepEqual(include.map((entry) => entry.shard), ['1/3', '2/3', '3/3']);
});

test('GitHub: self-hosted runners only, and no action but checkout and the artifact actions', async (t) => {
  const workflow = yaml((await templates('github')).get('.github/workflows/airlock-release.yml')!.text);
  for (const [name, job] of Object.entries(workflow.jobs as Record<string, Yaml>)) {
    t.true((job['runs-on'] as string[]).includes('self-hosted'), name);
    for (const step of job.steps as Yaml[]) {
      if (step.uses !== undefined) t.regex(step.uses, /^actions\/(checkout|upload-artifact|download-artifact)@v\d+$/, `${name}: ${step.uses}`);
    }
  }
});

test('GitLab parent: a plan job whose artifact, with the child file, makes the child pipeline', async (t) => {
  const files = await templates('gitlab');
  const parent = yaml(files.get('.gitlab-ci.yml')!.text);
  t.deepEqual(parent.stages, ['plan', 'release']);
  t.regex(parent.variables.AIRLOCK_SHARDS, /^[1-9]\d*$/);
  t.is(parent.variables.AIRLOCK_MODULE, '.');
  t.true((parent.workflow.rules as Yaml[]).some((rule) => rule.if === '$CI_COMMIT_TAG'));

  const plan = parent['airlock-plan'] as Yaml;
  t.is(plan.stage, 'plan');
  t.deepEqual(plan.tags, ['airlock']);
  t.regex(scripts(plan), /npx --no airlock plan "\$AIRLOCK_MODULE" --format gitlab --shards "\$AIRLOCK_SHARDS" > airlock-matrix\.json/);
  t.deepEqual(plan.artifacts.paths, ['airlock-matrix.json']);

  const trigger = parent['airlock-release'] as Yaml;
  t.is(trigger.stage, 'release');
  t.deepEqual(trigger.needs, ['airlock-plan']);
  t.is(trigger.trigger.strategy, 'depend');
  // GitLab takes up to three files to compose a child pipeline.
  t.deepEqual(trigger.trigger.include, [{ local: '.gitlab/airlock-build.yml' }, { artifact: 'airlock-matrix.json', job: 'airlock-plan' }]);
  t.true(files.has(trigger.trigger.include[0].local as string), 'the included child file is one init writes');
  for (const stage of [plan.stage, trigger.stage]) t.true((parent.stages as string[]).includes(stage));
});

test('GitLab child: with the plan output merged in, the tests, one build job per shard, then merge and verify', async (t) => {
  const child = yaml((await templates('gitlab')).get('.gitlab/airlock-build.yml')!.text);
  const generated = gitlabMatrix(PLAN, 4) as Yaml;
  // GitLab merges the included files into one configuration; the generated file only adds airlock-build.
  t.deepEqual(Object.keys(generated), ['airlock-build']);
  t.false('airlock-build' in child);
  const config = { ...child, ...(yaml(JSON.stringify(generated)) as Yaml) };

  t.deepEqual(config.stages, ['test', 'build', 'merge', 'verify']);
  // The tests run once, before any shard; GitLab shows their JUnit file, of failing runs too.
  const tests = config['airlock-test'] as Yaml;
  t.is(tests.stage, 'test');
  t.regex(scripts(tests), /npx --no airlock test "\$AIRLOCK_MODULE" --cache --out test-results --sign-key "\$AIRLOCK_SIGNING_KEY"/);
  t.is(tests.artifacts.when, 'always');
  t.deepEqual(tests.artifacts.reports, { junit: 'test-results/junit.xml' });
  t.deepEqual(tests.artifacts.paths, ['test-results/']);
  t.deepEqual(config.default.tags, ['airlock']);
  const base = config[config['airlock-build'].extends as string] as Yaml;
  t.is(config['airlock-build'].extends, '.airlock-build');
  t.is(base.stage, 'build');
  t.regex(scripts(base), /npx --no airlock build "\$AIRLOCK_MODULE" --shard "\$AIRLOCK_SHARD" --out "\$out"/);
  t.deepEqual(base.artifacts.paths, ['shards/']);
  const matrix = config['airlock-build'].parallel.matrix as Yaml[];
  t.deepEqual(matrix.map((entry) => entry.AIRLOCK_SHARD), ['1/4', '2/4', '3/4', '4/4']);
  t.true(matrix.length <= 200, 'GitLab allows at most 200 parallel:matrix jobs');

  const merge = config['airlock-merge'] as Yaml;
  t.is(merge.stage, 'merge');
  t.regex(scripts(merge), /npx --no airlock merge shards\/\* test-results --out dist --key airlock\.pub/);
  t.deepEqual(merge.artifacts.paths, ['dist/']);
  const verify = config['airlock-verify'] as Yaml;
  t.is(verify.stage, 'verify');
  t.deepEqual(verify.needs, ['airlock-merge']);
  t.regex(scripts(verify), /npx --no airlock verify dist --key airlock\.pub/);
  const stages = config.stages as string[];
  t.true(stages.indexOf(tests.stage) < stages.indexOf(base.stage) && stages.indexOf(base.stage) < stages.indexOf(merge.stage) && stages.indexOf(merge.stage) < stages.indexOf(verify.stage));
});

test('GitLab child: each shard writes its own directory under shards/ (POSIX sh)', async (t) => {
  const child = yaml((await templates('gitlab')).get('.gitlab/airlock-build.yml')!.text);
  const outLine = (child['.airlock-build'].script as string[]).find((line) => line.startsWith('out='))!;
  const run = promisify(execFile);
  const outDir = async (shard: string) =>
    (await run('sh', ['-c', `${outLine}; printf '%s' "$out"`], { env: { PATH: process.env.PATH, AIRLOCK_SHARD: shard } })).stdout;
  t.is(await outDir('1/4'), 'shards/1-4');
  t.is(await outDir('12/200'), 'shards/12-200');
});

test('the templates call airlock through `npx --no` only, so a runner never fetches it', async (t) => {
  for (const system of CI_SYSTEMS) {
    for (const template of (await loadCiTemplates(system)).filter((file) => file.kind === 'pipeline')) {
      const calls = template.text.split('\n').filter((line) => /\bairlock (plan|build|merge|verify)\b/.test(line) && !line.trimStart().startsWith('#'));
      t.true(calls.length > 0, template.template);
      for (const line of calls) t.regex(line, /npx --no airlock /, `${template.template}: ${line.trim()}`);
      t.notRegex(template.text, /setup-go|docker (pull|login)|curl |wget /, template.template);
    }
  }
});

test('GitLab on Kubernetes: a build job on the Kubernetes executor, signed with the File variable key, then verify; nothing needs Docker', async (t) => {
  const files = await templates('gitlab-kubernetes');
  t.deepEqual([...files.keys()], ['.gitlab-ci.yml', '.gitlab/airlock-kubernetes-rbac.yml']);
  const text = files.get('.gitlab-ci.yml')!.text;
  const pipeline = yaml(text);
  t.deepEqual(pipeline.stages, ['build', 'verify']);
  t.is(pipeline.variables.AIRLOCK_MODULE, '.');
  t.is(pipeline.variables.AIRLOCK_K8S_NAMESPACE, 'airlock');
  t.true((pipeline.workflow.rules as Yaml[]).some((rule) => rule.if === '$CI_COMMIT_TAG'));
  // Its own tag: a shell runner tagged `airlock` (the gitlab template's) does not take these jobs.
  t.deepEqual(pipeline.default.tags, ['airlock-kubernetes']);

  const build = pipeline['airlock-build'] as Yaml;
  t.is(build.stage, 'build');
  t.regex(scripts(build), /^npx --no airlock build "\$AIRLOCK_MODULE" --executor kubernetes --out dist --sign-key "\$AIRLOCK_SIGNING_KEY"$/);
  t.deepEqual(build.artifacts.paths, ['dist/']);
  const verify = pipeline['airlock-verify'] as Yaml;
  t.is(verify.stage, 'verify');
  t.deepEqual(verify.needs, ['airlock-build']);
  t.regex(scripts(verify), /^npx --no airlock verify dist --key airlock\.pub$/);

  // The job pod has no Docker daemon: no command that needs one (airlock test, plan's image builds, docker itself).
  const commands = [build, verify].map(scripts).join('\n');
  t.notRegex(commands, /\bdocker\b|airlock (test|plan|reproduce|doctor|prune)\b|--test\b/);
  // The comments say what the cluster needs.
  for (const need of ['pod-security.kubernetes.io/enforce=restricted', 'airlock generate seccomp --kubernetes', 'kubectl apply --namespace airlock -f .gitlab/airlock-kubernetes-rbac.yml', 'registry']) {
    t.true(text.includes(need), need);
  }
});

/** The permissions a Role grants, one per verb and resource, as the access reviews name them. */
function rolePermissions(role: Yaml): Permission[] {
  return (role.rules as Yaml[]).flatMap((rule) =>
    (rule.resources as string[]).flatMap((resource) =>
      (rule.verbs as string[]).map((verb) => {
        const [name, subresource] = resource.split('/');
        const group = (rule.apiGroups as string[])[0];
        return { verb, resource: name!, ...(subresource !== undefined ? { subresource } : {}), ...(group ? { group } : {}) };
      }),
    ),
  );
}

test('GitLab on Kubernetes: the RBAC manifest is a ServiceAccount, a Role granting exactly what the executor asks for (and pods/log), and their RoleBinding, in no named namespace', async (t) => {
  const objects = manifest((await templates('gitlab-kubernetes')).get('.gitlab/airlock-kubernetes-rbac.yml')!.text);
  t.deepEqual(objects.map((object) => `${object.apiVersion} ${object.kind} ${object.metadata.name}`), [
    'v1 ServiceAccount airlock-build',
    'rbac.authorization.k8s.io/v1 Role airlock-build',
    'rbac.authorization.k8s.io/v1 RoleBinding airlock-build',
  ]);
  // Applied with --namespace: nothing may pin another one.
  for (const object of objects) t.is(object.metadata.namespace, undefined, object.kind);
  const [, role, binding] = objects;
  for (const rule of role!.rules as Yaml[]) t.is((rule.apiGroups as string[]).length, 1, 'one API group a rule');
  const granted = rolePermissions(role!).map(permissionName).sort();
  // The access reviews of kubernetes-connect.ts, plus get pods/log, which the engine reads to explain a failed fill.
  const asked = [...REQUIRED_PERMISSIONS, { verb: 'get', resource: 'pods', subresource: 'log' }].map(permissionName).sort();
  t.deepEqual(granted, asked);
  t.deepEqual(
    rolePermissions(role!).filter((permission) => permission.resource === 'networkpolicies').map((permission) => permission.group),
    ['networking.k8s.io', 'networking.k8s.io'],
  );
  t.deepEqual(binding!.subjects, [{ kind: 'ServiceAccount', name: 'airlock-build' }]);
  t.deepEqual(binding!.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'airlock-build' });
});

test('GitLab on Kubernetes: the next steps name the signing variables, the runner tag and each thing the cluster needs', (t) => {
  const next = CI_NEXT_STEPS['gitlab-kubernetes'];
  for (const part of ['File variable AIRLOCK_SIGNING_KEY', 'AIRLOCK_KEY_PASSPHRASE', '`airlock-kubernetes`', 'pod-security.kubernetes.io/enforce=restricted', 'airlock generate seccomp --kubernetes', 'kubernetes.registry', 'kubectl apply --namespace airlock -f .gitlab/airlock-kubernetes-rbac.yml', 'KUBECONFIG']) {
    t.true(next.includes(part), part);
  }
});

test('setTemplateModuleDir points the pipelines at the module, whatever its path', async (t) => {
  const github = (await templates('github')).get('.github/workflows/airlock-release.yml')!.text;
  const gitlab = (await templates('gitlab')).get('.gitlab-ci.yml')!.text;
  t.is(yaml(setTemplateModuleDir(github, 'go/tool')).env.AIRLOCK_MODULE, 'go/tool');
  t.is(yaml(setTemplateModuleDir(gitlab, 'go/tool')).variables.AIRLOCK_MODULE, 'go/tool');
  t.is(setTemplateModuleDir(github, '.'), github);
  // Only the AIRLOCK_MODULE line changes.
  const changed = setTemplateModuleDir(github, 'x').split('\n').filter((line, index) => line !== github.split('\n')[index]);
  t.deepEqual(changed, ['  AIRLOCK_MODULE: "x"']);
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40 }), (dir) => {
      return yaml(setTemplateModuleDir(github, dir)).env.AIRLOCK_MODULE === dir && yaml(setTemplateModuleDir(gitlab, dir)).variables.AIRLOCK_MODULE === dir;
    }),
    { numRuns: 200 },
  );
});

test('planInitFiles: airlock.json in the module, the CI files at the repository root, pointed at the module', async (t) => {
  const root = path.resolve('/repo');
  const files = planInitFiles({ moduleDir: path.join(root, 'go', 'tool'), repositoryRoot: root, configText: '{}\n', templates: await loadCiTemplates('gitlab') });
  t.deepEqual(
    files.map((file) => file.path),
    [path.join(root, 'go', 'tool', 'airlock.json'), path.join(root, '.gitlab-ci.yml'), path.join(root, '.gitlab', 'airlock-build.yml')],
  );
  t.is(files[0]!.content, '{}\n');
  t.is(yaml(files[1]!.content).variables.AIRLOCK_MODULE, 'go/tool');
  t.deepEqual(planInitFiles({ moduleDir: root, repositoryRoot: root, configText: '{}\n' }).map((file) => file.path), [path.join(root, 'airlock.json')]);
  const onKubernetes = planInitFiles({ moduleDir: path.join(root, 'go', 'tool'), repositoryRoot: root, configText: '{}\n', templates: await loadCiTemplates('gitlab-kubernetes') });
  t.deepEqual(onKubernetes.map((file) => file.path).slice(1), [path.join(root, '.gitlab-ci.yml'), path.join(root, '.gitlab', 'airlock-kubernetes-rbac.yml')]);
  t.is(yaml(onKubernetes[1]!.content).variables.AIRLOCK_MODULE, 'go/tool');
  t.is(onKubernetes[2]!.content, (await templates('gitlab-kubernetes')).get('.gitlab/airlock-kubernetes-rbac.yml')!.text, 'the manifest is written as it is');
  t.is(moduleDirInRepository(root, root), '.');
  t.throws(() => moduleDirInRepository(path.join(root, 'a'), path.join(root, 'b')));
});

test('the project CI workflow runs lint, type-check, unit and integration tests', async (t) => {
  const text = await fs.readFile(path.join(packageRoot(), '.github', 'workflows', 'ci.yml'), 'utf8');
  const steps = Object.values(yaml(text).jobs as Record<string, Yaml>).flatMap((job) => job.steps as Yaml[]);
  const runs = steps.map((step) => String(step.run ?? '')).join('\n');
  for (const command of ['npm run lint', 'npm run typecheck', 'npm run test:unit', 'npm run test:integration']) t.true(runs.includes(command), command);
});

/**
 * Runs a GitLab CI pipeline's jobs on this machine the way a shell-executor runner would, so a test can check
 * that the pipeline airlock writes really works: each job gets a fresh checkout, the artifacts of the jobs it
 * needs (or of every job in earlier stages), the pipeline's variables, its parallel:matrix variables and the
 * CI/CD variables (File variables as a path to a file holding the value); its script lines run in one bash
 * with `set -eo pipefail`, as the shell executor does. `extends` is resolved one level; `trigger` is not run
 * here: the caller runs the child pipeline with the configuration GitLab would merge. Anything else this
 * runner does not understand throws, so a template change it cannot follow fails the test.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';

type Job = {
  stage?: string;
  extends?: string;
  script?: string[];
  needs?: string[];
  variables?: Record<string, string>;
  parallel?: { matrix: Array<Record<string, string>> };
  artifacts?: { paths?: string[]; when?: 'on_success' | 'always'; reports?: { junit?: string }; expire_in?: string };
};

export type PipelineConfig = Record<string, unknown> & { stages?: string[]; variables?: Record<string, string> };

export interface PipelineRunnerOptions {
  repository: string;
  scratch: string;
  /** CI/CD variables of type Variable. */
  variables: Record<string, string>;
  /** CI/CD variables of type File: the job sees a path to a file holding the value. */
  fileVariables: Record<string, string>;
  baseEnv: NodeJS.ProcessEnv;
  prepareWorkspace?: (workspace: string) => Promise<void>;
}

export interface JobRun {
  name: string;
  log: string;
  /** Where the job's artifacts were collected. */
  artifacts: string;
  /** artifacts:reports:junit, as GitLab collects it: the file's path among the artifacts. */
  junit?: string;
}

/** What a failed job left: its log and, with artifacts:when: always, its artifacts. */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly run: JobRun,
  ) {
    super(message);
  }
}

const RESERVED = new Set(['stages', 'variables', 'default', 'workflow', 'include']);

export class LocalPipelineRunner {
  private readonly done: JobRun[] = [];
  private serial = 0;

  constructor(private readonly options: PipelineRunnerOptions) {}

  /** Runs every job of `config` stage by stage (hidden `.jobs` only as bases), with `globals` as the pipeline's variables. */
  async runPipeline(config: PipelineConfig, globals: Record<string, string> = {}): Promise<JobRun[]> {
    const stages = config.stages ?? ['build', 'test', 'deploy'];
    const jobs = Object.entries(config).filter(([name]) => !RESERVED.has(name) && !name.startsWith('.')) as Array<[string, Job]>;
    const runs: JobRun[] = [];
    const variables = { ...globals, ...(config.variables ?? {}) };
    for (const stage of stages) {
      for (const [name, raw] of jobs) {
        const job = this.resolve(config, raw);
        if ((job.stage ?? 'test') !== stage) continue;
        if ('trigger' in job) throw new Error(`${name} triggers a child pipeline: run that pipeline with runPipeline`);
        const entries = job.parallel?.matrix ?? [{}];
        for (const [index, matrix] of entries.entries()) {
          const label = job.parallel ? `${name}: [${Object.values(matrix).join(', ')}]` : name;
          const sources = job.needs ? this.done.filter((run) => job.needs!.includes(run.name)) : [...this.done];
          runs.push(await this.runJob(name, label, job, { ...variables, ...(job.variables ?? {}), ...matrix, ...(job.parallel ? { CI_NODE_INDEX: String(index + 1) } : {}) }, sources));
        }
      }
      this.done.push(...runs.filter((run) => !this.done.includes(run)));
    }
    return runs;
  }

  private resolve(config: PipelineConfig, job: Job): Job {
    if (job.extends === undefined) return job;
    const base = config[job.extends] as Job | undefined;
    if (!base) throw new Error(`extends: ${job.extends} is not in the configuration`);
    if (base.extends !== undefined) throw new Error('this runner resolves one level of extends');
    return { ...base, ...job, extends: undefined } as Job;
  }

  private async runJob(name: string, label: string, job: Job, variables: Record<string, string>, sources: JobRun[]): Promise<JobRun> {
    if (!job.script) throw new Error(`${label} has no script`);
    const root = path.join(this.options.scratch, `job-${this.serial++}`);
    const workspace = path.join(root, 'build');
    await fs.copy(this.options.repository, workspace);
    await this.options.prepareWorkspace?.(workspace);
    // Artifacts are extracted into the workspace before the script runs.
    for (const source of sources) await fs.copy(source.artifacts, workspace, { overwrite: true });
    const files: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.options.fileVariables)) {
      const file = path.join(root, `file-variable-${key}`);
      await fs.writeFile(file, value, { mode: 0o600 });
      files[key] = file;
    }
    const script = path.join(root, 'script.sh');
    await fs.writeFile(script, `set -eo pipefail\n${job.script.join('\n')}\n`);
    const result = await execa('bash', ['--noprofile', '--norc', script], {
      cwd: workspace,
      env: { ...this.options.baseEnv, ...this.options.variables, ...files, ...variables, CI: 'true', GITLAB_CI: 'true', CI_PROJECT_DIR: workspace },
      extendEnv: false,
      all: true,
      reject: false,
    });
    const log = String(result.all);
    const when = job.artifacts?.when ?? 'on_success';
    if (when !== 'on_success' && when !== 'always') throw new Error(`this runner does not know artifacts:when: ${String(when)}`);
    const artifacts = path.join(root, 'artifacts');
    await fs.mkdirp(artifacts);
    if (result.exitCode === 0 || when === 'always') {
      for (const entry of [...(job.artifacts?.paths ?? []), ...(job.artifacts?.reports?.junit !== undefined ? [job.artifacts.reports.junit] : [])]) {
        const source = path.join(workspace, entry);
        if (await fs.pathExists(source)) await fs.copy(source, path.join(artifacts, entry));
      }
    }
    const unknownReports = Object.keys(job.artifacts?.reports ?? {}).filter((kind) => kind !== 'junit');
    if (unknownReports.length > 0) throw new Error(`this runner does not know artifacts:reports: ${unknownReports.join(', ')}`);
    const junit = job.artifacts?.reports?.junit !== undefined ? path.join(artifacts, job.artifacts.reports.junit) : undefined;
    const run: JobRun = { name, log, artifacts, ...(junit !== undefined && (await fs.pathExists(junit)) ? { junit } : {}) };
    if (result.exitCode !== 0) throw new JobFailure(`job ${label} failed (exit ${result.exitCode}):\n${log}`, run);
    return run;
  }
}

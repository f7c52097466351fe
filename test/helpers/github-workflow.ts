/**
 * Runs a GitHub Actions workflow's jobs on this machine the way a self-hosted runner would, so a test can
 * check that the workflow airlock writes really works: each `run:` step is executed by bash with GitHub's
 * default options, with `${{ }}` expressions, step outputs, RUNNER_TEMP and GITHUB_OUTPUT as GitHub provides
 * them. The actions the template uses are done locally: checkout copies the repository, upload-artifact and
 * download-artifact move files through a local store, laid out as version 4 documents (by `name`, into
 * `path`; by `pattern`, each artifact into `path/<name>/`). Any other action or expression throws, so a
 * template change this runner does not understand fails the test instead of being skipped.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';

export interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  /** Only `always()`: the step runs after an earlier step failed too. */
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
}

export interface WorkflowJob {
  needs?: string | string[];
  outputs?: Record<string, string>;
  strategy?: { matrix: string };
  env?: Record<string, string>;
  steps: WorkflowStep[];
}

export interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, WorkflowJob>;
}

export interface RunnerOptions {
  /** The repository the checkout action gives every job (copied afresh for each). */
  repository: string;
  /** Where the runner keeps job workspaces, temp directories and artifacts. */
  scratch: string;
  secrets: Record<string, string>;
  /** The environment every step gets before the workflow's own (PATH, HOME, AIRLOCK_HOME...). */
  baseEnv: NodeJS.ProcessEnv;
  /** Runs before each job's steps, in its workspace (for example, to make the airlock CLI resolvable there). */
  prepareWorkspace?: (workspace: string) => Promise<void>;
}

export interface JobResult {
  outputs: Record<string, string>;
  /** Each `run:` step's combined output, by step name or id. */
  logs: string[];
}

interface Context {
  matrix: Record<string, unknown>;
  needs: Record<string, { outputs: Record<string, string> }>;
  steps: Record<string, { outputs: Record<string, string> }>;
  jobIndex: number;
  runnerTemp: string;
}

export class LocalWorkflowRunner {
  private readonly results = new Map<string, JobResult[]>();
  private serial = 0;

  constructor(
    private readonly workflow: Workflow,
    private readonly options: RunnerOptions,
  ) {}

  /** Runs one job: once, or once per `include` entry of its matrix, in order. */
  async runJob(name: string): Promise<JobResult[]> {
    const job = this.workflow.jobs[name];
    if (!job) throw new Error(`the workflow has no job ${name}`);
    const needs = Object.fromEntries(
      [job.needs ?? []].flat().map((need) => {
        const done = this.results.get(need);
        if (!done) throw new Error(`job ${name} needs ${need}, which has not run`);
        return [need, { outputs: Object.assign({}, ...done.map((result) => result.outputs)) as Record<string, string> }];
      }),
    );
    const matrices = job.strategy ? this.matrixEntries(job.strategy.matrix, needs) : [{}];
    const results: JobResult[] = [];
    for (const [jobIndex, matrix] of matrices.entries()) results.push(await this.runInstance(name, job, { matrix, needs, steps: {}, jobIndex, runnerTemp: '' }));
    this.results.set(name, results);
    return results;
  }

  private matrixEntries(expression: string, needs: Context['needs']): Array<Record<string, unknown>> {
    const matrix = JSON.parse(substitute(expression, { matrix: {}, needs, steps: {}, jobIndex: 0, runnerTemp: '' }, {})) as { include?: Array<Record<string, unknown>> };
    if (!Array.isArray(matrix.include)) throw new Error('this runner supports matrices given as { include: [...] } only');
    return matrix.include;
  }

  private async runInstance(name: string, job: WorkflowJob, context: Context): Promise<JobResult> {
    const root = path.join(this.options.scratch, `${name}-${this.serial++}`);
    const workspace = path.join(root, 'workspace');
    context.runnerTemp = path.join(root, 'temp');
    await fs.mkdirp(context.runnerTemp);
    const logs: string[] = [];
    let failure: Error | undefined;
    for (const step of job.steps) {
      if (step.if !== undefined && step.if !== 'always()') throw new Error(`this runner evaluates no step condition but always(): ${step.if}`);
      // After a failed step, only the steps that ask for it still run, as on GitHub.
      if (failure && step.if !== 'always()') continue;
      if (step.uses !== undefined) {
        await this.runAction(step, workspace, context);
        continue;
      }
      if (step.run === undefined) throw new Error(`a step of ${name} has neither run nor uses`);
      const env: Record<string, string> = {};
      for (const layer of [this.workflow.env, job.env, step.env]) {
        for (const [key, value] of Object.entries(layer ?? {})) env[key] = substitute(String(value), context, this.options.secrets);
      }
      // Step names may use expressions too (the matrix's fields): evaluating them checks those fields exist.
      const label = step.name !== undefined ? substitute(step.name, context, this.options.secrets) : (step.id ?? 'run');
      const outputFile = path.join(context.runnerTemp, `output-${this.serial++}`);
      await fs.writeFile(outputFile, '');
      const script = path.join(context.runnerTemp, `step-${this.serial++}.sh`);
      await fs.writeFile(script, substitute(step.run, context, this.options.secrets));
      // GitHub's default shell for `run` on Linux.
      const result = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
        cwd: workspace,
        env: { ...this.options.baseEnv, ...env, GITHUB_OUTPUT: outputFile, GITHUB_WORKSPACE: workspace, RUNNER_TEMP: context.runnerTemp, CI: 'true', GITHUB_ACTIONS: 'true' },
        extendEnv: false,
        all: true,
        reject: false,
      });
      logs.push(`[${label}]\n${String(result.all)}`);
      if (result.exitCode !== 0) {
        failure ??= new Error(`job ${name}, step ${label} failed (exit ${result.exitCode}):\n${String(result.all)}`);
        continue;
      }
      if (step.id !== undefined) context.steps[step.id] = { outputs: parseOutputFile(await fs.readFile(outputFile, 'utf8')) };
    }
    if (failure) throw failure;
    const outputs = Object.fromEntries(Object.entries(job.outputs ?? {}).map(([key, value]) => [key, substitute(value, context, this.options.secrets)]));
    return { outputs, logs };
  }

  private async runAction(step: WorkflowStep, workspace: string, context: Context): Promise<void> {
    const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([key, value]) => [key, substitute(String(value), context, this.options.secrets)]));
    const artifacts = path.join(this.options.scratch, 'artifacts');
    switch (step.uses) {
      case 'actions/checkout@v4':
        await fs.copy(this.options.repository, workspace);
        await this.options.prepareWorkspace?.(workspace);
        return;
      case 'actions/upload-artifact@v4': {
        const source = path.resolve(workspace, inputs.path!);
        const exists = await fs.pathExists(source);
        if (!exists && inputs['if-no-files-found'] === 'error') throw new Error(`upload-artifact: no files at ${inputs.path}`);
        const stored = path.join(artifacts, inputs.name!);
        if (await fs.pathExists(stored)) throw new Error(`upload-artifact: an artifact named ${inputs.name} already exists`);
        // A single file is stored under its own name, as upload-artifact does.
        await fs.copy(source, (await fs.stat(source)).isDirectory() ? stored : path.join(stored, path.basename(source)));
        return;
      }
      case 'actions/download-artifact@v4': {
        const target = path.resolve(workspace, inputs.path ?? '.');
        if (inputs.name !== undefined) {
          await fs.copy(path.join(artifacts, inputs.name), target);
          return;
        }
        const pattern = new RegExp(`^${(inputs.pattern ?? '*').split('*').map(escapeRegExp).join('.*')}$`);
        for (const name of (await fs.readdir(artifacts)).filter((candidate) => pattern.test(candidate))) await fs.copy(path.join(artifacts, name), path.join(target, name));
        return;
      }
      default:
        throw new Error(`this runner does not know the action ${step.uses}`);
    }
  }
}

/** Replaces every `${{ expression }}` the templates use; anything else is an error. */
function substitute(text: string, context: Context, secrets: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    const fromJson = /^fromJSON\((.+)\)$/.exec(expression);
    if (fromJson) return substitute(`\${{ ${fromJson[1]} }}`, context, secrets);
    const [head, ...rest] = expression.split('.');
    const key = rest.join('.');
    switch (head) {
      case 'matrix':
        if (!(key in context.matrix)) throw new Error(`the matrix entry has no ${key}`);
        return String(context.matrix[key]);
      case 'secrets':
        if (!(key in secrets)) throw new Error(`no secret ${key} was given to the runner`);
        return secrets[key]!;
      case 'strategy':
        if (key === 'job-index') return String(context.jobIndex);
        break;
      case 'runner':
        if (key === 'temp') return context.runnerTemp;
        break;
      case 'needs': {
        const [job, outputs, output] = rest;
        const value = outputs === 'outputs' ? context.needs[job!]?.outputs[output!] : undefined;
        if (value === undefined) throw new Error(`no output ${expression}`);
        return value;
      }
      case 'steps': {
        const [step, outputs, output] = rest;
        const value = outputs === 'outputs' ? context.steps[step!]?.outputs[output!] : undefined;
        if (value === undefined) throw new Error(`no output ${expression}`);
        return value;
      }
    }
    throw new Error(`this runner does not evaluate \${{ ${expression} }}`);
  });
}

/** GITHUB_OUTPUT: `name=value` lines, or `name<<DELIMITER` ... `DELIMITER` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, index + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: ${heredoc[1]} is not closed by ${heredoc[2]}`);
      outputs[heredoc[1]!] = lines.slice(index + 1, end).join('\n');
      index = end;
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return outputs;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

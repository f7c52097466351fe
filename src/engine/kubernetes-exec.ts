import type { V1Status } from '@kubernetes/client-node';
import type { ContainerSpec, ExecRequest } from './engine.js';
import { FILE_HELPER_PATH } from './kubernetes-pod.js';

/**
 * What runs through Kubernetes exec. The exec API takes a command only: no working directory, environment or
 * user. So every command goes through the file helper's `run` (templates/file-helper), which changes to the
 * request's directory and replaces itself with the command under exactly the environment Docker's exec would
 * give it: the container's own, with the request's variables added or replacing. The user cannot change in a
 * running pod; it is the pod's, and a request for another one is refused rather than run as the wrong user.
 * Pure.
 */
export function execArguments(spec: Pick<ContainerSpec, 'env' | 'user'>, request: ExecRequest): string[] {
  if (request.user !== spec.user) {
    throw new Error(`a Kubernetes pod runs every command as its own user ${spec.user}, not ${request.user}`);
  }
  const env = { ...spec.env, ...request.env };
  for (const name of Object.keys(env)) {
    if (name === '' || name.includes('=') || name.includes('\0')) throw new Error(`the environment variable name ${JSON.stringify(name)} cannot be passed`);
  }
  return [FILE_HELPER_PATH, 'run', request.workingDir, ...Object.entries(env).map(([name, value]) => `${name}=${value}`), '--', ...request.command];
}

/** The command's exit status from the status the exec stream ends with, or why there is none. */
export function execExitCode(status: V1Status): { exitCode: number } | { failure: string } {
  if (status.status === 'Success') return { exitCode: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((candidate) => candidate.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code) && code >= 0) return { exitCode: code };
  }
  return { failure: status.message ?? status.reason ?? 'the exec failed without a message' };
}

/**
 * The cluster's copy of this app: the profile's command must be SAE Workbench of this very
 * version, because the node runs the job with its own code and the results come home to ours.
 * Asked with the profile's environment lines (module load ...), as the batch script runs it.
 */
import type { ClusterProfile } from '../../preload/api';
import { APP_VERSION } from '../appVersion';
import { WorkbenchError } from '../errors';
import type { ClusterShell } from './clusterShell';
import { tail } from './slurm';

export function parseVersionLine(stdout: string): string | null {
  return /^sae-workbench (\S+)\s*$/m.exec(stdout)?.[1] ?? null;
}

/** The remote command's version when it equals this app's; otherwise an error naming both. */
export async function checkRemoteCommand(shell: ClusterShell, profile: Pick<ClusterProfile, 'name' | 'command' | 'env'>): Promise<string> {
  const res = await shell.run([...profile.env, `${profile.command} --version`].join('\n'), { timeoutMs: 180_000 });
  const found = parseVersionLine(res.stdout);
  if (res.code === 127 || (!found && /command not found|No such file or directory|Cannot find module/i.test(res.stderr))) {
    throw new WorkbenchError('CLUSTER_COMMAND_NOT_FOUND', `The command of cluster "${profile.name}" (${profile.command}) does not run on ${shell.reached}: ${tail(res.stderr, 2) || `exit ${res.code}`}.`, `Give the profile the path of SAE Workbench ${APP_VERSION} there (e.g. /shared/sae-workbench/bin/sae-workbench.mjs), and the environment lines it needs (module load nodejs).`);
  }
  if (!found) {
    throw new WorkbenchError('CLUSTER_COMMAND_NOT_APP', `The command of cluster "${profile.name}" (${profile.command}) on ${shell.reached} is not SAE Workbench: \`--version\` printed "${tail(res.stdout || res.stderr, 2) || 'nothing'}".`, `Point it at SAE Workbench ${APP_VERSION} (its bin/sae-workbench.mjs), which prints "sae-workbench ${APP_VERSION}".`);
  }
  if (found !== APP_VERSION) {
    throw new WorkbenchError('CLUSTER_VERSION_MISMATCH', `The command of cluster "${profile.name}" on ${shell.reached} is SAE Workbench ${found}; this app is ${APP_VERSION}.`, `Install SAE Workbench ${APP_VERSION} on the cluster (the same checkout or release as this app) and point the profile's command at it.`);
  }
  return found;
}

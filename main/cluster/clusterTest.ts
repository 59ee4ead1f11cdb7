import type { ClusterProfile, ClusterTestResult } from '../../preload/api';
import { shellFor } from './clusterShell';
import { checkRemoteCommand } from './remoteCommand';
import { slurmPartitions } from './slurm';

/** "Test connection": sinfo's partitions there, and the remote command's version (it must be this app's). */
export async function testCluster(profile: ClusterProfile): Promise<ClusterTestResult> {
  const shell = shellFor(profile);
  const { version, partitions } = await slurmPartitions(shell);
  const commandVersion = await checkRemoteCommand(shell, profile);
  return { name: profile.name, reached: shell.reached, slurmVersion: version, partitions, commandVersion };
}

import { ClusterProfiles } from '../cluster/clusterProfiles';
import { testCluster } from '../cluster/clusterTest';
import type { HandlerTable } from './handlers';

type ClusterMethods = 'cluster.list' | 'cluster.add' | 'cluster.remove' | 'cluster.test';

export const clusterHandlers: HandlerTable<ClusterMethods> = {
  'cluster.list': (_p, s) => new ClusterProfiles(s.db).list(),
  'cluster.add': ({ profile, replace }, s) => new ClusterProfiles(s.db).add(profile, { replace }),
  'cluster.remove': ({ name }, s) => {
    new ClusterProfiles(s.db).remove(name);
    return { removed: true as const };
  },
  'cluster.test': ({ name }, s) => testCluster(new ClusterProfiles(s.db).get(name)),
};

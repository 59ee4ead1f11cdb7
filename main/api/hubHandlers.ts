import { HUB_DOWNLOAD_JOB_KIND, type JobView } from '../../preload/api';
import { removePartials, type HubDownloadCheckpoint } from '../hub/downloadJob';
import { writeStoredHubSettings } from '../hub/hubConfig';
import { hubSessionFor, hubSettingsView } from '../hub/hubHome';
import { etagOf } from '../hub/hubClient';
import { listRepoFiles, repoCacheOf, resolveCommit } from '../hub/repoFiles';
import { parseRepoRef } from '../hub/repoRef';
import { storeHubToken } from '../hub/token';
import type { HandlerTable } from './handlers';
import type { CoreServices } from './services';

type HubMethods = 'hub.resolve' | 'hub.listFiles' | 'hub.download' | 'hub.settings' | 'hub.setToken';

/** The repo, type and revision a request means: explicit fields win over what a pasted URL says. */
function target(p: { repo: string; repoType?: 'model' | 'dataset'; revision?: string }) {
  const ref = parseRepoRef(p.repo, p.repoType);
  return { repoId: ref.repoId, repoType: ref.repoType, revision: p.revision ?? ref.revision ?? 'main' };
}

export const hubHandlers: HandlerTable<HubMethods> = {
  'hub.resolve': (p, s) => resolveCommit(hubSessionFor(s.db, s.home), target(p)),
  'hub.listFiles': async (p, s) => {
    const { remote: _remote, ...list } = await listRepoFiles(hubSessionFor(s.db, s.home), { ...target(p), include: p.include, exclude: p.exclude });
    return list;
  },
  'hub.download': (p, s) => {
    const t = target(p);
    return s.jobs.add(
      HUB_DOWNLOAD_JOB_KIND,
      {
        ...t,
        ...(p.include ? { include: p.include } : {}),
        ...(p.exclude ? { exclude: p.exclude } : {}),
        ...(p.files ? { files: p.files } : {}),
        ...(p.parallelFiles ? { parallelFiles: p.parallelFiles } : {}),
        keepPartialOnCancel: p.keepPartialOnCancel ?? false,
      },
      p.priority ?? 0,
    );
  },
  'hub.settings': (p, s) => {
    if (p.endpoint !== undefined || p.offline !== undefined || p.parallelFiles !== undefined || p.tokenEndpointConfirmed !== undefined) writeStoredHubSettings(s.db, p);
    return hubSettingsView(s.db, s.home);
  },
  'hub.setToken': ({ token }, s) => {
    storeHubToken(s.home, token);
    return hubSettingsView(s.db, s.home);
  },
};

const ACTIVE_STATES = new Set(['queued', 'running', 'pausing', 'cancelling', 'paused', 'interrupted']);

/**
 * Core-side follow-ups of download jobs: a job cancelled while queued or paused never runs its
 * worker again, so its partial files are removed here (unless the user chose to keep them);
 * a completed download tells the Library that the cache changed.
 */
export function watchHubDownloads(s: Pick<CoreServices, 'events' | 'jobStore' | 'db' | 'home'>): () => void {
  return s.events.subscribe((event, payload) => {
    if (event !== 'job.updated') return;
    const job = payload as JobView;
    if (job.kind !== HUB_DOWNLOAD_JOB_KIND) return;
    const params = job.params as { repoId: string; repoType: 'model' | 'dataset'; keepPartialOnCancel?: boolean };
    if (job.state === 'completed') {
      const result = job.result as { commitSha?: string } | null;
      if (result?.commitSha) s.events.emit('hub.cacheChanged', { repoId: params.repoId, repoType: params.repoType, commitSha: result.commitSha });
      return;
    }
    if (job.state !== 'cancelled' || params.keepPartialOnCancel) return;
    try {
      const plan = s.jobStore.checkpointOf(job.id) as HubDownloadCheckpoint | null;
      if (!plan) return;
      // Another live download of the same blob keeps its partial file.
      const inUse = new Set<string>();
      for (const other of s.jobStore.list()) {
        if (other.id === job.id || other.kind !== HUB_DOWNLOAD_JOB_KIND || !ACTIVE_STATES.has(other.state)) continue;
        const otherPlan = s.jobStore.checkpointOf(other.id) as HubDownloadCheckpoint | null;
        otherPlan?.files.forEach((f) => inUse.add(etagOf(f)));
      }
      const done = new Set(plan.done);
      const cache = repoCacheOf(hubSessionFor(s.db, s.home), params);
      removePartials(cache, plan.files.filter((f) => !done.has(f.path)).map(etagOf).filter((e) => !inUse.has(e)));
    } catch {
      // Cleanup is best effort: a leftover .incomplete file is harmless and resumable.
    }
  });
}

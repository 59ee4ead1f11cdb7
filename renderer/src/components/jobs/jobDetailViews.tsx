import type { ComponentType } from 'react';
import type { JobView } from '../../../../preload/api';
import { COMPARE_DIFF_JOB_KIND } from '../../../../preload/contract/compare';
import { INDEX_BUILD_JOB_KIND } from '../../../../preload/contract/featureIndex';
import { HUB_DOWNLOAD_JOB_KIND } from '../../../../preload/contract/hub';
import { TRAIN_SAE_KIND } from '../../../../preload/contract/train';
import { routeHref } from '../../router';
import { RunCharts } from '../training/TrainingCharts';
import { DownloadProgress } from '../library/DownloadProgress';

export interface JobDetailViewProps {
  /** The job, live: re-rendered on every job.updated. */
  job: JobView;
}

/**
 * What a job kind shows in the Queue's job detail above its log: charts, per-file progress,
 * curves. One line per kind; a kind without an entry shows its log and result only.
  */
export const jobDetailViews: Record<string, ComponentType<JobDetailViewProps>> = {
  [HUB_DOWNLOAD_JOB_KIND]: ({ job }) => <DownloadProgress job={job} onError={() => {}} embedded />,
  [TRAIN_SAE_KIND]: ({ job }) => <RunCharts runs={[{ jobId: job.id, label: job.title }]} />,
  [INDEX_BUILD_JOB_KIND]: ({ job }) => {
    const ids = (job.result as { indexIds?: string[] } | null)?.indexIds ?? [];
    return ids.length === 0 ? null : (
      <p className="small">
        Open: {ids.map((id, i) => (
          <a key={id} href={routeHref('features', { index: id })}>
            {i > 0 ? ', ' : ''}
            {id}
          </a>
        ))}
      </p>
    );
  },
  [COMPARE_DIFF_JOB_KIND]: ({ job }) => {
    const p = job.params as { a?: string; b?: string; condition?: string; method?: string; minRate?: number; threshold?: number } | null;
    // Every setting of the diff, so the page's inputs and its match views agree with the table.
    return job.state === 'completed' && p ? (
      <p className="small">
        <a href={routeHref('compare', { a: p.a, b: p.b, cond: p.condition, method: p.method, minRate: p.minRate, threshold: p.threshold, diff: job.id })}>Open the diff on the Compare page</a>
      </p>
    ) : null;
  },
};

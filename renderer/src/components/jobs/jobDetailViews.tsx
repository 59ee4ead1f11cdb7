import type { ComponentType } from 'react';
import type { JobView } from '../../../../preload/api';
import { HUB_DOWNLOAD_JOB_KIND } from '../../../../preload/contract/hub';
import { DownloadProgress } from '../library/DownloadProgress';

export interface JobDetailViewProps {
  /** The job, live: re-rendered on every job.updated. */
  job: JobView;
}

/**
 * What a job kind shows in the Queue's job detail above its log: charts, per-file progress,
 * curves. One line per kind; a kind without an entry shows its log and result only.
 * e.g. `'train.sae': TrainingCharts,` (from components/train/).
 */
export const jobDetailViews: Record<string, ComponentType<JobDetailViewProps>> = {
  [HUB_DOWNLOAD_JOB_KIND]: ({ job }) => <DownloadProgress job={job} onError={() => {}} embedded />,
};

import { useEffect, useState } from 'react';
import type { JobView } from '../../../preload/api';
import { useClient, useEvent } from './context';

/** Follows a job by id: its latest view, from the queue's events. */
export function useJob(id: string | null): JobView | null {
  const client = useClient();
  const [job, setJob] = useState<JobView | null>(null);
  useEffect(() => {
    setJob(null);
    if (id) client.call('jobs.get', { id }).then(setJob, () => setJob(null));
  }, [client, id]);
  useEvent('job.updated', (j) => j.id === id && setJob(j), [id]);
  return job;
}

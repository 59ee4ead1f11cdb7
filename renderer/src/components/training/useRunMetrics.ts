import { useEffect, useRef, useState } from 'react';
import type { JobView, TrainMetricPoint, TrainRunWarning } from '../../../../preload/api';
import { useClient, useEvent } from '../../client/context';

const POLL_MS = 1500;
const ACTIVE = new Set(['queued', 'running', 'pausing', 'cancelling']);

/**
 * The metric points of training runs (train.metrics), kept up to date: runs that are active are
 * polled from their last line on, and a job update refreshes its run at once; finished runs are
 * read once. Points survive restarts (they live in the run's metrics.jsonl). Each read also brings
 * the core's warnings on the whole curve so far (a dead share still rising), kept per run.
 */
export function useRunMetrics(jobIds: string[]): { points: Record<string, TrainMetricPoint[]>; warnings: Record<string, TrainRunWarning[]> } {
  const client = useClient();
  const [points, setPoints] = useState<Record<string, TrainMetricPoint[]>>({});
  const [warnings, setWarnings] = useState<Record<string, TrainRunWarning[]>>({});
  const next = useRef<Record<string, number>>({});
  const active = useRef<Set<string>>(new Set());
  const key = jobIds.join(',');

  useEffect(() => {
    let cancelled = false;
    const ids = key ? key.split(',') : [];
    next.current = {};
    setPoints({});
    setWarnings({});
    // One request per run at a time: two overlapping reads from the same line would append twice.
    const inFlight = new Set<string>();
    const fetchRun = async (id: string) => {
      if (inFlight.has(id)) return;
      inFlight.add(id);
      try {
        const page = await client.call('train.metrics', { jobId: id, after: next.current[id] ?? 0 });
        if (cancelled) return;
        // Read even when empty, so a finished run without points is not asked again and again.
        next.current[id] = page.next;
        if (page.points.length > 0) setPoints((p) => ({ ...p, [id]: [...(p[id] ?? []), ...page.points] }));
        setWarnings((w) => (JSON.stringify(w[id] ?? []) === JSON.stringify(page.warnings) ? w : { ...w, [id]: page.warnings }));
      } finally {
        inFlight.delete(id);
      }
    };
    const poll = () => Promise.all(ids.map((id) => (next.current[id] === undefined || active.current.has(id) ? fetchRun(id) : null))).catch(() => {});
    void Promise.all(ids.map((id) => client.call('jobs.get', { id }).then((j) => (ACTIVE.has(j.state) ? active.current.add(id) : active.current.delete(id)), () => {}))).then(poll);
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [client, key]);

  useEvent(
    'job.updated',
    (job: JobView) => {
      if (!jobIds.includes(job.id)) return;
      if (ACTIVE.has(job.state)) active.current.add(job.id);
      else {
        // One last read after the run stops, then it is left alone.
        active.current.add(job.id);
        setTimeout(() => active.current.delete(job.id), POLL_MS * 2);
      }
    },
    [key],
  );
  return { points, warnings };
}

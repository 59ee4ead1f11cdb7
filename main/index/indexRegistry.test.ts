import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { JobStore } from '../jobs/store';
import { makeTempDir } from '../testing/tempDirs';
import { IndexRegistry, type IndexRecord } from './indexRegistry';

const tmp = makeTempDir('index-registry');
afterAll(() => tmp.cleanup());

function record(id: string, jobId: string | null, createdAt: number): Omit<IndexRecord, 'layer' | 'summary' | 'error' | 'finishedAt' | 'state'> {
  return {
    id, jobId, modelPath: `/m/${id}`, saePath: `/s/${id}`, datasetPath: '/d', hookName: 'blocks.0.hook_resid_post', dSae: 8, corpusId: 'c',
    labels: { model: id, sae: id, dataset: 'd' }, params: {} as IndexRecord['params'], provenance: {} as IndexRecord['provenance'], createdAt,
  } as Omit<IndexRecord, 'layer' | 'summary' | 'error' | 'finishedAt' | 'state'>;
}

describe('index.list order', () => {
  it('lists indexes newest-queued first, whichever of two queued together started first', () => {
    const db = openDatabase(tmp.dir);
    const jobs = new JobStore(db, () => false);
    const first = jobs.insert({ kind: 'index.build', title: 'A', params: {}, priority: 0, resource: 'cpu' });
    const second = jobs.insert({ kind: 'index.build', title: 'B', params: {}, priority: 0, resource: 'cpu' });
    const registry = new IndexRegistry(db);
    // The second-queued job hashed its inputs faster and registered its index first.
    registry.insert(record('idx-b', second.id, 1000));
    registry.insert(record('idx-a', first.id, 2000));
    // An index recovered from disk has no job: it sorts after those that do, by its own time.
    registry.insert(record('idx-old', null, 3000));
    expect(registry.list().map((r) => r.id)).toEqual(['idx-b', 'idx-a', 'idx-old']);
    db.close();
  });
});

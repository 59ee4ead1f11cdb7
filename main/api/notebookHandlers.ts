import type { ActsResult, EncodeResult, IndexActivations } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { jobOutput } from '../jobOutputs';
import type { HandlerTable } from './handlers';

type NotebookMethods = 'engine.acts' | 'engine.encode' | 'index.activations' | 'jobs.output';

export const notebookHandlers: HandlerTable<NotebookMethods> = {
  // Models, SAEs and the sparse store are loaded and read in the interactive worker, never on the core's event loop.
  'engine.acts': (params, s) => s.interactive.request<ActsResult>('engine.acts', params),
  'engine.encode': (params, s) => s.interactive.request<EncodeResult>('engine.encode', params),
  'index.activations': (params, s) => s.interactive.request<IndexActivations>('index.activations', params),
  'jobs.output': ({ id }, s) => {
    const job = s.jobStore.get(id);
    if (!job) throw new WorkbenchError('JOB_NOT_FOUND', `There is no job ${id}.`, 'Job ids are listed by jobs.list (the Queue page).');
    return jobOutput(job, { home: s.home, db: s.db });
  },
};

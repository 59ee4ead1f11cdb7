import { INDEX_BUILD_JOB_KIND } from '../../preload/api';
import { IndexCatalog } from '../index/indexCatalog';
import { prepareIndexBuild } from '../index/prepareIndexBuild';
import { searchFeatures } from '../labels/labelSearch';
import type { HandlerTable } from './handlers';

type IndexMethods = 'index.list' | 'index.build' | 'index.remove' | 'index.features' | 'index.feature' | 'index.search';

export const indexHandlers: HandlerTable<IndexMethods> = {
  'index.list': (_p, s) => new IndexCatalog(s.home, s.db).list(),
  'index.build': async (params, s) => {
    // Refuse bad input (no usable rows, SAE width vs model, SAEs of different models) before queueing.
    await prepareIndexBuild(params);
    return s.jobs.add(INDEX_BUILD_JOB_KIND, params);
  },
  'index.remove': ({ id }, s) => {
    new IndexCatalog(s.home, s.db).remove(id);
    return { removed: true as const };
  },
  'index.features': ({ id }, s) => new IndexCatalog(s.home, s.db).reader(id).listing(),
  'index.feature': ({ id, feature }, s) => new IndexCatalog(s.home, s.db).reader(id).feature(feature),
  // Labels and notes are searched too (main/labels/labelSearch.ts).
  'index.search': ({ id, query, limit }, s) => searchFeatures(s.db, new IndexCatalog(s.home, s.db).reader(id), query, limit),
};

/**
 * `crosscoder.analyse`: Δnorm, bands, decoder cosines, densities and latent scaling of a
 * crosscoder folder; the whole analysis goes to the run folder (crosscoder_analysis.json), the
 * job's result is its summary. Heavy imports stay inside run().
 */
import { CROSSCODER_ANALYSE_KIND, CrosscoderAnalyseParamsSchema, type CrosscoderAnalyseParams } from '../../preload/contract/crosscoder';
import { defineJobKind } from '../jobs/kind';
import path from 'node:path';

/** The Library model linked to side A or B of the crosscoder folder `dir`, or null. */
export async function linkedModelLookup(home: string): Promise<(side: 'A' | 'B', _cc: unknown, dir: string) => string | null> {
  const [{ openDatabase, databasePath }, { LibraryCatalog }, fs] = await Promise.all([import('../db/connection'), import('../library/libraryCatalog'), import('node:fs')]);
  // A home without a database (a first CLI call) has no Library to ask.
  if (!fs.existsSync(databasePath(home))) return () => null;
  const db = openDatabase(home);
  try {
    const items = new LibraryCatalog(db).items().filter((i) => i.kind === 'crosscoder');
    return (side, _cc, dir) => {
      const item = items.find((i) => i.path === dir);
      return (side === 'A' ? item?.crosscoder?.linkA.modelPath : item?.crosscoder?.linkB.modelPath) ?? null;
    };
  } finally {
    db.close();
  }
}

export const crosscoderAnalyseJob = defineJobKind<CrosscoderAnalyseParams>({
  kind: CROSSCODER_ANALYSE_KIND,
  description: 'Crosscoder diffing: relative decoder norm (Δnorm) of every latent, A-only/shared/B-only bands, decoder cosines, densities, and latent scaling (nu_r, nu_eps) of the one-model latents.',
  params: CrosscoderAnalyseParamsSchema,
  title: (p) => `Analyse crosscoder · ${path.basename(p.crosscoder)}`,
  resource: (p) => (p.device === 'cpu' ? 'cpu' : 'gpu'),
  pausable: false,
  async run(ctx, params) {
    const { analyseCrosscoder, writeAnalysis } = await import('./crosscoderAnalyseRun');
    const linked = await linkedModelLookup(ctx.home);
    const analysis = await analyseCrosscoder(params, { log: (l, m) => ctx.log(l, m), progress: (f, m) => ctx.progress(f, m), linkedModel: linked });
    const c = analysis.counts;
    ctx.log('info', `${c.live} live latents: ${c['a-only']} A-only, ${c.shared} shared, ${c['b-only']} B-only, ${c.other} other; latent scaling confirms ${analysis.confirmed.aOnly.length} A-only and ${analysis.confirmed.bOnly.length} B-only.`);
    return writeAnalysis(ctx.runDir, analysis);
  },
});

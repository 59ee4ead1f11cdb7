import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/tempDirs';
import { bringHome } from './bringHome';
import type { ClusterPaths } from './clusterPaths';
import { LocalShell } from './clusterShell';

const tmp = makeTempDir('bring-home');
afterAll(tmp.cleanup);

const JOB = '20261205-0000beef';

/** A job folder as a node leaves it: its run folder (with a checkpoint), an index, an output folder. */
function nodeHome(root: string): ClusterPaths {
  const home = path.join(root, 'job', 'home');
  const run = path.join(home, 'runs', JOB);
  fs.mkdirSync(path.join(run, 'saes', 'h'), { recursive: true });
  fs.writeFileSync(path.join(run, 'experiment.json'), '{"x":1}');
  fs.writeFileSync(path.join(run, 'checkpoint.safetensors'), Buffer.alloc(1000));
  fs.mkdirSync(path.join(home, 'index', 'corpora'), { recursive: true });
  // An index whose meta names the cluster's copy of its model, and the node's home.
  const ix = new Database(path.join(home, 'index', 'ix-0123456789.sqlite'));
  ix.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  ix.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('provenance', JSON.stringify({ model: { root: path.join(root, 'inputs', 'model') }, run: `${home}/runs/${JOB}` }));
  ix.close();
  fs.writeFileSync(path.join(home, 'index', 'corpora', 'c1.sqlite'), 'corpus bytes');
  fs.mkdirSync(path.join(home, 'outputs', '0', 'blocks.2'), { recursive: true });
  fs.writeFileSync(path.join(home, 'outputs', '0', 'blocks.2', 'cfg.json'), '{}');
  return { format: 1, target: 't', jobDir: path.join(root, 'job'), remoteHome: home, inputs: [['/here/model', path.join(root, 'inputs', 'model')]], outputs: [[path.join(root, 'out'), path.join(home, 'outputs', '0')]], copiedChecksums: '' };
}

/** A real copy that a disturbance corrupts on the way: what the checksums are there to catch. */
class CorruptingShell extends LocalShell {
  override async downloadFiles(remoteRoot: string, files: string[], localRoot: string): Promise<void> {
    await super.downloadFiles(remoteRoot, files, localRoot);
    fs.appendFileSync(path.join(localRoot, files.find((f) => f.endsWith('cfg.json'))!), ' ');
  }
}

describe('bringing results home', () => {
  it('places the run folder (without checkpoints), the index and the output folder, and records their sha256', async () => {
    const root = path.join(tmp.dir, 'ok');
    const paths = nodeHome(root);
    const home = path.join(root, 'local');
    const brought = await bringHome(new LocalShell(), { home, jobId: JOB, paths, overwrite: false });
    expect(brought.files).toBe(4);
    expect(brought.indexFiles).toEqual([path.join(home, 'index', 'ix-0123456789.sqlite')]);
    expect(fs.readFileSync(path.join(home, 'runs', JOB, 'experiment.json'), 'utf8')).toBe('{"x":1}');
    expect(fs.existsSync(path.join(home, 'runs', JOB, 'checkpoint.safetensors'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'out', 'blocks.2', 'cfg.json'), 'utf8')).toBe('{}');
    // The index names its model where it is here, and this home instead of the node's.
    const ix = new Database(path.join(home, 'index', 'ix-0123456789.sqlite'), { readonly: true });
    expect(JSON.parse((ix.prepare("SELECT value FROM meta WHERE key = 'provenance'").get() as { value: string }).value)).toEqual({ model: { root: '/here/model' }, run: `${home}/runs/${JOB}` });
    ix.close();
    expect(fs.readFileSync(path.join(home, 'runs', JOB, 'results.sha256'), 'utf8').trim().split('\n')).toHaveLength(4);
    expect(fs.existsSync(path.join(home, 'cluster-staging', JOB))).toBe(false);
  });

  it('a file that fails its checksum on the way home: an error naming it, and nothing is placed', async () => {
    const root = path.join(tmp.dir, 'corrupt');
    const paths = nodeHome(root);
    const home = path.join(root, 'local');
    await expect(bringHome(new CorruptingShell(), { home, jobId: JOB, paths, overwrite: false })).rejects.toMatchObject({ code: 'CLUSTER_CHECKSUM', message: expect.stringContaining('outputs/0/blocks.2/cfg.json of job 20261205-0000beef failed its checksum on the way home') });
    expect(fs.existsSync(path.join(home, 'runs', JOB))).toBe(false);
    expect(fs.existsSync(path.join(home, 'index', 'ix-0123456789.sqlite'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'out'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'cluster-staging', JOB))).toBe(false);
  });

  it('an output folder that exists here is not written over unless the job asked to overwrite', async () => {
    const root = path.join(tmp.dir, 'exists');
    const paths = nodeHome(root);
    fs.mkdirSync(path.join(root, 'out', 'blocks.2'), { recursive: true });
    fs.writeFileSync(path.join(root, 'out', 'blocks.2', 'cfg.json'), 'mine');
    const home = path.join(root, 'local');
    await expect(bringHome(new LocalShell(), { home, jobId: JOB, paths, overwrite: false })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(fs.readFileSync(path.join(root, 'out', 'blocks.2', 'cfg.json'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(home, 'runs', JOB, 'experiment.json'))).toBe(false);
    await bringHome(new LocalShell(), { home, jobId: JOB, paths, overwrite: true });
    expect(fs.readFileSync(path.join(root, 'out', 'blocks.2', 'cfg.json'), 'utf8')).toBe('{}');
  });
});

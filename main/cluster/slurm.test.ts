import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { makeTempDir } from '../testing/tempDirs';
import { ClusterProfiles } from './clusterProfiles';
import { fromCluster, mapPaths, type ClusterPaths } from './clusterPaths';
import { localManifest, manifestDifference, parseManifest, remoteManifestCommand } from './fileManifest';
import { parseVersionLine } from './remoteCommand';
import { parseSbatchAnswer, parseScontrol, parseSinfo, parseStateLine, parseStateProbe, sbatchScript, slurmStateEnded } from './slurm';

const tmp = makeTempDir('slurm-unit');
afterAll(tmp.cleanup);

describe('Slurm text in and out', () => {
  it('sinfo lines grouped by partition, the default one marked', () => {
    const parts = parseSinfo('gpu|up|2-00:00:00|3|idle|gpu:a100:4\ngpu|up|2-00:00:00|1|allocated|gpu:a100:4\ncpu*|up|infinite|10|mixed|(null)\n');
    expect(parts).toEqual([
      { name: 'gpu', default: false, avail: 'up', timeLimit: '2-00:00:00', nodes: 4, states: '3 idle, 1 allocated', gres: 'gpu:a100:4' },
      { name: 'cpu', default: true, avail: 'up', timeLimit: 'infinite', nodes: 10, states: '10 mixed', gres: '' },
    ]);
  });

  it('squeue, sacct and scontrol answers read into one state', () => {
    expect(parseStateLine('PENDING|Priority|')).toEqual({ state: 'PENDING', reason: 'Priority', node: null });
    expect(parseStateLine('RUNNING|None|node07')).toEqual({ state: 'RUNNING', reason: null, node: 'node07' });
    expect(parseStateLine('CANCELLED by 0|None|node07')).toEqual({ state: 'CANCELLED', reason: null, node: 'node07' });
    expect(parseScontrol('JobId=5 JobName=x JobState=TIMEOUT Reason=TimeLimit Dependency=(null) NodeList=n1 BatchHost=n1')).toEqual({ state: 'TIMEOUT', reason: 'TimeLimit', node: 'n1' });
    expect(parseStateProbe('scontrol JobId=5 JobState=PREEMPTED Reason=None NodeList=(null)')).toEqual({ state: 'PREEMPTED', reason: null, node: null });
    expect(parseStateProbe('\n')).toBeNull();
    expect(['COMPLETED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'CANCELLED'].every(slurmStateEnded)).toBe(true);
    expect(['PENDING', 'RUNNING', 'REQUEUED', 'COMPLETING', 'SUSPENDED'].some(slurmStateEnded)).toBe(false);
  });

  it('sbatch --parsable answers; the version line of the remote command', () => {
    expect(parseSbatchAnswer('1234\n')).toBe('1234');
    expect(parseSbatchAnswer('1234;cluster2\n')).toBe('1234');
    expect(parseSbatchAnswer('sbatch: error: invalid partition')).toBeNull();
    expect(parseVersionLine('sae-workbench 0.1.0\n')).toBe('0.1.0');
    expect(parseVersionLine('v20.1.0\n')).toBeNull();
  });

  it('the batch script asks for the profile\'s resources, the signal before the limit, requeue, and execs the node\'s command', () => {
    const script = sbatchScript({
      jobId: '20261205-0123abcd',
      kind: 'train.sae',
      jobDir: '/shared/wb/20261205-0123abcd',
      resume: false,
      profile: { partition: 'gpu', account: 'lab', qos: null, time: '04:00:00', cpus: 8, mem: '32G', gres: 'gpu:1', sbatch: ['constraint=a100', '#SBATCH --exclusive'], env: ['module load nodejs/20', 'export HF_HOME=/shared/hf'], command: '/shared/sae-workbench/bin/sae-workbench.mjs' },
    });
    for (const line of ['#SBATCH --partition=gpu', '#SBATCH --account=lab', '#SBATCH --time=04:00:00', '#SBATCH --cpus-per-task=8', '#SBATCH --mem=32G', '#SBATCH --gres=gpu:1', '#SBATCH --constraint=a100', '#SBATCH --exclusive', '#SBATCH --signal=B:USR1@120', '#SBATCH --requeue', 'module load nodejs/20', 'RESUME=']) {
      expect(script.split('\n'), line).toContain(line);
    }
    expect(script).not.toContain('--qos');
    expect(script).toContain("exec /shared/sae-workbench/bin/sae-workbench.mjs 'jobs' 'run' 'train.sae' '--job-id' '20261205-0123abcd' '--params-file' '/shared/wb/20261205-0123abcd/params.json' '--home' '/shared/wb/20261205-0123abcd/home'");
    // Directives come before the first command (sbatch stops reading them there).
    const lines = script.split('\n');
    expect(lines.findLastIndex((l) => l.startsWith('#SBATCH'))).toBeLessThan(lines.findIndex((l) => l.startsWith('cd ')));
    expect(sbatchScript({ jobId: 'x', kind: 'k', jobDir: '/d', resume: true, profile: { partition: null, account: null, qos: null, time: null, cpus: null, mem: null, gres: null, sbatch: [], env: [], command: 'c' } })).toMatch(/^RESUME=--resume$/m);
  });
});

describe('paths here and there', () => {
  it('maps inputs, outputs and the node\'s home back to this machine, longest prefix first', () => {
    const paths: ClusterPaths = {
      format: 1,
      target: 'hpc',
      jobDir: '/shared/wb/j',
      remoteHome: '/shared/wb/j/home',
      inputs: [['/data/model', '/shared/wb/inputs/abc/model'], ['/same/dataset.jsonl', '/same/dataset.jsonl']],
      outputs: [['/results/saes', '/shared/wb/j/home/outputs/0']],
      copiedChecksums: '',
    };
    const result = { out: '/shared/wb/j/home/outputs/0/blocks.2', artifact: '/shared/wb/j/home/runs/j/experiment.json', model: '/shared/wb/inputs/abc/model', n: 3, other: '/shared/wb/j/homework' };
    expect(mapPaths(result, fromCluster(paths, '/home/me/.sae-workbench'))).toEqual({ out: '/results/saes/blocks.2', artifact: '/home/me/.sae-workbench/runs/j/experiment.json', model: '/data/model', n: 3, other: '/shared/wb/j/homework' });
  });
});

describe('sha256 manifests', () => {
  it('the same here (Node) and there (sha256sum), for a folder and a file', () => {
    const dir = path.join(tmp.dir, 'model');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), '{"a":1}');
    fs.writeFileSync(path.join(dir, 'sub', 'w.bin'), Buffer.from([1, 2, 3]));
    for (const root of [dir, path.join(dir, 'config.json')]) {
      const there = parseManifest(execFileSync('bash', ['-c', remoteManifestCommand(root)], { encoding: 'utf8' }));
      expect(manifestDifference(localManifest(root), there)).toBeNull();
    }
    const changed = parseManifest(execFileSync('bash', ['-c', remoteManifestCommand(dir)], { encoding: 'utf8' }));
    fs.writeFileSync(path.join(dir, 'sub', 'w.bin'), Buffer.from([1, 2, 4]));
    expect(manifestDifference(localManifest(dir), changed)).toMatch(/^\.\/sub\/w\.bin has sha256/);
  });
});

describe('cluster profiles', () => {
  it('are checked field by field, kept in the app database, and not removed under a running job', () => {
    fs.mkdirSync(path.join(tmp.dir, 'home'), { recursive: true });
    const db = openDatabase(path.join(tmp.dir, 'home'));
    try {
      const profiles = new ClusterProfiles(db);
      const base = { name: 'hpc', via: 'ssh', host: 'login.hpc.edu', workdir: '/shared/wb', command: '/shared/sae-workbench/bin/sae-workbench.mjs' };
      expect(() => profiles.add({ ...base, host: null })).toThrow(/host: an ssh target needs a host/);
      expect(() => profiles.add({ ...base, workdir: 'relative/dir' })).toThrow(/workdir: an absolute path on the cluster/);
      expect(() => profiles.add({ ...base, time: '4 hours' })).toThrow(/time: a Slurm time limit/);
      expect(() => profiles.add({ ...base, partition: 'gpu; rm -rf ~' })).toThrow(/partition: one word/);
      expect(() => profiles.add({ ...base, env: ['module load x\nrm -rf ~'] })).toThrow(/env\.0: one line/);
      const added = profiles.add({ ...base, gres: 'gpu:1', time: '1-00:00:00', sbatch: ['--constraint=a100'] });
      expect(profiles.get('hpc')).toEqual(added);
      expect(() => profiles.add(base)).toThrow(/exists already/);
      expect(profiles.add({ ...added, gres: 'gpu:2' }, { replace: true }).gres).toBe('gpu:2');
      expect(() => profiles.get('nope')).toThrow(/There is no cluster profile "nope"/);
      db.prepare("INSERT INTO jobs (id, kind, title, params, state, position, resource, created_at, target) VALUES ('20260101-00000001', 'train.sae', 't', '{}', 'running', 1, 'cpu', 0, 'hpc')").run();
      expect(() => profiles.remove('hpc')).toThrow(/not finished \(20260101-00000001\)/);
      db.prepare("UPDATE jobs SET state = 'completed'").run();
      profiles.remove('hpc');
      expect(profiles.list()).toEqual([]);
    } finally {
      db.close();
    }
  });
});

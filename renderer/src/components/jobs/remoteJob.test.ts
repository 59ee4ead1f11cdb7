import { describe, expect, it } from 'vitest';
import type { RemoteJobInfo } from '../../../../preload/api';
import { remoteJobRows, remoteJobText, shownState } from './remoteJob';

const remote = (over: Partial<RemoteJobInfo>): RemoteJobInfo => ({ slurmJobId: '42', slurmState: 'PENDING', reason: 'Priority', node: null, jobDir: '/shared/wb/j', previousSlurmJobIds: [], resubmits: 0, logLines: 0, ...over });

describe('a job on a cluster, in the Queue\'s words', () => {
  it('says Slurm\'s state with the reason while pending and the node while running; nothing for local jobs', () => {
    expect(remoteJobText({ target: null, remote: null, state: 'running' })).toBeNull();
    expect(remoteJobText({ target: 'hpc', remote: null, state: 'queued' })).toBe('on hpc · not submitted yet');
    expect(remoteJobText({ target: 'hpc', remote: remote({}), state: 'running' })).toBe('on hpc · Slurm 42 PENDING (Priority)');
    expect(remoteJobText({ target: 'hpc', remote: remote({ slurmState: 'RUNNING', reason: null, node: 'gpu07' }), state: 'running' })).toBe('on hpc · Slurm 42 RUNNING on gpu07');
    expect(remoteJobText({ target: 'hpc', remote: remote({ slurmState: 'COMPLETED', node: 'gpu07' }), state: 'completed' })).toBe('on hpc · Slurm 42 COMPLETED');
    expect(remoteJobText({ target: 'hpc', remote: remote({ reason: 'Dependency', arrayJobId: '41', parts: 4 }), state: 'running' })).toBe('on hpc · Slurm 42 PENDING (Dependency) · 4 parts: array 41');
  });

  it('shows a submitted job that Slurm still holds back as pending, not running', () => {
    expect(shownState({ state: 'running', target: 'hpc', remote: remote({}) })).toEqual({ label: 'pending', className: 'state state-queued' });
    expect(shownState({ state: 'running', target: 'hpc', remote: remote({ slurmState: 'RUNNING' }) }).label).toBe('running');
    expect(shownState({ state: 'running', target: null, remote: null }).label).toBe('running');
  });

  it('lists the Slurm job, state, node, folder and earlier submissions in the detail', () => {
    const rows = Object.fromEntries(remoteJobRows({ target: 'hpc', remote: remote({ slurmState: 'RUNNING', reason: null, node: 'n1', previousSlurmJobIds: ['40', '41'] }), state: 'running' } as never));
    expect(rows).toMatchObject({ 'runs on': 'cluster “hpc” (Slurm)', 'Slurm job': '42', 'Slurm state': 'RUNNING', node: 'n1', 'job folder': '/shared/wb/j', 'earlier submissions': '40, 41' });
  });
});

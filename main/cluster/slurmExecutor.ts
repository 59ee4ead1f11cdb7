/**
 * The Slurm executor: jobs whose target is a cluster profile. For each job it writes the job
 * folder (params as the cluster sees them, the batch script), submits it with sbatch, follows it
 * (Slurm's state from squeue/sacct/scontrol; the job's own status, log and metrics files) at a
 * modest poll rate with backoff, pauses (USR1: checkpoint, then the job ends) and cancels
 * (scancel), resubmits after a TIMEOUT when the profile allows, and brings the results home. To the
 * scheduler each job looks like a worker process (main/jobs/jobExecutor.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ApiError, ClusterProfile, EngineExecutionProvider, RemoteJobInfo } from '../../preload/api';
import type { Db } from '../db/connection';
import { toApiError, WorkbenchError } from '../errors';
import { runDir } from '../home';
import type { JobExecutor } from '../jobs/jobExecutor';
import type { AnyJobKind, JobKindTable } from '../jobs/registry';
import type { StopReason } from '../jobs/kind';
import type { HostToWorker, WorkerToHost } from '../jobs/protocol';
import type { WorkerHandle } from '../jobs/workerHost';
import { bringHome } from './bringHome';
import { ClusterProfiles } from './clusterProfiles';
import { fromCluster, mapPaths, readClusterPaths, toCluster, writeClusterPaths, type ClusterPaths } from './clusterPaths';
import { shellFor, sq, type ClusterShell } from './clusterShell';
import { formatManifest, localManifest, manifestDifference, parseManifest, remoteManifestCommand } from './fileManifest';
import { INPUTS_MANIFEST, LOG_FILE, NODE_HOME, PARAMS_FILE, PARTS_DIR, PARTS_SCRIPT_FILE, parseStatus, RESULT_FILE, SCRIPT_FILE, STATUS_FILE, type NodeLogLine, type NodeStatus } from './jobFolder';
import { checkRemoteCommand } from './remoteCommand';
import { parseSbatchAnswer, parseStateProbe, sbatchRejected, sbatchScript, slurmMissing, slurmStateEnded, stateProbe, tail, type SlurmJobState } from './slurm';

/** Poll intervals: from MIN while things change, growing by half each quiet poll up to MAX. */
export const POLL_MIN_MS = 2000;
export const POLL_MAX_MS = 30_000;
/** After USR1 a job has this long to checkpoint and end before it is cancelled outright. */
const PAUSE_GRACE_MS = 5 * 60_000;
/** Lines of Slurm's output file quoted when a job fails. */
const OUTPUT_TAIL_LINES = 20;

export interface SlurmExecutorDeps {
  home: string;
  db: Db;
  kinds: JobKindTable;
  /** Index files brought home, registered in the app database (main/index/indexRecovery). */
  registerIndexFiles(files: string[], paths: ClusterPaths): void;
  /** Poll interval bounds (tests shorten the longest wait). */
  pollMs?: { min: number; max: number };
}

export class SlurmExecutor implements JobExecutor {
  constructor(private readonly deps: SlurmExecutorDeps) {}

  checkTarget(target: string): void {
    new ClusterProfiles(this.deps.db).get(target);
  }

  open(jobId: string): WorkerHandle {
    return new SlurmJobHandle(this.deps, jobId);
  }
}

type StartMessage = Extract<HostToWorker, { type: 'start' }>;
type StartJob = StartMessage['job'];

interface Snapshot {
  slurm: SlurmJobState | null;
  status: NodeStatus | null;
  log: NodeLogLine[];
  /** The node's metrics.jsonl: its line count, and the complete lines after ours. */
  metrics: { total: number; lines: string[] } | null;
  jobDirMissing: boolean;
  /** For a job that splits: the array's task states (empty once Slurm forgets it) and each part's status. */
  array: { states: string[]; parts: (NodeStatus | null)[]; logs: NodeLogLine[][] } | null;
}

class SlurmJobHandle implements WorkerHandle {
  readonly pid = undefined;
  private readonly messageListeners: ((m: WorkerToHost) => void)[] = [];
  private readonly exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  private exited = false;
  private stop: StopReason | null = null;
  private detached = false;
  private wakeUp: (() => void) | null = null;
  private info: RemoteJobInfo | null = null;

  constructor(
    private readonly deps: SlurmExecutorDeps,
    private readonly jobId: string,
  ) {}

  send(message: HostToWorker): void {
    if (message.type === 'start') void this.run(message.job, message.attach === true);
    else if (message.type === 'stop') {
      this.stop ??= message.reason;
      this.wake();
    }
  }

  onMessage(listener: (message: WorkerToHost) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener);
  }

  /** Stop following; the Slurm job goes on (the app is closing). */
  kill(): void {
    this.detached = true;
    this.wake();
  }

  private emit(m: WorkerToHost): void {
    if (this.exited) return;
    for (const l of this.messageListeners) l(m);
  }

  private log(level: NodeLogLine['level'], message: string): void {
    this.emit({ type: 'log', level, message });
  }

  private setInfo(info: RemoteJobInfo): void {
    this.info = info;
    this.emit({ type: 'remote', info });
  }

  private wake(): void {
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakeUp = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async run(job: StartJob, attach: boolean): Promise<void> {
    try {
      const kind = this.deps.kinds.find(job.kind);
      const profile = new ClusterProfiles(this.deps.db).get(job.target!);
      const shell = shellFor(profile);
      this.info = job.remote ?? null;
      if (attach && !this.info?.slurmJobId && this.info) {
        // The app stopped between sbatch and recording its answer: find the job by its name.
        const found = await findByName(shell, job.id);
        if (found) this.setInfo({ ...this.info, slurmJobId: found });
      }
      if (!attach || !this.info?.slurmJobId) {
        if (this.stop) {
          this.emit({ type: 'stopped', reason: this.stop });
          return;
        }
        await this.submit(shell, profile, job, kind);
      }
      await this.follow(shell, profile, job, kind);
    } catch (err) {
      this.emit({ type: 'failed', error: toApiError(err) });
    } finally {
      this.exited = true;
      for (const l of this.exitListeners) l(0, null);
    }
  }

  /** Write the job folder (a first submission) and sbatch it; a later submission continues the checkpoint. */
  private async submit(shell: ClusterShell, profile: ClusterProfile, job: StartJob, kind: AnyJobKind): Promise<void> {
    const localRun = runDir(this.deps.home, job.id);
    const previous = this.info;
    const resume = previous !== null;
    await checkRemoteCommand(shell, profile);
    const jobDir = previous?.jobDir ?? `${profile.workdir.replace(/\/+$/, '')}/${job.id}`;
    // A job that splits (a sharded index): an array of parts, each in parts/<i>/, and the join in the job folder.
    const split = kind.remote?.parts?.(job.params) ?? null;
    const partDirs = split ? Array.from({ length: split.count }, (_, i) => `${jobDir}/${PARTS_DIR}/${i}`) : [];
    const prep = await shell.run(
      [
        ...[jobDir, ...partDirs].map((d) => `mkdir -p ${sq(`${d}/${NODE_HOME}`)} || exit 3`),
        // What an earlier submission reported is not this one's: its log goes on, its status and result go.
        ...[jobDir, ...partDirs].map((d) => `rm -f ${sq(`${d}/${STATUS_FILE}`)} ${sq(`${d}/${RESULT_FILE}`)}`),
      ].join('\n'),
    );
    if (prep.code !== 0) throw folderError(shell, jobDir, prep.stderr);
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-submit-'));
    try {
      if (!resume) {
        const paths = await this.placeInputs(shell, profile, job, kind, jobDir);
        writeClusterPaths(localRun, paths);
        const there = toCluster(paths);
        const params = split ? split.join.params(partDirs.map((d) => `${d}/${NODE_HOME}`)) : job.params;
        fs.writeFileSync(path.join(staging, PARAMS_FILE), `${JSON.stringify(mapPaths(params, there), null, 2)}\n`);
        partDirs.forEach((_, i) => {
          fs.mkdirSync(path.join(staging, PARTS_DIR, String(i)), { recursive: true });
          fs.writeFileSync(path.join(staging, PARTS_DIR, String(i), PARAMS_FILE), `${JSON.stringify(mapPaths(split!.part(i), there), null, 2)}\n`);
        });
        fs.writeFileSync(path.join(staging, INPUTS_MANIFEST), paths.copiedChecksums);
      }
      fs.writeFileSync(path.join(staging, SCRIPT_FILE), sbatchScript({ jobId: job.id, kind: split ? split.join.kind : job.kind, jobDir, profile, resume }));
      if (split) fs.writeFileSync(path.join(staging, PARTS_SCRIPT_FILE), sbatchScript({ jobId: job.id, kind: job.kind, jobDir, profile, resume, array: `0-${split.count - 1}` }));
      await shell.upload(staging, jobDir);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    const sbatch = async (args: string): Promise<string> => {
      const res = await shell.run(`cd ${sq(jobDir)} && sbatch --parsable ${args}`);
      const missing = slurmMissing(shell, res, 'sbatch');
      if (missing) throw missing;
      const id = res.code === 0 ? parseSbatchAnswer(res.stdout) : null;
      if (!id) throw sbatchRejected(shell, res);
      return id;
    };
    const arrayJobId = split ? await sbatch(PARTS_SCRIPT_FILE) : null;
    // The join starts once every part has ended well, and is cancelled by Slurm if one fails.
    const id = await sbatch(arrayJobId ? `--dependency=afterok:${arrayJobId} --kill-on-invalid-dep=yes ${SCRIPT_FILE}` : SCRIPT_FILE);
    if (arrayJobId) this.log('info', `Its ${split!.count} parts run as the Slurm array job ${arrayJobId}; the join (${split!.join.kind}) waits for them.`);
    this.setInfo({
      arrayJobId,
      parts: split?.count ?? null,
      slurmJobId: id,
      slurmState: 'PENDING',
      reason: null,
      node: null,
      jobDir,
      previousSlurmJobIds: previous?.slurmJobId ? [...previous.previousSlurmJobIds, previous.slurmJobId] : (previous?.previousSlurmJobIds ?? []),
      resubmits: previous?.resubmits ?? 0,
      logLines: previous?.logLines ?? 0,
    });
    this.log('info', `${resume ? 'Submitted again to continue from its checkpoint' : 'Submitted'}: Slurm job ${id} on cluster "${profile.name}" (${shell.reached}); job folder ${jobDir}.`);
  }

  /**
   * Each input as the cluster will see it: the same path where its storage has the same files
   * (always for `via local`, unless the profile copies inputs), else a copy in <workdir>/inputs
   * checked file by file against this machine's sha256. A path this machine does not have is
   * taken as a path on the cluster.
   */
  private async placeInputs(shell: ClusterShell, profile: ClusterProfile, job: StartJob, kind: AnyJobKind, jobDir: string): Promise<ClusterPaths> {
    const remoteHome = `${jobDir}/${NODE_HOME}`;
    const inputs = [...new Set((kind.remote?.inputs(job.params) ?? []).map((p) => path.resolve(p)))];
    const outputs = [...new Set((kind.remote?.outputs?.(job.params) ?? []).map((p) => path.resolve(p)))];
    const pairs: [string, string][] = [];
    let checksums = '';
    for (const input of inputs) {
      if (!fs.existsSync(input)) {
        this.log('info', `${input} is not on this machine: it is taken as a path on the cluster.`);
        pairs.push([input, input]);
        continue;
      }
      if (profile.via === 'local' && !profile.copyInputs) {
        pairs.push([input, input]);
        continue;
      }
      const here = localManifest(input);
      if (!profile.copyInputs) {
        const there = await shell.run(remoteManifestCommand(input), { timeoutMs: 3600_000 });
        if (there.code === 0 && manifestDifference(here, parseManifest(there.stdout)) === null) {
          this.log('info', `${input} is on the cluster's storage with the same sha256: used where it is.`);
          pairs.push([input, input]);
          continue;
        }
      }
      const digest = formatManifest(here).length.toString(16) + '-' + [...here.values()].join('').slice(0, 16);
      const remote = `${profile.workdir.replace(/\/+$/, '')}/inputs/${digest}/${path.basename(input)}`;
      const mk = await shell.run(`mkdir -p ${sq(fs.statSync(input).isDirectory() ? remote : path.posix.dirname(remote))}`);
      if (mk.code !== 0) throw folderError(shell, remote, mk.stderr);
      this.log('info', `Copying ${input} to ${shell.reached}:${remote}.`);
      await shell.upload(input, remote);
      const there = await shell.run(remoteManifestCommand(remote), { timeoutMs: 3600_000 });
      const diff = manifestDifference(here, parseManifest(there.stdout));
      if (diff) throw new WorkbenchError('CLUSTER_CHECKSUM', `The copy of ${input} on ${shell.reached} (${remote}) differs from this machine's: ${diff}.`, 'Retry the job; if it repeats, check the cluster\'s storage (a full disk?).');
      checksums += formatManifest(here, fs.statSync(input).isDirectory() ? `${remote}/` : `${path.posix.dirname(remote)}/`);
      pairs.push([input, remote]);
    }
    return {
      format: 1,
      target: profile.name,
      jobDir,
      remoteHome,
      inputs: pairs,
      outputs: outputs.map((o, i) => [o, `${remoteHome}/outputs/${i}`]),
      copiedChecksums: checksums,
    };
  }

  private async follow(shell: ClusterShell, profile: ClusterProfile, job: StartJob, kind: AnyJobKind): Promise<void> {
    const bounds = this.deps.pollMs ?? { min: POLL_MIN_MS, max: POLL_MAX_MS };
    let interval = bounds.min;
    let lastStatusKey = '';
    let stopSent: StopReason | null = null;
    let stopSentAt = 0;
    let unreachable: string | null = null;
    const eps = new Set<string>();
    for (;;) {
      if (this.detached) return;
      const info = this.info!;
      if (this.stop && stopSent !== this.stop) {
        await this.sendStop(shell, info, this.stop);
        stopSent = this.stop;
        stopSentAt = Date.now();
        interval = bounds.min;
      } else if (stopSent === 'pause' && Date.now() - stopSentAt > PAUSE_GRACE_MS) {
        this.log('warn', `Slurm job ${info.slurmJobId} did not stop within ${PAUSE_GRACE_MS / 60_000} minutes of USR1: cancelling it (the last checkpoint is kept).`);
        await shell.run(`scancel ${sq(info.slurmJobId!)}`);
        stopSentAt = Date.now();
      }
      let snap: Snapshot;
      try {
        snap = await this.poll(shell, job);
        if (unreachable) this.log('info', `${shell.reached} answers again.`);
        unreachable = null;
      } catch (err) {
        const e = err instanceof WorkbenchError ? err : null;
        if (!e || !['CLUSTER_UNREACHABLE', 'CLUSTER_AUTH_FAILED', 'CLUSTER_HOST_KEY'].includes(e.code)) throw err;
        // The job runs on regardless: keep asking, less and less often.
        if (unreachable !== e.message) this.log('warn', `${e.message} Following it again when the cluster answers.`);
        unreachable = e.message;
        interval = Math.min(bounds.max, interval * 1.5);
        await this.sleep(interval);
        continue;
      }
      let changed = false;
      if (snap.log.length > 0) {
        for (const l of snap.log) this.log(l.level, `[node] ${l.message}`);
        changed = true;
      }
      if (snap.metrics) this.mirrorMetrics(job.id, snap.metrics);
      const s = snap.status;
      if (s) {
        const key = JSON.stringify([s.state, s.progress, s.progressMessage, s.progressDetail, s.executionProvider]);
        if (key !== lastStatusKey) {
          lastStatusKey = key;
          changed = true;
          if (s.state === 'running' || s.state === 'completed') this.emit({ type: 'progress', fraction: s.progress, message: s.progressMessage ?? undefined, detail: s.progressDetail ?? undefined });
          for (const ep of (s.executionProvider ?? '').split('+').filter(Boolean)) {
            if (eps.has(ep)) continue;
            eps.add(ep);
            this.emit({ type: 'execution-provider', ep: ep as EngineExecutionProvider });
          }
        }
      }
      // Each part's own log, as it runs: a shard that fails says why here, not only on the cluster.
      const partLogLines = snap.array ? snap.array.logs.map((lines, i) => (this.info!.partLogLines?.[i] ?? 0) + lines.length) : this.info!.partLogLines;
      snap.array?.logs.forEach((lines, i) => {
        for (const l of lines) this.log(l.level, `[part ${i + 1}] ${l.message}`);
        if (lines.length > 0) changed = true;
      });
      if (!s && snap.array) {
        // The parts run, the join waits: their progress is the job's (the join's own comes after).
        const parts = snap.array.parts;
        const done = parts.filter((p) => p?.state === 'completed').length;
        const fraction = parts.reduce((sum, p) => sum + (p?.state === 'completed' ? 1 : (p?.progress ?? 0)), 0) / Math.max(1, parts.length);
        const active = parts.findIndex((p) => p?.state === 'running');
        const key = JSON.stringify(['parts', done, Math.round(fraction * 1000), active]);
        if (key !== lastStatusKey) {
          lastStatusKey = key;
          changed = true;
          this.emit({ type: 'progress', fraction: 0.9 * fraction, message: `parts: ${done} of ${parts.length} done${active >= 0 && parts[active]?.progressMessage ? ` · part ${active + 1}: ${parts[active]!.progressMessage}` : ''}` });
        }
        for (const ep of parts.flatMap((p) => (p?.executionProvider ?? '').split('+')).filter(Boolean)) {
          if (eps.has(ep)) continue;
          eps.add(ep);
          this.emit({ type: 'execution-provider', ep: ep as EngineExecutionProvider });
        }
      }
      const slurm = snap.slurm;
      const next: RemoteJobInfo = { ...this.info!, logLines: this.info!.logLines + snap.log.length, ...(partLogLines ? { partLogLines } : {}) };
      if (slurm) Object.assign(next, { slurmState: slurm.state, reason: slurm.reason, node: slurm.node ?? next.node });
      if (JSON.stringify(next) !== JSON.stringify(this.info)) {
        if (slurm && slurm.state !== this.info!.slurmState) this.log('info', `Slurm job ${next.slurmJobId}: ${slurm.state}${slurm.reason ? ` (${slurm.reason})` : ''}${slurm.node ? ` on ${slurm.node}` : ''}.`);
        this.setInfo(next);
        changed = true;
      }

      if (s?.state === 'completed') {
        await this.finish(shell, job);
        return;
      }
      if (s?.state === 'failed') {
        await this.quoteOutput(shell, next);
        this.emit({ type: 'failed', error: nodeError(s.error, next) });
        return;
      }
      if (s?.state === 'cancelled') {
        this.emit({ type: 'stopped', reason: 'cancel' });
        return;
      }
      const arrayActive = snap.array ? snap.array.states.some((st) => !slurmStateEnded(st)) : false;
      const ended = (slurm === null || slurmStateEnded(slurm.state)) && !arrayActive;
      if (ended) {
        if (stopSent) {
          if (stopSent === 'pause' && s?.state !== 'stopped') this.log('warn', 'The job ended before it could checkpoint on USR1; resuming continues from its last checkpoint.');
          this.emit({ type: 'stopped', reason: stopSent });
          return;
        }
        const timedOut = slurm?.state === 'TIMEOUT' || (s?.state === 'stopped' && s.signal === 'SIGUSR1');
        if (timedOut && next.resubmits < profile.maxResubmits) {
          this.log('warn', `Slurm job ${next.slurmJobId} reached its time limit (${profile.time ?? 'the partition\'s'}): resubmitting from its checkpoint (${next.resubmits + 1} of ${profile.maxResubmits}).`);
          this.info = { ...next, resubmits: next.resubmits + 1 };
          await this.submit(shell, profile, job, kind);
          lastStatusKey = '';
          interval = bounds.min;
          continue;
        }
        const failedPart = snap.array?.parts.findIndex((p) => p?.state === 'failed' || (p !== null && p.state !== 'completed')) ?? -1;
        if (snap.array && !stopSent && (failedPart >= 0 || snap.array.parts.some((p) => p === null))) {
          // The join never ran because a part did not end well: that part's error is the job's.
          const i = failedPart >= 0 ? failedPart : snap.array.parts.findIndex((p) => p === null);
          await this.quoteOutput(shell, next, `slurm-${next.arrayJobId}_${i}.out`);
          const partError = snap.array.parts[i]?.error;
          this.emit({
            type: 'failed',
            error: partError
              ? { ...partError, message: `Part ${i + 1} of ${next.parts}: ${partError.message} (Slurm array job ${next.arrayJobId}, task ${i})` }
              : { code: 'SLURM_PART_FAILED', message: `Part ${i + 1} of ${next.parts} (Slurm array job ${next.arrayJobId}, task ${i}) did not finish${snap.array.parts[i] ? ` (last: ${snap.array.parts[i]!.state})` : ': the app never started there'}, so the join did not run.`, hint: `Its Slurm output is in the job's log (and ${next.jobDir}/slurm-${next.arrayJobId}_${i}.out); Retry continues every part from its checkpoint.` },
          });
          return;
        }
        await this.quoteOutput(shell, next);
        this.emit({ type: 'failed', error: endedError(slurm, s, next, profile, snap.jobDirMissing) });
        return;
      }
      interval = changed ? bounds.min : Math.min(bounds.max, Math.round(interval * 1.5));
      await this.sleep(this.stop && !stopSent ? 0 : interval);
    }
  }

  private async sendStop(shell: ClusterShell, info: RemoteJobInfo, reason: StopReason): Promise<void> {
    const id = sq(info.slurmJobId!);
    // Pausing a running job: USR1 to the batch script (the node's CLI checkpoints and exits); one that waits has nothing to save.
    // A job that splits: its running parts checkpoint the same way (USR1 to the array's running tasks) and the waiting join goes.
    const array = info.arrayJobId ? sq(info.arrayJobId) : null;
    const script = array
      ? reason === 'pause'
        ? `scancel --batch --signal=USR1 --state=RUNNING ${array}; scancel --state=PENDING ${array}; scancel ${id}`
        : `scancel ${array} ${id}`
      : reason === 'pause' && info.slurmState === 'RUNNING'
        ? `scancel --batch --signal=USR1 ${id}`
        : `scancel ${id}`;
    const res = await shell.run(script);
    if (res.code !== 0) this.log('warn', `${script} on ${shell.reached}: ${tail(res.stderr || res.stdout, 2) || `exit ${res.code}`}`);
    else this.log('info', reason === 'pause' ? `Pausing: ${script} (the job checkpoints and ends).` : `Cancelling: ${script}.`);
  }

  /** One round trip: Slurm's state, the node's status, new log lines and new metrics lines. */
  private async poll(shell: ClusterShell, job: StartJob): Promise<Snapshot> {
    const info = this.info!;
    const mark = `@@SAEWB-${randomBytes(6).toString('hex')}`;
    const metricsFile = `${NODE_HOME}/runs/${job.id}/metrics.jsonl`;
    const localMetrics = metricsLineCount(runDir(this.deps.home, job.id));
    const script = [
      `cd ${sq(info.jobDir)} 2>/dev/null || echo ${mark}-NODIR`,
      stateProbe(info.slurmJobId!),
      `echo ${mark}-STATUS`,
      `cat ${STATUS_FILE} 2>/dev/null`,
      `echo; echo ${mark}-LOG`,
      `tail -n +${info.logLines + 1} ${LOG_FILE} 2>/dev/null | head -n 2000`,
      `echo ${mark}-METRICS`,
      `if [ -f ${metricsFile} ]; then wc -l < ${metricsFile}; tail -n +${localMetrics + 1} ${metricsFile} | head -n 5000; fi`,
      ...(info.arrayJobId
        ? [
            `echo ${mark}-ARRAY`,
            `squeue -h -t all -j ${sq(info.arrayJobId)} -o '%T' 2>/dev/null`,
            ...Array.from({ length: info.parts ?? 0 }, (_, i) => `echo ${mark}-PART${i}; cat ${PARTS_DIR}/${i}/${STATUS_FILE} 2>/dev/null; echo`),
            ...Array.from({ length: info.parts ?? 0 }, (_, i) => `echo ${mark}-PARTLOG${i}; tail -n +${(info.partLogLines?.[i] ?? 0) + 1} ${PARTS_DIR}/${i}/${LOG_FILE} 2>/dev/null | head -n 2000`),
          ]
        : []),
    ].join('\n');
    const res = await shell.run(script);
    const out = res.stdout;
    const at = (name: string) => out.indexOf(`${mark}-${name}\n`);
    const section = (name: string, nextName: string | null) => {
      const start = at(name);
      if (start < 0) return '';
      const from = start + `${mark}-${name}\n`.length;
      const end = nextName ? at(nextName) : -1;
      return out.slice(from, end < 0 ? undefined : end);
    };
    const head = out.slice(0, Math.max(0, at('STATUS')));
    // Complete lines only: one cut off mid-write is read again next time.
    const logLines = (text: string) => {
      const lines: NodeLogLine[] = [];
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          lines.push(JSON.parse(line) as NodeLogLine);
        } catch {
          break;
        }
      }
      return lines;
    };
    const log = logLines(section('LOG', 'METRICS'));
    const metricsText = section('METRICS', info.arrayJobId ? 'ARRAY' : null);
    const array = info.arrayJobId
      ? {
          states: section('ARRAY', 'PART0')
            .split('\n')
            .map((l) => l.trim().split(/\s+/)[0])
            .filter(Boolean),
          parts: Array.from({ length: info.parts ?? 0 }, (_, i) => parseStatus(section(`PART${i}`, i + 1 < (info.parts ?? 0) ? `PART${i + 1}` : 'PARTLOG0').trim())),
          logs: Array.from({ length: info.parts ?? 0 }, (_, i) => logLines(section(`PARTLOG${i}`, i + 1 < (info.parts ?? 0) ? `PARTLOG${i + 1}` : null))),
        }
      : null;
    let metrics: Snapshot['metrics'] = null;
    if (metricsText.trim()) {
      const [count, ...rest] = metricsText.split('\n');
      const lines: string[] = [];
      for (const l of rest) {
        if (!l) continue;
        try {
          JSON.parse(l);
          lines.push(l);
        } catch {
          break;
        }
      }
      metrics = { total: Number(count.trim()) || 0, lines };
    }
    return {
      slurm: parseStateProbe(head.replace(`${mark}-NODIR\n`, '')),
      status: parseStatus(section('STATUS', 'LOG').trim()),
      log,
      metrics,
      jobDirMissing: head.includes(`${mark}-NODIR`),
      array,
    };
  }

  /** The node's curve, mirrored line for line into runs/<id>/metrics.jsonl here (truncated where the node's was, on a resume). */
  private mirrorMetrics(jobId: string, m: { total: number; lines: string[] }): void {
    const dir = runDir(this.deps.home, jobId);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'metrics.jsonl');
    const have = metricsLineCount(dir);
    if (m.total < have) {
      const kept = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, m.total);
      fs.writeFileSync(`${file}.tmp`, kept.map((l) => `${l}\n`).join(''));
      fs.renameSync(`${file}.tmp`, file);
      return;
    }
    if (m.lines.length > 0) fs.appendFileSync(file, m.lines.map((l) => `${l}\n`).join(''));
  }

  /** The last lines of Slurm's output file, into the job's log: what the node printed. */
  private async quoteOutput(shell: ClusterShell, info: RemoteJobInfo, name?: string): Promise<void> {
    try {
      const file = name ?? `slurm-${info.slurmJobId}.out`;
      const res = await shell.run(`cd ${sq(info.jobDir)} && tail -n ${OUTPUT_TAIL_LINES} ${sq(file)}`);
      if (res.code === 0 && res.stdout.trim()) this.log('error', `Slurm output (${info.jobDir}/${file}, last lines):\n${res.stdout.trimEnd()}`);
    } catch {
      // The error itself says what happened; the output is a courtesy.
    }
  }

  private async finish(shell: ClusterShell, job: StartJob): Promise<void> {
    const localRun = runDir(this.deps.home, job.id);
    const paths = readClusterPaths(localRun);
    const res = await shell.run(`cat ${sq(`${this.info!.jobDir}/${RESULT_FILE}`)}`);
    let result: unknown;
    try {
      result = (JSON.parse(res.stdout) as { result: unknown }).result;
    } catch {
      throw new WorkbenchError('CLUSTER_RESULT_MISSING', `The job completed on the cluster but its ${RESULT_FILE} in ${this.info!.jobDir} cannot be read.`, 'Retry the job to bring its results home.');
    }
    this.log('info', `Bringing the results home from ${shell.reached}.`);
    const overwrite = Boolean((job.params as { overwrite?: unknown } | null)?.overwrite);
    const brought = await bringHome(shell, { home: this.deps.home, jobId: job.id, paths, overwrite });
    if (brought.indexFiles.length > 0) this.deps.registerIndexFiles(brought.indexFiles, paths);
    this.log('info', `Brought home ${brought.files} files (${(brought.bytes / 1e6).toFixed(1)} MB), sha256 checked (${localRun}/results.sha256).`);
    this.emit({ type: 'done', result: mapPaths(result, fromCluster(paths, this.deps.home)) });
  }
}

function metricsLineCount(dir: string): number {
  try {
    const text = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8');
    return text.split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function findByName(shell: ClusterShell, jobId: string): Promise<string | null> {
  const res = await shell.run(`squeue -h -n ${sq(`sae-wb-${jobId}`)} -o %i | head -n 1`);
  return /^\d+/.exec(res.stdout.trim())?.[0] ?? null;
}

function folderError(shell: ClusterShell, dir: string, stderr: string): WorkbenchError {
  if (/No space left/i.test(stderr)) return new WorkbenchError('DISK_FULL', `No space left on ${shell.reached} for ${dir}.`, 'Free space in the cluster profile\'s work folder (or choose another), then retry the job.');
  return new WorkbenchError('CLUSTER_WORKDIR', `${dir} cannot be created on ${shell.reached}: ${tail(stderr, 2)}.`, 'Choose a work folder you can write on the cluster\'s shared storage (cluster add --workdir).');
}

/** The node's own error, saying where it happened. */
function nodeError(error: ApiError | null, info: RemoteJobInfo): ApiError {
  const where = `Slurm job ${info.slurmJobId}${info.node ? ` on ${info.node}` : ''}`;
  if (!error) return { code: 'REMOTE_JOB_FAILED', message: `The job failed on ${where}.`, hint: `Its log is in the Queue, and on the cluster in ${info.jobDir}.` };
  return { ...error, message: `${error.message} (on ${where})` };
}

function endedError(slurm: SlurmJobState | null, status: NodeStatus | null, info: RemoteJobInfo, profile: ClusterProfile, jobDirMissing: boolean): ApiError {
  const id = info.slurmJobId;
  const where = info.node ? ` on ${info.node}` : '';
  if (jobDirMissing) return { code: 'CLUSTER_JOB_FOLDER_MISSING', message: `The job folder ${info.jobDir} of Slurm job ${id} is gone.`, hint: 'Retry the job to submit it again from the start.' };
  // USR1 that the app did not send is Slurm's warning before the time limit: the job checkpointed and stopped in time.
  if (slurm?.state === 'TIMEOUT' || (status?.state === 'stopped' && status.signal === 'SIGUSR1')) {
    return { code: 'SLURM_TIMEOUT', message: `Slurm job ${id} reached its time limit (${profile.time ?? 'the partition\'s'})${where}${info.resubmits ? ` after ${info.resubmits} resubmit${info.resubmits === 1 ? '' : 's'}` : ''}; its checkpoint is kept.`, hint: 'Retry continues from the checkpoint; raise the profile\'s time limit, or allow (more) resubmits (cluster add --max-resubmits N).' };
  }
  switch (slurm?.state) {
    case undefined:
      return { code: 'SLURM_JOB_LOST', message: `Slurm no longer knows job ${id}, and the job did not finish (${status ? `last: ${status.state}` : 'it never started'}).`, hint: `Read ${info.jobDir}/slurm-${id}.out on the cluster; Retry continues from the last checkpoint.` };
    case 'CANCELLED':
      return { code: 'SLURM_CANCELLED', message: `Slurm job ${id} was cancelled outside this app${where}.`, hint: 'Retry continues from its last checkpoint.' };
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return { code: 'SLURM_NODE_FAIL', message: `The node of Slurm job ${id} failed${where}.`, hint: 'Retry continues from its last checkpoint.' };
    case 'PREEMPTED':
      return { code: 'SLURM_PREEMPTED', message: `Slurm job ${id} was preempted${where} and not requeued.`, hint: 'Retry continues from its last checkpoint.' };
    case 'OUT_OF_MEMORY':
      return { code: 'SLURM_OUT_OF_MEMORY', message: `Slurm job ${id} ran out of memory${where} (the profile asks for ${profile.mem ?? 'the partition\'s default'}).`, hint: 'Raise the profile\'s memory (cluster add --mem 32G), then retry.' };
    default:
      return {
        code: 'SLURM_JOB_FAILED',
        message: `Slurm job ${id} ended ${slurm!.state}${where} before the job finished${status ? ` (last: ${status.state}${status.signal ? ` on ${status.signal}` : ''})` : ' (the app never started there)'}.`,
        hint: `The Slurm output is in the job's log (and ${info.jobDir}/slurm-${id}.out on the cluster); Retry continues from the last checkpoint.`,
      };
  }
}

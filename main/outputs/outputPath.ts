/**
 * THE rule for every path a user names for the app to write (CLI --out, the API's `out`, the
 * Training form's output folder), in one place:
 *  - resolved: relative paths against the user's working directory on the CLI; over the API only
 *    absolute paths (the core's working directory is not the user's);
 *  - never on a special file system (/proc, /sys, /dev: Node's recursive mkdir spins forever on
 *    /proc) and never a folder, FIFO, socket or device where a file goes (or a file where a
 *    folder goes);
 *  - never an input of the same command, inside one, or (for a folder) writing over one, compared
 *    by real path and by inode (hard links, Hugging Face cache blobs behind symlinks);
 *  - nothing that exists is replaced unless the user asked (--overwrite / "overwrite": true / the
 *    form's box), and then only the files the command writes: nothing else is ever deleted;
 *  - checked before any work (planOutput), and again right before writing (writeOutputFile,
 *    writeOutputFolder: the world may have changed while a job waited or ran);
 *  - written under temporary names next to the target and renamed into place;
 *  - every system error on the way (EEXIST, EISDIR, ENOTDIR, ENOENT, EROFS, EACCES, ...) becomes
 *    a WorkbenchError naming the path, with a hint.
 * Error codes: OUTPUT_PATH_INVALID, OUTPUT_EXISTS, OUTPUT_INSIDE_INPUT, OUTPUT_NOT_WRITABLE (and
 * DISK_FULL from describeSystemError).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeSystemError, WorkbenchError } from '../errors';
import { writeFileAtomic } from './atomicFile';

/** Where the request came from: it decides how a relative path resolves and what the hints say. */
export type OutputSurface = { surface: 'cli'; cwd: string } | { surface: 'api' };

export interface OutputInput {
  /** How the user named it: "--model", "the SAE", "index A". */
  label: string;
  path: string;
}

export interface OutputRequest {
  /** The option or parameter that named the path, for messages: "--out", "out". */
  option: string;
  path: string;
  origin: OutputSurface;
  kind: 'file' | 'folder';
  /**
   * A folder's files (relative paths, "/"-separated) that the command writes: only these may be
   * replaced. null: not known up front; then a folder that is not empty counts as existing.
   */
  files?: readonly string[] | null;
  /** The command's inputs: the output may be none of them, nor inside one, nor write over one. */
  inputs: readonly OutputInput[];
  overwrite: boolean;
}

/** What the user chose (path, where from, whether to overwrite): the command adds kind, files and inputs. */
export type OutputChoice = Pick<OutputRequest, 'option' | 'path' | 'origin' | 'overwrite'>;

export interface PlannedOutput {
  request: OutputRequest;
  /** Absolute, with the symbolic links of its existing part resolved: where the writing happens. */
  target: string;
  /** What exists and would be replaced (allowed only with overwrite). */
  replaces: string[];
}

export const OUTPUT_PATH_INVALID = 'OUTPUT_PATH_INVALID';
export const OUTPUT_EXISTS = 'OUTPUT_EXISTS';
export const OUTPUT_INSIDE_INPUT = 'OUTPUT_INSIDE_INPUT';
export const OUTPUT_NOT_WRITABLE = 'OUTPUT_NOT_WRITABLE';

/** Kernel file systems that hold no user files (statfs magic numbers, linux/magic.h). */
const SPECIAL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
]);
/** By place as well: /dev is a tmpfs-like devtmpfs (/dev/shm, a real tmpfs for files, is fine). */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];
const ORDINARY_UNDER_SPECIAL = ['/dev/shm'];
/** Input folders whose entries are compared by inode (a model folder has a handful). */
const MAX_INPUT_ENTRIES = 10_000;

function overwriteHint(origin: OutputSurface): string {
  return origin.surface === 'cli' ? 'add --overwrite to replace it' : 'set "overwrite": true (in the app: tick "Overwrite existing files")';
}

function invalid(req: OutputRequest, message: string, hint: string): WorkbenchError {
  return new WorkbenchError(OUTPUT_PATH_INVALID, `${req.option} ${message}`, hint);
}

/** `child` is `parent` or lies inside it (both absolute and normalised). */
export function isSameOrInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function describeEntry(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/**
 * Where `abs` really is: the deepest part of it that exists, with its symbolic links resolved,
 * and the rest (which does not exist yet) appended. Never creates anything.
 */
function locate(req: OutputRequest, abs: string): { real: string; existing: string; final: fs.Stats | null } {
  const missing: string[] = [];
  let cur = abs;
  let st: fs.Stats | null;
  for (;;) {
    st = lstatOrNull(cur);
    if (st) break;
    const parent = path.dirname(cur);
    if (parent === cur) throw invalid(req, `"${abs}": no part of it exists.`, 'Give a path on a disk of this machine.');
    missing.unshift(path.basename(cur));
    cur = parent;
  }
  let real: string;
  try {
    real = fs.realpathSync(cur);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid(req, `${cur} is a symbolic link to something that does not exist.`, 'Remove the dangling link or give another path.');
    if (code === 'ELOOP') throw invalid(req, `${cur} is a loop of symbolic links.`, 'Give another path.');
    throw err;
  }
  const realSt = fs.statSync(real);
  if (missing.length > 0 && !realSt.isDirectory()) {
    throw invalid(req, `"${abs}": ${cur} is ${realSt.isFile() ? 'a file' : describeEntry(realSt)}, so nothing can be created inside it (ENOTDIR).`, `Give a path whose folders are folders, e.g. next to ${cur}.`);
  }
  return { real: path.join(real, ...missing), existing: real, final: missing.length > 0 ? null : realSt };
}

function specialFileSystem(real: string, existing: string): string | null {
  for (const root of SPECIAL_ROOTS) {
    if (isSameOrInside(real, root) && !ORDINARY_UNDER_SPECIAL.some((ok) => isSameOrInside(real, ok))) return root;
  }
  if (typeof fs.statfsSync !== 'function') return null;
  try {
    const type = Number(fs.statfsSync(existing).type);
    const name = SPECIAL_FILE_SYSTEMS.get(type);
    return name ? `a ${name} file system` : null;
  } catch {
    return null;
  }
}

interface RealInput {
  label: string;
  real: string;
  /** dev:ino of the input file, or of every entry of an input folder (symlinks followed). */
  inodes: Set<string>;
}

const inodeKey = (st: fs.Stats) => `${st.dev}:${st.ino}`;

function realInput(input: OutputInput, origin: OutputSurface): RealInput {
  const abs = origin.surface === 'cli' ? path.resolve(origin.cwd, input.path) : path.resolve(input.path);
  let real = abs;
  const inodes = new Set<string>();
  try {
    real = fs.realpathSync(abs);
    const st = fs.statSync(real);
    if (st.isFile()) inodes.add(inodeKey(st));
    else if (st.isDirectory()) {
      const entries = fs.readdirSync(real).slice(0, MAX_INPUT_ENTRIES);
      for (const name of entries) {
        try {
          const e = fs.statSync(path.join(real, name));
          if (e.isFile()) inodes.add(inodeKey(e));
        } catch {
          // A dangling link in an input folder is the loader's business, not a clash.
        }
      }
    }
  } catch {
    // An input that does not exist (yet) clashes by path only; its loader reports it.
  }
  return { label: input.label, real, inodes };
}

function checkFileList(req: OutputRequest, files: readonly string[]): void {
  for (const f of files) {
    const norm = path.normalize(f);
    if (f.length === 0 || path.isAbsolute(f) || norm === '..' || norm.startsWith(`..${path.sep}`) || norm === '.' || f.includes('\0')) {
      throw invalid(req, `"${req.path}": the file name "${f}" would fall outside the folder.`, 'Names of outputs inside a folder are plain relative names (check the hook names).');
    }
  }
}

/** The files a folder holds, relative, "/"-separated (for a folder written with an unknown list). */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Check an output path against the rule, before any work: the resolved target, and what it would
 * replace. Creates nothing. Throws a WorkbenchError (codes above) naming the path.
 */
export function planOutput(req: OutputRequest): PlannedOutput {
  try {
    return planChecked(req);
  } catch (err) {
    throw outputError(err, req.path, req.option);
  }
}

function planChecked(req: OutputRequest): PlannedOutput {
  const given = req.path;
  if (given.length === 0 || given.trim().length === 0) throw invalid(req, 'is empty.', 'Give a file or folder path.');
  if (given.includes('\0')) throw invalid(req, 'contains a NUL character.', 'Give an ordinary path.');
  if (req.origin.surface === 'api' && !path.isAbsolute(given)) {
    throw invalid(req, `"${given}" is a relative path; the core's working directory is not yours, so outputs named over the API must be absolute.`, `Give the full path, e.g. /home/me/${given.replace(/^(\.\.?\/)+/, '')}.`);
  }
  const abs = req.origin.surface === 'cli' ? path.resolve(req.origin.cwd, given) : path.resolve(given);
  if (req.kind === 'folder' && req.files) checkFileList(req, req.files);
  const { real, existing, final } = locate(req, abs);

  const special = specialFileSystem(real, existing);
  if (special) {
    throw invalid(req, `"${abs}" is on ${special.startsWith('/') ? `${special}, a special file system` : special} that holds no files.`, 'Write outputs to a folder on a disk (e.g. in your home folder or /tmp).');
  }

  // What the command will write, as absolute paths.
  const written = req.kind === 'file' ? [real] : req.files ? req.files.map((f) => path.join(real, f)) : [real];
  const inputs = req.inputs.map((i) => realInput(i, req.origin));
  for (const input of inputs) {
    const clash = isSameOrInside(real, input.real)
      ? real === input.real
        ? `is ${input.label} itself (${input.real})`
        : `lies inside ${input.label} (${input.real})`
      : written.some((w) => isSameOrInside(w, input.real)) || (req.kind === 'folder' && !req.files && isSameOrInside(input.real, real))
        ? `would write over ${input.label} (${input.real})`
        : null;
    if (clash) {
      throw new WorkbenchError(OUTPUT_INSIDE_INPUT, `${req.option} ${abs} ${clash}, an input of this command.`, 'Write outputs outside the folders and files the command reads (e.g. a new folder next to them).');
    }
  }

  const replaces: string[] = [];
  const existingFile = (w: string, st: fs.Stats) => {
    if (!st.isFile()) {
      throw invalid(req, `"${w}" is ${describeEntry(st)}; a file is written there.`, st.isDirectory() ? `Give a file name (e.g. ${path.join(w, 'out' + (path.extname(w) || '.json'))}) or remove the folder.` : 'Give the path of a regular file (or of one to create).');
    }
    for (const input of inputs) {
      if (input.inodes.has(inodeKey(st))) {
        throw new WorkbenchError(OUTPUT_INSIDE_INPUT, `${req.option} ${w} is the same file as one in ${input.label} (${input.real}) (a hard or symbolic link), an input of this command.`, 'Write outputs to new files outside the inputs.');
      }
    }
    replaces.push(w);
  };
  if (req.kind === 'file') {
    if (final) existingFile(real, final);
  } else if (final) {
    if (!final.isDirectory()) throw invalid(req, `"${abs}" is ${final.isFile() ? 'a file' : describeEntry(final)}; a folder is written there.`, 'Give the path of a folder (new or existing).');
    if (req.files) {
      for (const f of req.files) {
        const w = path.join(real, f);
        const parts = path.relative(real, w).split(path.sep);
        let cur = real;
        for (let i = 0; i < parts.length; i++) {
          cur = path.join(cur, parts[i]);
          const st = lstatOrNull(cur);
          if (!st) break;
          if (i < parts.length - 1) {
            if (!st.isDirectory()) throw invalid(req, `"${cur}" is ${st.isFile() ? 'a file' : describeEntry(st)} where the folder for ${f} goes.`, 'Move it away or give another folder.');
            continue;
          }
          if (st.isSymbolicLink()) {
            const target = (() => {
              try {
                return fs.statSync(cur);
              } catch {
                return null;
              }
            })();
            if (target) existingFile(cur, target);
            else replaces.push(cur); // a dangling link: replacing it loses no data, but it exists
          } else existingFile(cur, st);
        }
      }
    } else if (fs.readdirSync(real).length > 0) {
      replaces.push(real);
    }
  }
  if (replaces.length > 0 && !req.overwrite) {
    const what = req.kind === 'folder' && !req.files ? `"${real}" is a folder that is not empty` : `${replaces.length === 1 ? `"${replaces[0]}" exists` : `${replaces.length} files it would write exist (${replaces.slice(0, 3).join(', ')}${replaces.length > 3 ? ', ...' : ''})`}`;
    throw new WorkbenchError(OUTPUT_EXISTS, `${req.option}: ${what}; nothing was changed.`, `Choose a new path, or ${overwriteHint(req.origin)}${req.kind === 'folder' ? ' (only the files this command writes are replaced; nothing else in the folder is touched)' : ''}.`);
  }

  // Where new entries are created: the folder itself, or the folder the file goes in.
  const writableDir = !final ? existing : req.kind === 'folder' ? real : path.dirname(real);
  try {
    fs.accessSync(writableDir, fs.constants.W_OK);
  } catch (err) {
    throw outputError(err, writableDir, req.option);
  }
  return { request: req, target: real, replaces };
}

/**
 * A system error on an output path as a WorkbenchError naming it. WorkbenchErrors pass through;
 * disk-full keeps its DISK_FULL; anything unknown is rethrown as it is (a bug).
 */
export function outputError(err: unknown, file: string, option = '--out'): unknown {
  if (err instanceof WorkbenchError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  const where = (err as NodeJS.ErrnoException)?.path ?? file;
  const detail = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'EEXIST':
      return new WorkbenchError(OUTPUT_EXISTS, `${option}: ${where} already exists (${code}).`, 'Choose a new path, or ask to overwrite it (--overwrite; "overwrite": true over the API).', { cause: err });
    case 'EISDIR':
      return new WorkbenchError(OUTPUT_PATH_INVALID, `${option}: ${where} is a folder where a file is written (${code}).`, 'Give a file name inside it, or another path.', { cause: err });
    case 'ENOTDIR':
      return new WorkbenchError(OUTPUT_PATH_INVALID, `${option}: a part of ${where} is a file, not a folder (${code}).`, 'Give a path whose folders are folders.', { cause: err });
    case 'ENOENT':
      return new WorkbenchError(OUTPUT_PATH_INVALID, `${option}: a folder of ${where} does not exist (any more) (${code}).`, 'Check the path (was a folder on the way moved or removed while the command ran?) and try again.', { cause: err });
    case 'ELOOP':
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return new WorkbenchError(OUTPUT_PATH_INVALID, `${option}: ${where} cannot be used as an output (${code}: ${detail}).`, 'Give a shorter, ordinary path without symbolic-link loops.', { cause: err });
    case 'EROFS':
      return new WorkbenchError(OUTPUT_NOT_WRITABLE, `${option}: ${where} is on a read-only file system (${code}).`, 'Write to a folder on a writable disk.', { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new WorkbenchError(OUTPUT_NOT_WRITABLE, `${option}: permission denied for ${where} (${code}).`, 'Write to a folder you own, or fix its permissions.', { cause: err });
    default:
      return describeSystemError(err) ?? err;
  }
}

/**
 * Create `dir` and any missing parents one level at a time (never Node's recursive mkdir, which
 * spins on /proc); returns the folders it created, outermost first.
 */
export function makeFolders(dir: string): string[] {
  const missing: string[] = [];
  let cur = dir;
  while (!fs.existsSync(cur)) {
    missing.unshift(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  const created: string[] = [];
  for (const d of missing) {
    fs.mkdirSync(d);
    created.push(d);
  }
  return created;
}

/** Remove folders this command created, innermost first, only while they are empty. */
function removeCreatedFolders(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      return; // not empty (or gone): it holds something that is not ours to remove
    }
  }
}

/** Write one output file: the rule checked again, then temp-and-rename. Returns the path written. */
export function writeOutputFile(planned: PlannedOutput, data: string | Uint8Array): string {
  const req = planned.request;
  if (req.kind !== 'file') throw new Error(`writeOutputFile: ${req.path} was planned as a folder`);
  const p = planOutput(req);
  let created: string[] = [];
  try {
    created = makeFolders(path.dirname(p.target));
    writeFileAtomic(p.target, data);
    return p.target;
  } catch (err) {
    removeCreatedFolders(created);
    throw outputError(err, p.target, req.option);
  }
}

export interface FolderWriteOptions {
  /**
   * The name of the file that marks a folder complete (cfg.json of an SAE, a bundle's manifest),
   * matched in every subfolder: removed first when it is replaced, renamed into place last, so a
   * reader never sees an old marker over new files.
   */
  completeMarker?: string;
}

/**
 * Write an output folder: the rule checked again, `write` fills a hidden staging folder inside
 * the target, then each staged file is renamed into place. Only the files staged (which must be
 * among the planned ones, when the plan lists them) are replaced; on failure the staging folder
 * and any folder this call created (when empty) are removed, and nothing else.
 */
export function writeOutputFolder<T>(planned: PlannedOutput, write: (stage: string) => T, options: FolderWriteOptions = {}): { result: T; dir: string; files: string[] } {
  const req = planned.request;
  if (req.kind !== 'folder') throw new Error(`writeOutputFolder: ${req.path} was planned as a file`);
  const p = planOutput(req);
  let created: string[] = [];
  let stage: string | null = null;
  try {
    created = makeFolders(p.target);
    stage = path.join(p.target, `.sae-workbench-staging.${process.pid}.${Date.now().toString(36)}`);
    fs.mkdirSync(stage);
    const result = write(stage);
    const staged = listFiles(stage);
    if (req.files) {
      const allowed = new Set(req.files.map((f) => f.split(path.sep).join('/')));
      const extra = staged.filter((f) => !allowed.has(f));
      if (extra.length > 0) throw new Error(`writeOutputFolder: ${extra.join(', ')} written but not planned for ${p.target}`);
    }
    const isMarker = (f: string) => options.completeMarker !== undefined && path.posix.basename(f) === options.completeMarker;
    const markers = staged.filter(isMarker);
    const order = [...staged.filter((f) => !isMarker(f)), ...markers];
    for (const m of markers) fs.rmSync(path.join(p.target, m), { force: true });
    for (const f of order) {
      const dest = path.join(p.target, f);
      created.push(...makeFolders(path.dirname(dest)));
      fs.renameSync(path.join(stage, f), dest);
    }
    return { result, dir: p.target, files: order.map((f) => path.join(p.target, f)) };
  } catch (err) {
    if (stage) fs.rmSync(stage, { recursive: true, force: true });
    stage = null;
    removeCreatedFolders(created);
    throw outputError(err, p.target, req.option);
  } finally {
    if (stage) fs.rmSync(stage, { recursive: true, force: true });
  }
}

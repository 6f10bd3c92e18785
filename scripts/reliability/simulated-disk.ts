/**
 * An in-memory FileLayer that remembers what is durable, for the reliability suite
 * (this folder): SQLite's crash VFS and RocksDB's FaultInjectionTestFS in one small module.
 *
 * Per file it keeps the current bytes and the bytes as of the last completed fdatasync; per
 * directory, the current entries and the entries as of the last directory fsync. `image()` freezes
 * that state at any moment (between two calls, which is where a crash can land: the engine's calls are
 * synchronous except the two syncs), and `afterPowerLoss()` turns an image into the disk a reboot
 * would find: unsynced bytes dropped, cut to a random prefix, zero-filled or turned to garbage, and
 * directory changes since the last directory fsync undone. It also fails chosen calls (the Nth write,
 * fdatasync, rename, …) with an errno, once or from then on, for the I/O-error loop.
 *
 * It is a test tool: nothing in the engine imports it, and it holds everything in memory.
 */
import assert from 'node:assert/strict';
import type { FileLayer, OpenMode } from '../../src/io/file-layer.js';

/** Calls that change the disk; a crash image can be taken before any of them. */
export type MutatingCall = 'create' | 'write' | 'fdatasync' | 'truncate' | 'rename' | 'unlink' | 'mkdir' | 'removeTree' | 'fsyncDir';

/** What a power loss does to a file's bytes written since its last fdatasync. */
export type UnsyncedFate = 'drop' | 'prefix' | 'zero' | 'garbage';
export const UNSYNCED_FATES: readonly UnsyncedFate[] = ['drop', 'prefix', 'zero', 'garbage'];

export interface InjectedFault {
  call: MutatingCall;
  /** Fail the Nth call of this kind, counting from 1. */
  nth: number;
  /** errno code: 'EIO', 'ENOSPC', … */
  code: string;
  /** Fail every later call of this kind too (a dead disk), not just the Nth (a transient fault). */
  persistent: boolean;
}

/** fds start here so that a mix-up with a real fd fails loudly instead of touching a real file. */
const SIMULATED_FD_FIRST = 1_000_000;
/** A file's buffer grows to at least this, then doubles: appends of small records stay cheap. */
const FILE_CAPACITY_BYTES_MIN = 4096;
/**
 * How often a power loss undoes a directory's unsynced entry changes. Undoing is the crash VFS's
 * rule; keeping them (they may have reached the disk anyway) is the rarer, also legal outcome.
 */
const UNSYNCED_DIRECTORY_REVERT_PROBABILITY = 0.75;

class SimFile {
  bytes: Uint8Array = new Uint8Array(0);
  length = 0;
  /** Content as of the last completed fdatasync (empty if never synced). */
  durable: Uint8Array = new Uint8Array(0);
  /** Directory entries naming this file (current state). */
  links = 0;
  /**
   * Ranges that were unsynced when an fdatasync failed. Linux marks those pages clean after the
   * failure (fsyncgate), so they never reach the disk, even if a later fdatasync succeeds.
   */
  lost: [number, number][] = [];

  content(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  ensure(capacity: number): void {
    if (capacity <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.bytes.length * 2, FILE_CAPACITY_BYTES_MIN));
    grown.set(this.content());
    this.bytes = grown;
  }
}

class SimDir {
  entries = new Map<string, SimNode>();
  /** Entries as of the last fsync of this directory. */
  durable = new Map<string, SimNode>();
}

type SimNode = SimFile | SimDir;

/** A frozen disk state: what the files and directories held, and what of it was durable. */
export interface DiskImage {
  readonly root: ImageDir;
}
interface ImageFile {
  kind: 'file';
  current: Uint8Array;
  durable: Uint8Array;
}
interface ImageDir {
  kind: 'dir';
  current: Map<string, ImageNode>;
  durable: Map<string, ImageNode>;
}
type ImageNode = ImageFile | ImageDir;

/** What afterPowerLoss did, so a campaign can report which fates it exercised. */
export interface PowerLossReport {
  filesWithUnsyncedBytes: number;
  fates: Record<UnsyncedFate, number>;
  /** Directories whose unsynced entry changes were undone. */
  directoriesReverted: number;
}

function errnoError(code: string, call: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${call} '${path}'`);
  error.code = code;
  error.path = path;
  return error;
}

function splitPath(path: string): string[] {
  assert.ok(path.startsWith('/'), `BUG: simulated disk wants absolute paths, got ${path}`);
  return path.split('/').filter((part) => part.length > 0 && part !== '.');
}

export class SimulatedDisk implements FileLayer {
  #root = new SimDir();
  #fds = new Map<number, { file: SimFile; path: string; writable: boolean }>();
  #nextFd = SIMULATED_FD_FIRST;
  #calls = new Map<MutatingCall, number>();
  #faults: InjectedFault[] = [];
  #mutations = 0;
  /** Called before every mutating call, with the number of mutating calls made so far. */
  beforeMutation: ((index: number, call: MutatingCall, path: string) => void) | null = null;

  /** Mutating calls made so far (the next one gets this index). */
  get mutations(): number {
    return this.#mutations;
  }

  /** Calls of one kind made so far, failed ones included. */
  callCount(call: MutatingCall): number {
    return this.#calls.get(call) ?? 0;
  }

  injectFault(fault: InjectedFault): void {
    assert.ok(fault.nth >= 1, 'BUG: fault.nth counts from 1');
    this.#faults.push(fault);
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** Counts the call, lets a crash image be taken before it, and throws if a fault is armed for it. */
  #enter(call: MutatingCall, path: string): void {
    this.beforeMutation?.(this.#mutations, call, path);
    this.#mutations++;
    const nth = (this.#calls.get(call) ?? 0) + 1;
    this.#calls.set(call, nth);
    for (const fault of this.#faults) {
      if (fault.call === call && (nth === fault.nth || (fault.persistent && nth > fault.nth))) {
        throw errnoError(fault.code, `${call} (injected fault ${nth})`, path);
      }
    }
  }

  #lookup(path: string): SimNode | undefined {
    let node: SimNode = this.#root;
    for (const part of splitPath(path)) {
      if (!(node instanceof SimDir)) return undefined;
      const next: SimNode | undefined = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  #parentOf(path: string, call: string): { dir: SimDir; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw errnoError('EINVAL', call, path);
    const dir = this.#lookup('/' + parts.join('/'));
    if (dir === undefined) throw errnoError('ENOENT', call, path);
    if (!(dir instanceof SimDir)) throw errnoError('ENOTDIR', call, path);
    return { dir, name };
  }

  #fd(fd: number, call: string): { file: SimFile; path: string; writable: boolean } {
    const open = this.#fds.get(fd);
    if (open === undefined) throw errnoError('EBADF', call, String(fd));
    return open;
  }

  #link(dir: SimDir, name: string, node: SimNode): void {
    const old = dir.entries.get(name);
    if (old instanceof SimFile) old.links--;
    dir.entries.set(name, node);
    if (node instanceof SimFile) node.links++;
  }

  #unlinkEntry(dir: SimDir, name: string): void {
    const old = dir.entries.get(name);
    if (old instanceof SimFile) old.links--;
    if (old instanceof SimDir) for (const child of [...old.entries.keys()]) this.#unlinkEntry(old, child);
    dir.entries.delete(name);
  }

  open(path: string, mode: OpenMode): number {
    let file: SimNode | undefined;
    if (mode === 'create-exclusive') {
      const { dir, name } = this.#parentOf(path, 'open');
      if (dir.entries.has(name)) throw errnoError('EEXIST', 'open', path);
      this.#enter('create', path);
      file = new SimFile();
      this.#link(dir, name, file);
    } else {
      file = this.#lookup(path);
      if (file === undefined) throw errnoError('ENOENT', 'open', path);
      if (file instanceof SimDir) throw errnoError('EISDIR', 'open', path);
    }
    const fd = this.#nextFd++;
    this.#fds.set(fd, { file, path, writable: mode !== 'read' });
    return fd;
  }

  close(fd: number): void {
    this.#fd(fd, 'close');
    this.#fds.delete(fd);
  }

  write(fd: number, bytes: Uint8Array, offset: number, length: number, position: number): void {
    const open = this.#fd(fd, 'write');
    if (!open.writable) throw errnoError('EBADF', 'write', open.path);
    const file = open.file;
    try {
      this.#enter('write', open.path);
    } catch (error) {
      // A failing disk often takes part of the write first (ENOSPC mid-record): the caller must
      // cope with the torn bytes, so half of them land.
      this.#put(file, bytes.subarray(offset, offset + Math.floor(length / 2)), position);
      throw error;
    }
    this.#put(file, bytes.subarray(offset, offset + length), position);
  }

  #put(file: SimFile, bytes: Uint8Array, position: number): void {
    const end = position + bytes.length;
    file.ensure(end);
    // A write past the end leaves a hole that reads as zeros, as on a real file system.
    if (position > file.length) file.bytes.fill(0, file.length, position);
    file.bytes.set(bytes, position);
    file.length = Math.max(file.length, end);
  }

  pread(fd: number, into: Uint8Array, offset: number, length: number, position: number): number {
    const file = this.#fd(fd, 'pread').file;
    const n = Math.max(0, Math.min(length, file.length - position));
    into.set(file.bytes.subarray(position, position + n), offset);
    return n;
  }

  async fdatasync(fd: number): Promise<void> {
    const open = this.#fd(fd, 'fdatasync');
    const file = open.file;
    try {
      this.#enter('fdatasync', open.path);
    } catch (error) {
      if (file.length > file.durable.length) file.lost.push([file.durable.length, file.length]);
      throw error;
    }
    // What is durable is what was written when the sync started; the sync completes a turn later,
    // so other calls interleave with it as they do with a real one.
    const snapshot = file.content().slice();
    for (const [from, to] of file.lost) snapshot.fill(0, from, Math.min(to, snapshot.length));
    await new Promise<void>((resolve) => setImmediate(resolve));
    file.durable = snapshot;
  }

  truncate(fd: number, length: number): void {
    const open = this.#fd(fd, 'truncate');
    this.#enter('truncate', open.path);
    const file = open.file;
    file.ensure(length);
    if (length > file.length) file.bytes.fill(0, file.length, length);
    file.length = length;
  }

  size(fd: number): number {
    return this.#fd(fd, 'fstat').file.length;
  }

  linkCount(fd: number): number {
    return this.#fd(fd, 'fstat').file.links;
  }

  rename(from: string, to: string): void {
    const source = this.#parentOf(from, 'rename');
    const node = source.dir.entries.get(source.name);
    if (node === undefined) throw errnoError('ENOENT', 'rename', from);
    const target = this.#parentOf(to, 'rename');
    const existing = target.dir.entries.get(target.name);
    if (existing instanceof SimDir && (!(node instanceof SimDir) || existing.entries.size > 0)) {
      throw errnoError(node instanceof SimDir ? 'ENOTEMPTY' : 'EISDIR', 'rename', to);
    }
    this.#enter('rename', from);
    if (existing === node) return;
    source.dir.entries.delete(source.name);
    if (node instanceof SimFile) node.links--;
    this.#link(target.dir, target.name, node);
  }

  unlink(path: string): void {
    const { dir, name } = this.#parentOf(path, 'unlink');
    const node = dir.entries.get(name);
    if (node === undefined) throw errnoError('ENOENT', 'unlink', path);
    if (node instanceof SimDir) throw errnoError('EISDIR', 'unlink', path);
    this.#enter('unlink', path);
    this.#unlinkEntry(dir, name);
  }

  mkdir(path: string): void {
    let dir = this.#root;
    let sofar = '';
    for (const part of splitPath(path)) {
      sofar += '/' + part;
      const next = dir.entries.get(part);
      if (next instanceof SimFile) throw errnoError('EEXIST', 'mkdir', sofar);
      if (next === undefined) {
        this.#enter('mkdir', sofar);
        const created = new SimDir();
        this.#link(dir, part, created);
        dir = created;
      } else {
        dir = next;
      }
    }
  }

  removeTree(path: string): void {
    if (this.#lookup(path) === undefined) return;
    const { dir, name } = this.#parentOf(path, 'rm');
    this.#enter('removeTree', path);
    this.#unlinkEntry(dir, name);
  }

  readdir(path: string): string[] {
    const node = this.#lookup(path);
    if (node === undefined) throw errnoError('ENOENT', 'scandir', path);
    if (!(node instanceof SimDir)) throw errnoError('ENOTDIR', 'scandir', path);
    // Real directories list in hash order, not creation order: reverse-sorted keeps code honest
    // about sorting what it reads.
    return [...node.entries.keys()].sort().reverse();
  }

  exists(path: string): boolean {
    return this.#lookup(path) !== undefined;
  }

  isDirectory(path: string): boolean {
    return this.#lookup(path) instanceof SimDir;
  }

  async fsyncDir(path: string): Promise<void> {
    const node = this.#lookup(path);
    if (node === undefined) throw errnoError('ENOENT', 'open', path);
    if (!(node instanceof SimDir)) throw errnoError('ENOTDIR', 'fsync', path);
    this.#enter('fsyncDir', path);
    const snapshot = new Map(node.entries);
    await new Promise<void>((resolve) => setImmediate(resolve));
    node.durable = snapshot;
  }

  readFile(path: string): Uint8Array | null {
    const node = this.#lookup(path);
    if (node === undefined) return null;
    if (node instanceof SimDir) throw errnoError('EISDIR', 'read', path);
    return node.content().slice();
  }

  /** Bytes of a file, for tests that damage or inspect a store directly. */
  fileBytes(path: string): Uint8Array {
    const bytes = this.readFile(path);
    if (bytes === null) throw errnoError('ENOENT', 'read', path);
    return bytes;
  }

  /** Replaces a file's bytes outright and makes them durable (corruption tests: the damage is on the platter). */
  setFileBytes(path: string, bytes: Uint8Array): void {
    const node = this.#lookup(path);
    if (!(node instanceof SimFile)) throw errnoError('ENOENT', 'write', path);
    node.bytes = bytes.slice();
    node.length = bytes.length;
    node.durable = bytes.slice();
  }

  /** Every file path under `path`, depth first. */
  listFiles(path = '/'): string[] {
    const out: string[] = [];
    const walk = (dir: SimDir, prefix: string) => {
      for (const [name, node] of [...dir.entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (node instanceof SimDir) walk(node, `${prefix}/${name}`);
        else out.push(`${prefix}/${name}`);
      }
    };
    const start = this.#lookup(path);
    if (start instanceof SimDir) walk(start, path === '/' ? '' : path);
    return out;
  }

  /** The disk as it is now, with what is durable; later calls do not change it. */
  image(): DiskImage {
    const memo = new Map<SimNode, ImageNode>();
    const freeze = (node: SimNode): ImageNode => {
      const seen = memo.get(node);
      if (seen !== undefined) return seen;
      if (node instanceof SimFile) {
        const frozen: ImageFile = { kind: 'file', current: node.content().slice(), durable: node.durable };
        memo.set(node, frozen);
        return frozen;
      }
      const frozen: ImageDir = { kind: 'dir', current: new Map(), durable: new Map() };
      memo.set(node, frozen);
      for (const [name, child] of node.entries) frozen.current.set(name, freeze(child));
      for (const [name, child] of node.durable) frozen.durable.set(name, freeze(child));
      return frozen;
    };
    return { root: freeze(this.#root) as ImageDir };
  }

  /** A fully synced copy of an image: the disk as it was, with nothing lost (a clean shutdown). */
  static fromImage(image: DiskImage): SimulatedDisk {
    return SimulatedDisk.#build(image, () => ({ useDurableEntries: false, contentOf: (file) => file.current }));
  }

  /**
   * The disk a reboot finds after power is cut at the moment of `image`. `random` returns a float in
   * [0, 1) and decides, per file, the fate of its unsynced bytes and, per directory, whether its
   * unsynced entry changes are undone (the crash VFS's rule: files created since the last directory
   * fsync are gone) or happened to reach the disk anyway.
   */
  static afterPowerLoss(image: DiskImage, random: () => number, fates: readonly UnsyncedFate[] = UNSYNCED_FATES): { disk: SimulatedDisk; report: PowerLossReport } {
    const report: PowerLossReport = { filesWithUnsyncedBytes: 0, fates: { drop: 0, prefix: 0, zero: 0, garbage: 0 }, directoriesReverted: 0 };
    const disk = SimulatedDisk.#build(image, (dir) => {
      const changed = !sameEntries(dir.current, dir.durable);
      const revert = changed && random() < UNSYNCED_DIRECTORY_REVERT_PROBABILITY;
      if (revert) report.directoriesReverted++;
      return {
        useDurableEntries: revert,
        contentOf(file) {
          const shared = commonPrefixLength(file.current, file.durable);
          if (shared === file.current.length && shared === file.durable.length) return file.current;
          report.filesWithUnsyncedBytes++;
          if (shared < file.durable.length) {
            // Rewritten or truncated since its sync: either state may be what the disk holds.
            return random() < 0.5 ? file.durable : file.current;
          }
          const fate = fates[Math.floor(random() * fates.length)]!;
          report.fates[fate]++;
          return applyFate(file.durable, file.current.subarray(shared), fate, random);
        },
      };
    });
    return { disk, report };
  }

  static #build(image: DiskImage, choose: (dir: ImageDir) => { useDurableEntries: boolean; contentOf: (file: ImageFile) => Uint8Array }): SimulatedDisk {
    const disk = new SimulatedDisk();
    const files = new Map<ImageFile, SimFile>();
    const thaw = (from: ImageDir, into: SimDir) => {
      const rule = choose(from);
      for (const [name, child] of rule.useDurableEntries ? from.durable : from.current) {
        if (child.kind === 'dir') {
          const dir = new SimDir();
          thaw(child, dir);
          into.entries.set(name, dir);
        } else {
          let file = files.get(child);
          if (file === undefined) {
            file = new SimFile();
            const content = rule.contentOf(child);
            file.bytes = content.slice();
            file.length = content.length;
            file.durable = content.slice();
            files.set(child, file);
          }
          file.links++;
          into.entries.set(name, file);
        }
      }
      into.durable = new Map(into.entries);
    };
    thaw(image.root, disk.#root);
    return disk;
  }
}

function sameEntries(a: Map<string, ImageNode>, b: Map<string, ImageNode>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, node] of a) if (b.get(name) !== node) return false;
  return true;
}

function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function applyFate(durable: Uint8Array, unsynced: Uint8Array, fate: UnsyncedFate, random: () => number): Uint8Array {
  const out = new Uint8Array(durable.length + unsynced.length);
  out.set(durable);
  switch (fate) {
    case 'drop':
      return durable;
    case 'prefix': {
      const kept = Math.floor(random() * (unsynced.length + 1));
      out.set(unsynced.subarray(0, kept), durable.length);
      return out.subarray(0, durable.length + kept);
    }
    case 'zero':
      return out;
    case 'garbage':
      for (let i = durable.length; i < out.length; i++) out[i] = Math.floor(random() * 256);
      return out;
  }
}

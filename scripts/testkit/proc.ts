/**
 * What the harnesses read of a process from /proc (Linux), the way an operator would see it: sizes
 * from /proc/<pid>/status and the sockets among its open files. Every reader answers NaN where /proc
 * is absent or the process is gone, so a caller decides whether that is a failure.
 */
import fs from 'node:fs';

/** The size fields of /proc/<pid>/status the harnesses use: VmRSS is the resident set now, VmHWM its peak. */
export type StatusSizeField = 'VmRSS' | 'VmHWM';

const KIB = 1024;

/** A size field of /proc/<pid>/status ("VmRSS:     1234 kB"), in bytes; NaN when unreadable. */
export function procStatusBytes(pid: number | 'self', field: StatusSizeField): number {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match === null ? Number.NaN : Number(match[1]) * KIB;
}

/** Sockets the process holds open (listeners and connections, client and server side); NaN when unreadable. */
export function openSocketCount(pid: number | 'self'): number {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return Number.NaN;
  }
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // Closed between the listing and the readlink.
    }
  }
  return sockets;
}

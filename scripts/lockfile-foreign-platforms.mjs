#!/usr/bin/env node
/**
 * Repairs package-lock.json after `npm install` on these machines.
 *
 * Why: the registry reachable here serves only some platforms' prebuilt binary packages (for
 * example @rollup/rollup-darwin-x64 answers 404). npm then leaves those optional dependencies out
 * of the lockfile, and `npm ci` refuses the lockfile as "not in sync" ("Missing: … from lock
 * file"). This adds an entry for each missing optional platform package, with the `os`/`cpu`
 * (and `libc`) read from its name, so `npm ci` sees it, finds it is for another platform, and skips it
 * without fetching. Run it after every `npm install` that changes dependencies:
 *
 *   node scripts/lockfile-foreign-platforms.mjs
 */
import fs from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const OSES = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'sunos', 'win32', 'aix', 'netbsd'];
const CPUS = ['arm64', 'x64', 'arm', 'ia32', 'loong64', 'ppc64', 's390x', 'riscv64', 'mips64el'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OSES.includes(p));
  let cpu = parts.find((p) => CPUS.includes(p));
  if (cpu === undefined && parts.includes('universal')) cpu = 'x64';
  if (parts.includes('arm') && parts.some((p) => p.startsWith('gnueabihf') || p.startsWith('musleabihf'))) cpu = 'arm';
  const libc = parts.some((p) => p.startsWith('musl')) ? 'musl' : parts.some((p) => p.startsWith('gnu')) && os === 'linux' ? 'glibc' : undefined;
  return { os, cpu, libc };
}

const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = key === '' ? `node_modules/${name}` : `${key}/node_modules/${name}`;
    if (packages[at] !== undefined || packages[`node_modules/${name}`] !== undefined) continue;
    const { os, cpu, libc } = platformOf(name);
    if (os === undefined) continue; // not a platform package: a real omission, leave it for npm to report
    packages[`node_modules/${name}`] = {
      version: version.replace(/^[~^=]/, ''),
      ...(cpu !== undefined ? { cpu: [cpu] } : {}),
      ...(entry.dev === true ? { dev: true } : {}),
      ...(libc !== undefined ? { libc: [libc] } : {}),
      optional: true,
      os: [os],
    };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`added ${added} foreign-platform lock entries\n`);

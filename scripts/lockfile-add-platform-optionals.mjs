// Adds lockfile entries for platform-specific optional dependencies that the registry mirror
// of this workplace does not serve (it answers 404 for other platforms' binaries, so `npm
// install` leaves them out and `npm ci` then refuses the lockfile as out of sync). The entries
// carry os/cpu/libc, so npm skips them on every other platform without fetching anything.
// Run after `npm install` whenever dependencies change: node scripts/lockfile-add-platform-optionals.mjs
import fs from 'node:fs';

const OS = ['android', 'darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix'];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];

const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const where = `node_modules/${name}`;
    if (pkgs[where] || !/^\d+\.\d+\.\d+/.test(version)) continue;
    const parts = name.split('/').pop().split('-');
    const os = OS.find((o) => parts.includes(o));
    const cpu = CPU.find((c) => parts.includes(c));
    if (!os || !cpu) continue;
    const e = { version, cpu: [cpu], optional: true, os: [os] };
    if (entry.dev) e.dev = true;
    if (parts.includes('musl')) e.libc = ['musl'];
    else if (os === 'linux') e.libc = ['glibc'];
    pkgs[where] = e;
    added++;
    void key;
  }
}
const sorted = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
fs.writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform-specific optional entries`);

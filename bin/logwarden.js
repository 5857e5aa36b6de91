#!/usr/bin/env node
// logwarden command-line entry point. The sources are TypeScript, run by Node's type stripping,
// which needs Node.js >= 22.18 (the project targets Node 24 LTS; `npm ci` installs one locally,
// which `npm start` and `npx logwarden` use).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `logwarden needs Node.js >= 22.18 (24 LTS recommended); this is ${process.version}.\n` +
      'Run it through npm (npm start, npx logwarden ...) after npm ci, which installs Node 24 locally.\n',
  );
  process.exit(1);
}
// The server allocates many short-lived objects per event; V8's default young generation on a
// large machine (2 x 64 MB semi-spaces) keeps ~200 MB more memory resident than 16 MB semi-spaces,
// for ~2% more instructions per event (docs/benchmarks.md). The flag only takes effect at process
// start, so `start` re-executes itself once with it (same pid, POSIX only), unless the user set it.
const semiFlag = '--max-semi-space-size';
if (
  process.argv[2] === 'start' &&
  typeof process.execve === 'function' &&
  !process.execArgv.some((a) => a.startsWith(semiFlag)) &&
  !(process.env.NODE_OPTIONS ?? '').includes(semiFlag)
) {
  process.execve(process.execPath, [
    process.execPath,
    `${semiFlag}=16`,
    ...process.execArgv,
    process.argv[1],
    ...process.argv.slice(2),
  ]);
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));

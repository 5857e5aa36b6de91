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
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));

#!/usr/bin/env node
// Runs before `npm ci`/`npm install` (preinstall): a clear message instead of odd failures on an old Node.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `scam-detector needs Node.js 24 LTS; this is Node ${process.versions.node}.\n` +
      'Install Node 24 (for example `nvm install 24 && nvm use 24`; .nvmrc says 24) and run the command again.',
  );
  process.exit(1);
}

#!/usr/bin/env node
// The README's test command: build every package (Nx, dependency order), run every project's vitest suite in one
// run, then print a summary that ends with the plain line "N passed, N failed, N skipped" and lists skipped tests.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;
}

if (!process.argv.includes('--no-build')) {
  const built = run(bin('nx'), ['run-many', '-t', 'build', '--outputStyle=static']);
  if (built !== 0) {
    console.error('build failed');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

mkdirSync(path.join(root, 'test-results'), { recursive: true });
const report = path.join(root, 'test-results', 'vitest.json');
const extra = process.argv.slice(2).filter((a) => a !== '--no-build');
const status = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra]);

let summary;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.log('0 passed, 1 failed');
  process.exit(status || 1);
}
const skipped = [];
for (const file of summary.testResults ?? []) {
  for (const t of file.assertionResults ?? []) {
    if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo') {
      skipped.push(`${path.relative(root, file.name)} > ${t.fullName ?? t.title}`);
    }
  }
}
if (skipped.length) {
  console.log(`\nSKIPPED (${skipped.length}) — these did not run here:`);
  for (const s of skipped) console.log(`  - ${s}`);
}
const passed = summary.numPassedTests ?? 0;
// A suite that failed without a failing test (an import error, a crash in a hook) counts once; a suite whose tests
// failed is already counted through them.
const brokenSuites = (summary.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((t) => t.status === 'failed')).length;
const failed = (summary.numFailedTests ?? 0) + brokenSuites;
console.log(`\nTests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
process.exit(status !== 0 ? status : failed > 0 ? 1 : 0);

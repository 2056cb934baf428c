/**
 * Models from the Hub, end to end on the built CLI: a local HTTP server (127.0.0.1, random port) serves a LLaMA
 * folder made with transformers (saved in shards: model.safetensors.index.json + model-0000N-of-0000M.safetensors,
 * tokenizer, generation_config.json) in the Hub's layout (/api/models/<repo>/tree/<rev>, /<repo>/resolve/<rev>/<path>),
 * and HF_ENDPOINT points at it. `class-it generate --model hf://...` downloads it (one transfer cut mid-body and resumed
 * with Range) and answers the same greedy ids as transformers does on the folder; a second run and `class-it eval`
 * work offline from the cache without one request; a corrupt shard and a listing with `../` are refused; an experiment
 * evaluates the model as an evaluate-only row (one cell) and validates its `checkpoint:` before any compute.
 * Needs `<repo>/.venv` with torch and transformers; skipped loudly without it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, pythonHas } from './helpers/python';
import { listenLocally, sendFileAsHub } from '@class-it/data-sources/testing';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');
const script = path.join(__dirname, 'py/hf_generate.py');

const ready = pythonHas(['torch', 'transformers', 'tokenizers']);
if (!ready) console.warn(`SKIPPED: Hub models end to end: no ${python} with torch + transformers (bash tools/scripts/setup-python.sh)`);

const PROMPTS = ['The cat sat on the', 'Who should Derek hug after'];
const MAX_NEW_TOKENS = 12;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Git's blob id, the `oid` the Hub lists for a file kept in git (not LFS). */
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

interface Served { body: Buffer; lfs: boolean; claimedSha?: string }
interface Repo { files: Record<string, Served>; extra?: Array<Record<string, unknown>> }

/** Run the CLI without blocking the event loop (the server answering it lives in this process). */
function cliRun(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe.skipIf(!ready)('models from the Hub (hf://) on the CLI', () => {
  let work: string;
  let endpoint: string;
  let closeServer: (() => Promise<void>) | undefined;
  let reference: number[][];
  const repos: Record<string, Repo> = {};
  const requests: Array<{ url: string; range?: string }> = [];
  let cutNextShard = false;
  const env = () => ({ HF_ENDPOINT: endpoint, HF_HUB_OFFLINE: '' });

  beforeAll(async () => {
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-hub-model-'));
    const pyEnv = { ...process.env, TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' };
    execFileSync(python, [script, 'make', work], { env: pyEnv, stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
    // The same model saved in shards, as large checkpoints are on the Hub.
    const sharded = path.join(work, 'sharded');
    execFileSync(python, ['-c', [
      'import sys', 'from transformers import AutoModelForCausalLM, AutoTokenizer',
      'm = AutoModelForCausalLM.from_pretrained(sys.argv[1])', 'm.save_pretrained(sys.argv[2], safe_serialization=True, max_shard_size="20KB")',
      'AutoTokenizer.from_pretrained(sys.argv[1]).save_pretrained(sys.argv[2])',
    ].join('\n'), path.join(work, 'llama'), sharded], { env: pyEnv, stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
    const request = path.join(work, 'request.json');
    await fs.writeFile(request, JSON.stringify({ models: [{ dir: path.join(work, 'llama') }], prompts: PROMPTS, chats: [], max_new_tokens: MAX_NEW_TOKENS }));
    const answers = JSON.parse(execFileSync(python, [script, 'generate', request], { env: pyEnv, encoding: 'utf8', timeout: 180_000 })) as Record<string, { single: number[][] }>;
    reference = answers[path.join(work, 'llama')]!.single;

    const files: Record<string, Served> = {};
    for (const name of readdirSync(sharded)) {
      const body = readFileSync(path.join(sharded, name));
      files[name] = { body, lfs: name.endsWith('.safetensors') };
    }
    const shards = Object.keys(files).filter((f) => f.endsWith('.safetensors')).sort();
    expect(shards.length, 'the model is saved in several shards').toBeGreaterThan(1);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors.index.json', 'tokenizer.json', 'generation_config.json']));
    files['README.md'] = { body: Buffer.from('# tiny llama'), lfs: false };
    repos['org/tiny-llama'] = { files };
    const broken = Buffer.from(files[shards[0]!]!.body);
    broken[broken.length - 5] ^= 0xff;
    repos['org/corrupt-llama'] = { files: { ...files, [shards[0]!]: { body: broken, lfs: true, claimedSha: sha(files[shards[0]!]!.body) } } };
    repos['org/hostile-llama'] = { files, extra: [{ type: 'file', path: '../../../outside.json', oid: 'x', size: 2 }] };

    ({ endpoint, close: closeServer } = await listenLocally((req, res) => {
      const url = new URL(req.url!, 'http://x');
      requests.push({ url: url.pathname, range: req.headers.range });
      const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(url.pathname);
      if (tree && repos[tree[1]!]) {
        const repo = repos[tree[1]!]!;
        const entries = [
          ...Object.entries(repo.files).map(([p, f]) => ({
            type: 'file', path: p, oid: f.lfs ? 'c'.repeat(40) : gitOid(f.body), size: f.lfs ? 135 : f.body.length,
            ...(f.lfs ? { lfs: { oid: f.claimedSha ?? sha(f.body), size: f.body.length, pointerSize: 135 } } : {}),
          })),
          ...(repo.extra ?? []),
        ];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entries));
        return;
      }
      const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
      const file = resolve ? repos[resolve[1]!]?.files[decodeURIComponent(resolve[2]!)] : undefined;
      if (!file) { res.writeHead(404).end('{"error":"not found"}'); return; }
      const cut = cutNextShard && file.lfs;
      if (cut) cutNextShard = false;
      sendFileAsHub(req, res, file.body, { cut });
    }));
  }, 600_000);

  afterAll(async () => {
    await closeServer?.();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('generate --model hf://... downloads the sharded folder (resuming a cut transfer) and answers as transformers does', async () => {
    await fs.writeFile(path.join(work, 'prompts.jsonl'), PROMPTS.map((prompt) => JSON.stringify({ prompt, max_new_tokens: MAX_NEW_TOKENS })).join('\n') + '\n');
    requests.length = 0;
    cutNextShard = true;
    const res = await cliRun(['generate', '--model', 'hf://org/tiny-llama', '--input', 'prompts.jsonl', '--cache-dir', 'cache', '--backend', 'wasm', '--batch-size', '1'], work, env());
    expect(res.status, res.stderr).toBe(0);
    const ids = res.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { ids: number[] }).ids);
    expect(ids).toEqual(reference);
    const dir = path.join(work, 'cache/hub/models/org--tiny-llama/main');
    const served = repos['org/tiny-llama']!.files;
    for (const name of Object.keys(served).filter((f) => f !== 'README.md')) expect(sha(readFileSync(path.join(dir, name))), name).toBe(sha(served[name]!.body));
    expect(existsSync(path.join(dir, 'README.md'))).toBe(false);
    const ranged = requests.filter((r) => r.range !== undefined);
    expect(ranged, 'the cut transfer was resumed with a Range request').toHaveLength(1);
    expect(ranged[0]!.range).toMatch(/^bytes=\d+-$/);
    expect(res.stderr).toMatch(/resuming at byte \d+/);
  }, 300_000);

  it('a second run, generate and eval, works offline from the cache without one request; offline without the cache says so', async () => {
    requests.length = 0;
    const offline = await cliRun(['generate', '--model', 'hf://org/tiny-llama', '--input', 'prompts.jsonl', '--cache-dir', 'cache', '--backend', 'wasm'],
      work, { ...env(), HF_HUB_OFFLINE: '1' });
    expect(offline.status, offline.stderr).toBe(0);
    expect(offline.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { ids: number[] }).ids)).toEqual(reference);

    await fs.mkdir(path.join(work, 'pairs'), { recursive: true });
    await fs.writeFile(path.join(work, 'pairs', 'agreement_1.jsonl'), Array.from({ length: 4 }, (_, i) => JSON.stringify({
      sentence_good: 'The dog sees the ball.', sentence_bad: 'The dog see the ball.', field: 'morphology', linguistics_term: 'agreement', UID: 'agreement_1', pair_id: i,
    })).join('\n') + '\n');
    const evaluated = await cliRun(['eval', '--model', 'hf://org/tiny-llama', '--offline', '--cache-dir', 'cache', '--task', 'blimp', '--data', 'pairs', '--out', 'scores', '--backend', 'wasm'], work, env());
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/blimp: accuracy \d/);
    expect(existsSync(path.join(work, 'scores', 'blimp', 'results.json'))).toBe(true);
    expect(requests).toEqual([]);

    const missing = await cliRun(['generate', '--model', 'hf://org/tiny-llama', '--input', 'prompts.jsonl', '--cache-dir', 'empty-cache', '--offline'], work, env());
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/offline mode: hf:\/\/org\/tiny-llama \(revision main\) is not in the cache .*run once with network access/);
    expect(requests).toEqual([]);
  }, 300_000);

  it('refuses a corrupt shard (wrong SHA-256) and a listing that names ../, and a malformed hf:// id', async () => {
    const corrupt = await cliRun(['generate', '--model', 'hf://org/corrupt-llama', '--input', 'prompts.jsonl', '--cache-dir', 'cache2'], work, env());
    expect(corrupt.status).toBe(1);
    expect(corrupt.stderr).toMatch(/corrupt download from .*model-00001-of-\d+\.safetensors: checksum mismatch/);
    expect(readdirSync(path.join(work, 'cache2/hub/models/org--corrupt-llama/main')).filter((f) => f.startsWith('model-00001'))).toEqual([]);

    const hostile = await cliRun(['generate', '--model', 'hf://org/hostile-llama', '--input', 'prompts.jsonl', '--cache-dir', 'cache3'], work, env());
    expect(hostile.status).toBe(1);
    expect(hostile.stderr).toMatch(/refusing the file name "\.\.\/\.\.\/\.\.\/outside\.json": it has a '\.\.' segment/);
    expect(existsSync(path.join(work, 'cache3'))).toBe(false);

    const malformed = await cliRun(['generate', '--model', 'hf://tiny-llama', '--input', 'prompts.jsonl'], work, env());
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toMatch(/'hf:\/\/tiny-llama' is not a Hub model address/);
  }, 300_000);

  it('an experiment evaluates a Hub model as an evaluate-only row: one cell, validated before any compute', async () => {
    const yaml = (checkpoint: string) => `name: anchor
seeds: [1, 2]
backend: wasm
runsDir: runs
models:
  - name: released
    checkpoint: ${checkpoint}
    evaluateOnly: baseline
instruction:
  datasets:
    conversational: { plugin: switchboard, settings: { path: ${path.join(workspace, 'data/demo/conversational.jsonl')}, limit: 20 } }
  trainer: { batchSize: 4, sequenceLength: 32, maxSteps: 1 }
  heldOut: { perDataset: 2 }
conditions:
  - { name: baseline, curriculum: baseline }
  - { name: merged, curriculum: merged, settings: { epochs: 1 } }
evaluation:
  dataDir: .
  zeroShot:
    - { task: blimp, data: pairs }
`;
    const file = path.join(work, 'anchor.yaml');
    // Not downloaded and offline: planned (one cell), nothing fetched.
    await fs.writeFile(file, yaml('hf://org/tiny-llama'));
    requests.length = 0;
    const dry = await cliRun(['run', file, '--dry-run', '--json'], work, { ...env(), HF_HUB_OFFLINE: '1' });
    expect(dry.status, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { cells: Array<{ model: string; condition: string; seed: number; steps: number; words: { unique: number } }> };
    expect(plan.cells.map((c) => [c.model, c.condition, c.seed, c.steps, c.words.unique])).toEqual([['released', 'baseline', 1, 0, 0]]);
    const dryText = await cliRun(['run', file, '--dry-run'], work, { ...env(), HF_HUB_OFFLINE: '1' });
    expect(dryText.status, dryText.stderr).toBe(0);
    expect(dryText.stderr).toMatch(/model released: hf:\/\/org\/tiny-llama is not in the download cache: planned, downloaded when its cell starts/);
    expect(dryText.stdout).toMatch(/cells \(1\)/);
    expect(requests).toEqual([]);

    for (const [checkpoint, message] of [
      ['hf://org', /is not a Hub model address/],
      ['./no-such-model', /no such checkpoint directory: .*no-such-model/],
    ] as const) {
      await fs.writeFile(file, yaml(checkpoint));
      const bad = await cliRun(['run', file, '--dry-run'], work, env());
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain(`${file}:7, field 'models[0].checkpoint'`);
      expect(bad.stderr).toMatch(message);
      expect(existsSync(path.join(work, 'runs'))).toBe(false);
    }
    await fs.writeFile(file, yaml('hf://org/tiny-llama').replace('evaluateOnly: baseline', 'evaluateOnly: merged'));
    const trains = await cliRun(['run', file, '--dry-run'], work, env());
    expect(trains.status).toBe(1);
    expect(trains.stderr).toMatch(/field 'models\[0\]\.evaluateOnly': condition 'merged' trains/);

    // The run: downloaded when its cell starts (into the experiment's cache), evaluated, never instruction-tuned.
    await fs.writeFile(file, yaml('hf://org/tiny-llama'));
    const run = await cliRun(['run', file, '--no-report'], work, env());
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1 computed, 0 already done, 0 failed/);
    const cell = JSON.parse(await fs.readFile(path.join(work, 'runs/anchor/cells/released__baseline__seed1/cell.json'), 'utf8')) as { status: string; modelDir: string };
    expect(cell.status).toBe('done');
    expect(cell.modelDir).toBe(path.join(work, '.cache/class-it/hub/models/org--tiny-llama/main'));
    expect(existsSync(path.join(work, 'runs/anchor/cells/released__baseline__seed1/eval/blimp/results.json'))).toBe(true);
    // Validation now finds it in the cache and checks its config (model_type llama) offline.
    const again = await cliRun(['run', file, '--dry-run'], work, { ...env(), HF_HUB_OFFLINE: '1' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/not in the download cache/);
  }, 300_000);
});

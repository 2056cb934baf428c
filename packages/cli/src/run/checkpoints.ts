/** Milestone checkpoints (`chck_{N}M`, BabyLM naming) of a training directory. */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Checkpoint directories named chck_{N}M below `dir`, in words-seen order. */
export async function milestoneCheckpoints(dir: string): Promise<Array<{ name: string; dir: string; millions: number }>> {
  const found: Array<{ name: string; dir: string; millions: number }> = [];
  const walk = async (d: string, depth: number) => {
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const m = /^chck_(\d+)M$/.exec(e.name);
      if (m) found.push({ name: e.name, dir: path.join(d, e.name), millions: Number(m[1]) });
      else if (depth > 0) await walk(path.join(d, e.name), depth - 1);
    }
  };
  await walk(dir, 2);
  return found.sort((a, b) => a.millions - b.millions);
}

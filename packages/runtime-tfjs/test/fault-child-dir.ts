/** Child process of checkpoint-faults.test.ts: `writeDirAtomic(argv[2])` with files `a.txt` and `b.txt` both holding `argv[3]`. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeDirAtomic } from '@class-it/core';

const [target, version] = [process.argv[2]!, process.argv[3]!];
await writeDirAtomic(target, async (tmp) => {
  await fs.writeFile(path.join(tmp, 'a.txt'), version);
  await fs.writeFile(path.join(tmp, 'b.txt'), version);
});

import { it } from 'vitest';
import { writeSyntheticRun } from './report-fixture.js';
import { writeRunReport } from '../src/index.js';
it('scratch', async () => {
  const runDir = await writeSyntheticRun('/tmp/h6');
  const files = await writeRunReport({ runDir });
  console.log(files.join('\n'));
});

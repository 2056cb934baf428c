import { it } from 'vitest';
import fs from 'node:fs';
import { loadTokenizer } from '../src/tokenizer/index.js';
it('debug', async () => {
  const t = JSON.parse(fs.readFileSync('/tmp/h1a/texts.json', 'utf8')).texts;
  const e = JSON.parse(fs.readFileSync('/tmp/h1a/parity/expected.json', 'utf8'));
  for (const name of ['llama-metaspace-always-nosplit', 'bytelevel-bos-nfc-lower']) {
    const tok = await loadTokenizer('/tmp/h1a/parity/' + name);
    let shown = 0;
    for (let i = 0; i < t.length && shown < 3; i++) {
      const g = tok.encode(t[i], { addSpecialTokens: true });
      const p = tok.encode(t[i], { addSpecialTokens: false });
      const checks = [JSON.stringify(g.ids) === JSON.stringify(e[name].withSpecial[i].ids), JSON.stringify(g.offsets) === JSON.stringify(e[name].withSpecial[i].offsets),JSON.stringify(p.ids) === JSON.stringify(e[name].withoutSpecial[i]), JSON.stringify(p.offsets) === JSON.stringify(e[name].withoutSpecialOffsets[i]), tok.decode(g.ids) === e[name].decoded[i], tok.decode(g.ids, { skipSpecialTokens: true }) === e[name].decodedSkip[i]];
      if (checks.every(Boolean)) continue;
      shown++;
      console.log('DBG', name, JSON.stringify(t[i]), checks.join(','), JSON.stringify(g.tokens), JSON.stringify(tok.decode(g.ids)), JSON.stringify(e[name].decoded[i]));
    }
  }
});

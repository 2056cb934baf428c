import { describe, expect, it } from 'vitest';
import { CharBigramModel } from '../src/testing/index.js';

describe('CharBigramModel (test double) follows the causal rule', () => {
  it('never scores the first token without BOS; scores it given BOS', async () => {
    const plain = new CharBigramModel({ seed: 1 });
    const [whole] = await plain.logLikelihood([{ context: '', continuation: 'abc' }]);
    expect(whole!.tokens).toEqual(['b', 'c']);
    expect(whole!.logprob).toBe(Math.fround(plain.tokenLogprob(97, 98) + plain.tokenLogprob(98, 99)));
    const withBos = new CharBigramModel({ seed: 1, addBos: true, addEos: true });
    const [bos] = await withBos.logLikelihood([{ context: '', continuation: 'abc' }]);
    expect(bos!.tokens).toEqual(['a', 'b', 'c']); // EOS has offsets (0,0): never scored
  });

  it('scores only the continuation and its rows are normalised', async () => {
    const m = new CharBigramModel({ seed: 2 });
    const [r] = await m.logLikelihood([{ context: 'ab', continuation: ' c' }]);
    expect(r!.tokens).toEqual([' ', 'c']);
    let total = 0;
    for (let id = 0; id < m.tokenizer.vocabSize; id++) total += Math.exp(m.tokenLogprob(65, id));
    expect(total).toBeCloseTo(1, 5);
  });
});

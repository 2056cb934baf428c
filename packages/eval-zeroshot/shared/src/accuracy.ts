/**
 * Per-metadata accuracy tables as the reference keeps them (spec §2.3): for every metadata key (field, UID,
 * linguistics_term, ...) and every value, correct/total counts in order of first appearance; accuracy is
 * `100 * correct / total`; the reported average is the macro mean over UID values.
 */
export class AccuracyTally {
  private readonly counts = new Map<string, Map<string, { correct: number; total: number }>>();

  add(metadata: Array<[string, string]>, correct: boolean): void {
    for (const [key, value] of metadata) {
      let byValue = this.counts.get(key);
      if (!byValue) this.counts.set(key, (byValue = new Map()));
      const c = byValue.get(value) ?? { correct: 0, total: 0 };
      c.total += 1;
      if (correct) c.correct += 1;
      byValue.set(value, c);
    }
  }

  /** key → value → accuracy in percent, keys and values in first-appearance order. */
  accuracies(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const [key, byValue] of this.counts) {
      out.set(key, new Map([...byValue].map(([v, c]) => [v, (100 * c.correct) / c.total])));
    }
    return out;
  }

  /** key → value → item count. */
  totals(key: string): Record<string, number> {
    return Object.fromEntries([...(this.counts.get(key) ?? new Map())].map(([v, c]) => [v, c.total]));
  }

  /** Macro average over the values of `key` (UID by default), or NaN when nothing was tallied. */
  macroAverage(key = 'UID'): number {
    const accs = [...(this.accuracies().get(key)?.values() ?? [])];
    return accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : NaN;
  }
}

/**
 * Which rows the scorer runs for a list of queries, so that no token is computed twice where the causal rule makes
 * the result the same (no tensors here: a plan of token ids, positions and reads).
 *
 * - Identical inputs run once, and a sequence that is a prefix of another is read from the longer one (the causal
 *   model gives position p the same numbers whatever follows it). This is exact and needs nothing from the model:
 *   the reading-time chain rule's contexts, which extend each other, run as one sequence.
 * - With `sharePrefixes` (a module that honours `ForwardOptions.prefixSegmentIds`), sequences that share a prefix
 *   run as one row [prefix | branch 1 | branch 2 ...]: each branch attends to the prefix and to itself, and its
 *   positions continue the prefix's, so it gets the numbers of prefix + branch run alone (up to float32 rounding).
 *   A BLiMP pair, an EWoK context with its two targets and an entity-tracking context with its options each compute
 *   their common start once. Sequences are sorted, so siblings are neighbours; a neighbour joins the row only when
 *   that lowers `rowCost` (a long row's attention grows with the square of its length).
 *
 * The plan depends only on the set of queries, never on their order or on the batch size.
 */

/** One read of a query: log softmax(logits[p])[v] of its sequence. */
interface ReadSlot {
  position: number;
  token: number;
  /** Set by the plan: the index of the read in its row's `reads`. */
  read: number;
}

interface Sequence {
  inputs: number[];
  slots: ReadSlot[];
  /** The sequence that computes this one's reads (itself unless it was handed to an extension). */
  into?: Sequence;
  /** The row that runs it (-1: it has no reads and needs none). */
  row: number;
}

/** A row of the model's input: a prefix, then branches that continue it (none when nothing is shared). */
export interface ScoringRow {
  ids: number[];
  /** Position id of each token: 0.. in the prefix, continuing the prefix's in each branch. */
  positions: number[];
  /** Segment id of each token: 0 in the prefix, b + 1 in branch b. Every branch's prefix segment is 0. */
  segments: number[];
  /** More than one branch: the row needs segment and position ids. */
  shared: boolean;
  /** Distinct reads [row position, token id] the row's queries take. */
  reads: Array<[number, number]>;
  /** Queries answered by this row (for progress). */
  queries: number;
}

export interface ScoringPlan {
  rows: ScoringRow[];
  /** For query q: its row (-1 when it has no reads), and for each of its reads (in order) the index into that row's
   *  `reads`. */
  answers: Array<{ row: number; reads: number[] }>;
}

export interface PlanOptions {
  /** Run sequences that share a prefix in one row (the module supports `prefixSegmentIds`). */
  sharePrefixes: boolean;
  /** Longest row (tokens): the context window, and the scorer's per-batch token budget. */
  maxRowTokens: number;
  /** The hidden size: weighs a row's dense work (per token) against its attention (per token pair). */
  hiddenSize: number;
}

/**
 * Relative cost of running a row of `tokens` tokens: the dense layers are linear in its length and attention is
 * quadratic. The attention term counts its elementwise passes (scale, bias, softmax, transposes) as well as its
 * products, so it weighs more than its FLOPs: a token costs `hiddenSize` units of dense work and one unit per
 * token it attends over. Only comparisons between rows matter.
 */
export function rowCost(tokens: number, hiddenSize: number): number {
  return tokens * (hiddenSize + tokens);
}

/** A read as one number that sorts by position, then token: position * 2^32 + token (exact below 2^53). */
const TOKEN_SPAN = 2 ** 32;
function readKey(position: number, token: number): number {
  if (!(Number.isInteger(token) && token >= 0 && token < TOKEN_SPAN)) throw new Error(`scoring: token id ${token} is not a valid id`);
  return position * TOKEN_SPAN + token;
}

function compareIds(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function commonPrefix(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Groups of sorted sequences that share a prefix, each with its prefix length (the whole sequence when alone). */
function groupSiblings(sorted: Sequence[], options: PlanOptions): Array<{ members: Sequence[]; prefix: number }> {
  const groups: Array<{ members: Sequence[]; prefix: number; tokens: number }> = [];
  for (const seq of sorted) {
    const last = groups[groups.length - 1];
    if (options.sharePrefixes && last) {
      const prefix = Math.min(last.prefix, commonPrefix(last.members[last.members.length - 1]!.inputs, seq.inputs));
      if (prefix > 0) {
        // Lowering the shared prefix moves its dropped part into every branch already in the row.
        const tokens = prefix + last.members.reduce((n, m) => n + m.inputs.length - prefix, 0) + seq.inputs.length - prefix;
        const joined = rowCost(tokens, options.hiddenSize);
        const apart = rowCost(last.tokens, options.hiddenSize) + rowCost(seq.inputs.length, options.hiddenSize);
        if (tokens <= options.maxRowTokens && joined < apart) {
          last.members.push(seq);
          last.prefix = prefix;
          last.tokens = tokens;
          continue;
        }
      }
    }
    groups.push({ members: [seq], prefix: seq.inputs.length, tokens: seq.inputs.length });
  }
  return groups;
}

export function planScoringRows(queries: Array<{ inputs: number[]; reads: Array<[number, number]> }>, options: PlanOptions): ScoringPlan {
  const byInputs = new Map<string, Sequence>();
  const queryReads = queries.map((q) => {
    const key = q.inputs.join(',');
    let seq = byInputs.get(key);
    if (!seq) byInputs.set(key, (seq = { inputs: q.inputs, slots: [], row: -1 }));
    const slots = q.reads.map(([position, token]) => ({ position, token, read: -1 }));
    seq.slots.push(...slots);
    return { seq, slots };
  });
  const sorted = [...byInputs.values()].sort((a, b) => compareIds(a.inputs, b.inputs));
  // A sequence sorts right before its extensions: hand its reads to the next one when that one extends it.
  const kept: Sequence[] = [];
  sorted.forEach((seq, i) => {
    const next = sorted[i + 1];
    if (next && commonPrefix(seq.inputs, next.inputs) === seq.inputs.length) {
      next.slots.push(...seq.slots);
      seq.into = next;
    } else if (seq.slots.length > 0) {
      kept.push(seq);
    }
  });

  const rows: ScoringRow[] = [];
  for (const { members, prefix } of groupSiblings(kept, options)) {
    const row: ScoringRow = {
      ids: members[0]!.inputs.slice(0, prefix),
      positions: Array.from({ length: prefix }, (_, p) => p),
      segments: new Array<number>(prefix).fill(0),
      shared: members.length > 1,
      reads: [],
      queries: 0,
    };
    const rowSlots: Array<[ReadSlot, number]> = []; // each slot with its read's key (`readKey`)
    members.forEach((member, b) => {
      const offset = row.ids.length - prefix; // the row position of this branch's position p is offset + p
      for (let p = prefix; p < member.inputs.length; p++) {
        row.ids.push(member.inputs[p]!);
        row.positions.push(p);
        row.segments.push(b + 1);
      }
      for (const slot of member.slots) {
        const at = slot.position < prefix ? slot.position : offset + slot.position;
        rowSlots.push([slot, readKey(at, slot.token)]);
      }
      member.row = rows.length;
    });
    // Each distinct read once, in (position, token) order: the row is the same whatever order the queries came in.
    const keys = [...new Set(rowSlots.map(([, key]) => key))].sort((a, b) => a - b);
    const readIndex = new Map(keys.map((key, i) => [key, i]));
    row.reads = keys.map((key) => [Math.floor(key / TOKEN_SPAN), key % TOKEN_SPAN]);
    for (const [slot, key] of rowSlots) slot.read = readIndex.get(key)!;
    rows.push(row);
  }
  const answers = queryReads.map(({ seq, slots }) => {
    let at: Sequence = seq;
    while (at.into) at = at.into;
    if (at.row >= 0) rows[at.row]!.queries++;
    return { row: at.row, reads: slots.map((s) => s.read) };
  });
  return { rows, answers };
}

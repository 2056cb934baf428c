#!/usr/bin/env node
// Writes corpus.txt: a small synthetic BabyLM-style pretraining corpus (one utterance per line) for the quickstart.
// Generated from a hand-written grammar with a fixed seed, so it is reproducible and contains no third-party text.
// It has agreement (determiner-noun, subject-verb, reflexives), questions and short dialogue-like turns, which gives
// a tiny model something BLiMP-like to learn in minutes.  Usage: node data/quickstart/make-corpus.mjs [lines]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let state = 20251023;
const rand = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const nouns = [
  ['boy', 'boys', 'm'], ['girl', 'girls', 'f'], ['dog', 'dogs', 'n'], ['cat', 'cats', 'n'], ['teacher', 'teachers', 'p'],
  ['doctor', 'doctors', 'p'], ['man', 'men', 'm'], ['woman', 'women', 'f'], ['child', 'children', 'p'], ['bird', 'birds', 'n'],
  ['student', 'students', 'p'], ['friend', 'friends', 'p'], ['actress', 'actresses', 'f'], ['waiter', 'waiters', 'm'],
];
const things = [['ball', 'balls'], ['book', 'books'], ['cup', 'cups'], ['apple', 'apples'], ['box', 'boxes'], ['car', 'cars'],
  ['picture', 'pictures'], ['hat', 'hats'], ['cookie', 'cookies'], ['shoe', 'shoes']];
const adjectives = ['big', 'small', 'red', 'happy', 'old', 'new', 'little', 'funny', 'blue', 'clean'];
const verbs = [['sees', 'see', 'saw'], ['likes', 'like', 'liked'], ['finds', 'find', 'found'], ['wants', 'want', 'wanted'],
  ['takes', 'take', 'took'], ['has', 'have', 'had'], ['eats', 'eat', 'ate'], ['breaks', 'break', 'broke']];
const intransitive = [['sleeps', 'sleep', 'slept'], ['runs', 'run', 'ran'], ['laughs', 'laugh', 'laughed'], ['sings', 'sing', 'sang']];
const places = ['in the park', 'at home', 'near the house', 'on the table', 'under the bed', 'at school', 'in the garden'];
const detSg = ['the', 'this', 'that', 'a', 'every'];
const detPl = ['the', 'these', 'those', 'some', 'many', 'two'];

const np = (plural, withAdj = rand() < 0.3) => {
  const [sg, pl, g] = pick(nouns);
  const det = plural ? pick(detPl) : pick(detSg);
  const adj = withAdj ? pick(adjectives) + ' ' : '';
  return { text: `${det === 'a' && /^[aeiou]/.test(adj || sg) ? 'an' : det} ${adj}${plural ? pl : sg}`, plural, g };
};
const obj = () => {
  const plural = rand() < 0.4;
  const [sg, pl] = pick(things);
  const det = plural ? pick(detPl) : pick(detSg);
  const adj = rand() < 0.3 ? pick(adjectives) + ' ' : '';
  return `${det === 'a' && /^[aeiou]/.test(adj || sg) ? 'an' : det} ${adj}${plural ? pl : sg}`;
};
const reflexive = (s) => (s.plural ? 'themselves' : s.g === 'm' ? 'himself' : s.g === 'f' ? 'herself' : 'itself');
const cap = (s) => s[0].toUpperCase() + s.slice(1);

const templates = [
  () => { const s = np(rand() < 0.5); const v = pick(verbs); return `${cap(s.text)} ${s.plural ? v[1] : v[0]} ${obj()}.`; },
  () => { const s = np(rand() < 0.5); const v = pick(verbs); return `${cap(s.text)} ${v[2]} ${obj()} ${pick(places)}.`; },
  () => { const s = np(rand() < 0.5); const v = pick(intransitive); return `${cap(s.text)} ${s.plural ? v[1] : v[0]} ${pick(places)}.`; },
  () => { const s = np(rand() < 0.5); return `${cap(s.text)} ${s.plural ? 'were' : 'was'} ${pick(adjectives)}.`; },
  () => { const s = np(rand() < 0.5); return `${cap(s.text)} ${s.plural ? 'have' : 'has'} ${obj()}.`; },
  () => { const s = np(rand() < 0.5); const v = pick([['sees', 'see'], ['likes', 'like'], ['hurts', 'hurt']]); return `${cap(s.text)} ${s.plural ? v[1] : v[0]} ${reflexive(s)}.`; },
  () => { const s = np(rand() < 0.5); const v = pick(verbs); return `${s.plural ? 'Do' : 'Does'} ${s.text} ${v[1]} ${obj()}?`; },
  () => { const s = np(rand() < 0.5); return `Where ${s.plural ? 'are' : 'is'} ${s.text}?`; },
  () => { const s = np(rand() < 0.5); const v = pick(verbs); return `What did ${s.text} ${v[1]}?`; },
  () => { const a = np(false); const b = np(true); const v = pick(verbs); return `${cap(a.text)} that ${b.text} ${pick(verbs)[1]} ${a.plural ? v[1] : v[0]} ${obj()}.`; },
  () => `Look at ${obj()}!`,
  () => `I think ${np(rand() < 0.5).text} ${pick(['is', 'was'])} ${pick(places)}.`,
  () => { const s = np(rand() < 0.5); return `Yes, ${s.text} ${s.plural ? "don't" : "doesn't"} ${pick(intransitive)[1]} ${pick(places)}.`; },
];

const n = Number(process.argv[2] ?? 6000);
const lines = Array.from({ length: n }, () => pick(templates)());
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus.txt');
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${lines.length} lines to ${out}`);

import { describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import { parseCsvRecords as parseCsv } from '@class-it/data-sources';
import { parseReadingCsv } from '../src/reading-data.js';

describe('CSV records (core parseCsvRecords)', () => {
  it('handles quoted commas, doubled quotes, quoted newlines and CRLF', () => {
    const recs = parseCsv('a,b,c\r\n1,"x, y","say ""hi"""\n2,"two\nlines",\n', 'f.csv');
    expect(recs.map((r) => r.fields)).toEqual([['a', 'b', 'c'], ['1', 'x, y', 'say "hi"'], ['2', 'two\nlines', '']]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3]);
  });
  it('names the line of an unterminated quote', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"oops\n', 'f.csv')).toThrow(/^f\.csv:3: unterminated quoted field/);
  });
});

const HEADER = ',item,word,word2,sentence,context_length,sent_id,item_id,list,Subtlex_log10,length,RTfirstfix,RTfirstpass,RTgopast,RTrightbound,self_paced_reading_time,ELAN,LAN,N400,P600,EPNP,PNP,prev_word,prev_item,prev_length';
const nums = '100.5,110,120,115,300,0.1,-0.2,0.3,0.4,-0.5,0.6';

describe('reading CSV with pandas NA semantics', () => {
  it('fills a missing item with "None", leaves prev_item "None"/"" missing, keeps quoted words', () => {
    const text = [
      HEADER,
      `0,,of,OF,None of the city people dress like that.,1,74,409,2,13.2,2,${nums},,,-1`,
      `1,None of,the,THE,None of the city people dress like that.,2,74,410,5,14.2,3,${nums},of,None,2`,
      `2,"Good God, if you are","watching,","WATCHING,","Good God, if you are watching, give me strength.",5,86,500,1,,9,${nums},are,"Good God, if you",3`,
    ].join('\n');
    const rows = parseReadingCsv(text, 'r.csv');
    expect(rows.map((r) => [r.index, r.item, r.word, r.prevItem, r.prevWord])).toEqual([
      [0, 'None', 'of', null, null],
      [1, 'None of', 'the', null, 'of'],
      [2, 'Good God, if you are', 'watching,', 'Good God, if you', 'are'],
    ]);
    expect(rows[2]!.values.Subtlex_log10).toBeNaN();
    expect(rows[2]!.values.prev_length).toBe(3);
    expect(rows[0]!.values.RTfirstfix).toBe(100.5);
  });

  it('names file, line and column of bad data', () => {
    expect(() => parseReadingCsv(`${HEADER}\n0,a,b,B,s,1,1,1,1,x1.5,1,${nums},,,-1`, 'r.csv')).toThrow(`r.csv:2, field 'Subtlex_log10': expected a number, got "x1.5"`);
    expect(() => parseReadingCsv(HEADER.replace(',RTgopast', ',RTgone') + '\n', 'r.csv')).toThrow(`r.csv:1, field 'RTgopast': missing column`);
    expect(() => parseReadingCsv(`${HEADER}\n0,a,b,B`, 'r.csv')).toThrow(DataError);
    expect(() => parseReadingCsv(`${HEADER}\n0,a,,B,s,1,1,1,1,1.5,1,${nums},,,-1`, 'r.csv')).toThrow(`r.csv:2, field 'word'`);
  });
});

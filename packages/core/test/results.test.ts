import { describe, expect, it } from 'vitest';
import { DataError, RESULTS_FILE, parseCompletedResult, parseEvaluationResult, resultsRecord, type EvaluationResult, type ModelInfo } from '../src/index.js';

const result: EvaluationResult = { task: 'blimp', evaluator: 'blimp', metric: 'accuracy', score: 61.5, groups: { a: 61.5 }, extra: { 'field/syntax': 60 }, itemCount: 3, files: ['predictions.json'] };
const model: ModelInfo = { architecture: 'gpt', source: 'runs/x/final', parameterCount: 10, backend: 'wasm', contextLength: 64 };
const completed = { at: '2025-01-01T00:00:00.000Z', seconds: 2 };

describe('results.json record', () => {
  it('is the result, the details, the model and the completion; results.json is listed once', () => {
    const record = resultsRecord({ result, details: { counts: { a: 3 } } }, model, completed);
    expect(record).toEqual({ ...result, files: ['predictions.json', RESULTS_FILE], details: { counts: { a: 3 } }, model, completed });
    expect(resultsRecord({ result: { ...result, files: [RESULTS_FILE] }, details: {} }, model, completed).files).toEqual([RESULTS_FILE]);
    const json = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
    expect(parseEvaluationResult(json, 'r.json')).toEqual({ ...result, files: record.files });
    expect(parseCompletedResult(json, 'r.json')).toEqual({ ...result, files: record.files });
  });

  it('a record without `completed` is not a finished one; bad fields are DataErrors naming file and field', () => {
    const json = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
    expect(parseCompletedResult(json, 'r.json')).toBeUndefined();
    expect(parseEvaluationResult({ ...json, score: null }, 'r.json').score).toBeNaN();
    expect(() => parseEvaluationResult({ ...json, score: '1' }, 'r.json')).toThrow(DataError);
    expect(() => parseEvaluationResult({ ...json, score: '1' }, 'r.json')).toThrow("r.json, field 'score': expected a number, got string");
    expect(() => parseEvaluationResult({ ...json, task: '' }, 'r.json')).toThrow("r.json, field 'task': expected a non-empty string, got string");
    expect(() => parseEvaluationResult({ ...json, extra: { x: 'y' } }, 'r.json')).toThrow("r.json, field 'extra.x': expected a number, got string");
    expect(() => parseEvaluationResult({ ...json, files: [1] }, 'r.json')).toThrow("r.json, field 'files': expected an array of strings");
    expect(() => parseCompletedResult({ ...json, completed: [] }, 'r.json')).toThrow("r.json, field 'completed': expected an object, got array");
  });
});

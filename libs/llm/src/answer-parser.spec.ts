import { describe, expect, it } from 'vitest';
import { findJsonObjects, labelFromText, parseAnswer } from './answer-parser.ts';

describe('labelFromText', () => {
  it.each([
    ['abnormal', 'abnormal'],
    ['Normal', 'normal'],
    ['ABNORMAL ECG', 'abnormal'],
    ['not abnormal', 'normal'],
    ['not normal', 'abnormal'],
    ["This ECG isn't normal.", 'abnormal'],
    ['There is no abnormal finding', 'normal'],
    // "abnormal" contains "normal": word boundaries keep it from counting for both classes.
    ['The tracing is abnormal', 'abnormal'],
    ['normal or abnormal', null],
    ['neither normal nor abnormal', null],
    ['I cannot tell', null],
    ['abnormality', null],
  ])('%s -> %s', (text, expected) => {
    expect(labelFromText(text)).toBe(expected);
  });
});

describe('parseAnswer', () => {
  it('reads strict JSON', () => {
    const answer = parseAnswer('{"label": "abnormal", "probability": 0.82, "narrative": "ST elevation in II, III, aVF."}', 'probability-unit');
    expect(answer).toMatchObject({ status: 'parsed', method: 'strict-json', label: 'abnormal', statedScore: 0.82, narrative: 'ST elevation in II, III, aVF.', refusal: false, notes: [] });
  });

  it('reads JSON inside prose and code fences', () => {
    const fenced = 'Here is my assessment:\n```json\n{"label": "normal", "probability": 0.1, "narrative": "Sinus rhythm {no} changes."}\n```\nLet me know.';
    expect(parseAnswer(fenced, 'probability-unit')).toMatchObject({ status: 'parsed', method: 'embedded-json', label: 'normal', statedScore: 0.1 });
  });

  it('reads "abnormal" as abnormal, never as normal (the ECGBench substring bug)', () => {
    expect(parseAnswer('{"label": "ABNORMAL", "probability": 0.7}', 'probability-unit').label).toBe('abnormal');
    expect(parseAnswer('The ECG is ABNORMAL.', 'probability-unit').label).toBe('abnormal');
  });

  it('handles negation in a label value and in free text', () => {
    expect(parseAnswer('{"label": "not abnormal", "probability": 0.2}', 'probability-unit').label).toBe('normal');
    expect(parseAnswer('This ECG is not normal; probability 0.9.', 'probability-unit')).toMatchObject({ status: 'parsed', method: 'text', label: 'abnormal', statedScore: 0.9 });
  });

  it('prefers an explicit "label:" line in prose', () => {
    expect(parseAnswer('Normal sinus rhythm with ST depression.\nLabel: abnormal\nProbability: 75%', 'probability-unit')).toMatchObject({ label: 'abnormal', statedScore: 0.75, method: 'text' });
  });

  it('leaves answers that name both or neither class unparsed, never guessing', () => {
    expect(parseAnswer('It could be normal or abnormal; I cannot be sure.', 'probability-unit')).toMatchObject({ status: 'unparsed', label: null, statedScore: null });
    expect(parseAnswer('{"label": "borderline", "probability": 0.5}', 'probability-unit')).toMatchObject({ status: 'unparsed', label: null, statedScore: 0.5 });
    expect(parseAnswer('', 'probability-unit')).toMatchObject({ status: 'unparsed', notes: ['empty answer'] });
    expect(parseAnswer(null, 'probability-unit').status).toBe('unparsed');
  });

  it('flags refusals', () => {
    expect(parseAnswer("I'm sorry, but I can't interpret medical images. Please consult a cardiologist.", 'probability-unit')).toMatchObject({ status: 'unparsed', refusal: true });
  });

  it('maps each scale to P(abnormal)', () => {
    expect(parseAnswer('{"label": "abnormal", "confidence": 4}', 'ordinal-5').statedScore).toBe(0.75);
    expect(parseAnswer('{"label": "normal", "confidence": 1}', 'ordinal-5').statedScore).toBe(0);
    expect(parseAnswer('{"label": "abnormal", "confidence": 7}', 'ordinal-5')).toMatchObject({ statedScore: null, notes: ['confidence 7 is not an integer from 1 to 5'] });
    expect(parseAnswer('{"label": "abnormal", "probability": 85}', 'probability-percent').statedScore).toBe(0.85);
    expect(parseAnswer('{"label": "abnormal", "probability": "85%"}', 'probability-unit').statedScore).toBe(0.85);
    const rescaled = parseAnswer('{"label": "abnormal", "probability": 85}', 'probability-unit');
    expect(rescaled).toMatchObject({ statedScore: 0.85, notes: ['probability 85 read as percent'] });
    expect(parseAnswer('{"label": "abnormal", "probability": 140}', 'probability-unit').statedScore).toBeNull();
  });

  it('notes a label that contradicts its probability without changing either', () => {
    expect(parseAnswer('{"label": "normal", "probability": 0.9}', 'probability-unit')).toMatchObject({ label: 'normal', statedScore: 0.9, notes: ['label contradicts the stated score'] });
  });

  it('skips brace pairs that are not JSON and keeps looking', () => {
    expect(findJsonObjects('a {b} then {"label": "normal"} and {"x": {"y": 1}}')).toEqual(['{b}', '{"label": "normal"}', '{"x": {"y": 1}}']);
    expect(parseAnswer('Leads {I, II} look fine. {"label": "normal", "probability": 0.05}', 'probability-unit')).toMatchObject({ method: 'embedded-json', label: 'normal' });
  });
});

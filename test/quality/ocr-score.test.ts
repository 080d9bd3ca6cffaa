// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ocrCounts, ocrScore } from '../../demo/quality/ocr-score.ts';

const florence = { box: [10, 100, 80, 118], text: 'Florence' };
const market = { box: [86, 101, 140, 118], text: 'market' };

test('a line read over two true words is matched to both, joined in reading order', () => {
  const s = ocrScore(ocrCounts([{ box: [6, 96, 146, 122], text: 'Florence market' }], [market, florence]));
  assert.deepEqual([s.cer, s.matched, s.missed, s.extra, s.word_recall, s.word_precision], [0, 2, 0, 0, 1, 1]);
  // the one line box matches neither word box at IoU 0.5: segmentation is reported apart
  assert.equal(s.boxes_matched, 0);
});

test('reading errors, misses and extras each cost what they should', () => {
  const s = ocrScore(
    ocrCounts(
      [
        { box: [8, 98, 82, 120], text: 'Florenc' },
        { box: [200, 200, 240, 220], text: 'xyz' },
      ],
      [florence, market],
    ),
  );
  // 1 edit (Florenc), market missed (6), xyz extra (3), over 14 true characters
  assert.deepEqual([s.edits, s.matched, s.missed, s.extra, s.truth_chars], [10, 1, 1, 1, 14]);
  assert.equal(s.cer, 10 / 14);
  assert.deepEqual([s.words_true, s.words_read, s.words_right, s.boxes_matched], [2, 2, 0, 1]);
});

test('a word goes to the region that covers most of it, and a region that barely touches it covers nothing', () => {
  const s = ocrScore(
    ocrCounts(
      [
        { box: [0, 90, 30, 130], text: 'Flo' },
        { box: [20, 98, 90, 120], text: 'Florence' },
      ],
      [florence],
    ),
  );
  assert.deepEqual([s.edits, s.matched, s.extra], [3, 1, 1]);
  const none = ocrScore(ocrCounts([{ box: [60, 100, 200, 118], text: 'ce' }], [florence]));
  assert.deepEqual([none.matched, none.missed, none.extra, none.edits], [0, 1, 1, 10]);
});

test('no truth and nothing read is perfect; something read over no truth is not', () => {
  assert.equal(ocrScore(ocrCounts([], [])).cer, 0);
  assert.equal(ocrScore(ocrCounts([{ box: [0, 0, 9, 9], text: 'a' }], [])).cer, 1);
});

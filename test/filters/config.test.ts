// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterConfig, DEFAULT_PHRASE_BLACKLIST } from '../../filters/filter-config.ts';
import { addStats, newStats, countKept, countDropped, countChanged } from '../../filters/filter-stats.ts';

test('the filter config fills every default and names the field of a bad value', () => {
  const c = filterConfig();
  assert.equal(c.text.brief.maxObjects, 10);
  assert.equal(c.text.diht.textSpotting, 'off');
  assert.equal(c.boxes.nmsIou, 0.5);
  assert.deepEqual(c.phrases.blacklist, DEFAULT_PHRASE_BLACKLIST);
  assert.equal(filterConfig({ text: { detailed: { maxObjects: 25 } } }).text.detailed.minActionComplexity, 1);
  assert.throws(() => filterConfig({ boxes: { nmsIou: 1.5 } }), /filter config: field "boxes\.nmsIou" .*\(got 1\.5\)/);
  assert.throws(
    () => filterConfig({ text: { diht: { textSpotting: 'sometimes' } } }),
    /field "text\.diht\.textSpotting"/,
  );
  assert.throws(() => filterConfig({ merge: { boxes: 'vote' } }), /field "merge\.boxes"/);
});

test('stats add up across shards and refuse to add different filters', () => {
  const a = newStats('text');
  countKept(a);
  countDropped(a, 'empty');
  countChanged(a, 'control_characters_replaced', 2);
  const b = newStats('text');
  countDropped(b, 'empty');
  countDropped(b, 'too_long');
  assert.deepEqual(addStats(a, b), {
    filter: 'text',
    total: 4,
    kept: 1,
    dropped: { empty: 2, too_long: 1 },
    changed: { control_characters_replaced: 2 },
  });
  assert.throws(() => addStats(a, newStats('box_nms')), /cannot add stats of "box_nms" to "text"/);
});

// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngineConfig } from '../../schemas/config.ts';
import { ExportConfig } from '../../schemas/export-config.ts';
import { finalizeRound } from '../../pipeline/engine/round-manifest.ts';
import { exportRound } from '../../pipeline/export/export-round.ts';
import { roundPlanFor, writeImageShards } from '../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../pipeline/engine/local-executor.ts';
import { openServices } from '../../pipeline/engine/open-engine.ts';
import { layout } from '../../pipeline/layout.ts';
import { createLogger } from '../../pipeline/log.ts';
import { readShard } from '../../pipeline/shards/storage-io.ts';
import { detectSource } from '../../pipeline/sources/detect.ts';
import { readManifest } from '../../demo/world/collection-manifest.ts';
import { readTruth } from '../../demo/world/truth-store.ts';
import { smallWorld, tempDir } from './helpers.ts';

/**
 * `--detailed-fraction`: the truth's detailed and more detailed captions on a share of the manifest lines as a
 * pre-existing human text, drawn from a stream of its own (nothing else in the world changes), and
 * merged by round 0 as texts of source `human`, exported as `<DETAILED_CAPTION>` and
 * `<MORE_DETAILED_CAPTION>` rows.
 */
test('detailed captions: about the fraction asked, the true detailed and more detailed captions, nothing else changed; round 0 merges them as human texts', async () => {
  const none = await smallWorld(40, 11, { detailedFraction: 0 });
  const some = await smallWorld(40, 11, { detailedFraction: 0.25 });
  const data = tempDir('detailed-round');
  try {
    const a = readManifest(join(none, 'collection'));
    const b = readManifest(join(some, 'collection'));
    assert.ok(a.every((l) => !l.texts));
    const withText = b.filter((l) => l.texts);
    assert.ok(withText.length >= 3 && withText.length <= 20, `about a quarter of 40 lines (${withText.length})`);
    assert.deepEqual(
      b.map(({ texts: _t, ...rest }) => rest),
      a,
      'uris, alt-texts and boxes as without detailed captions',
    );
    const truth = await readTruth(some);
    const uriOf = new Map(truth.images.map((i) => [i.image_id, i.uri]));
    const trueText = (g: string) =>
      new Map(truth.captions.filter((c) => c.granularity === g).map((c) => [uriOf.get(c.image_id), c.text]));
    const [trueDetailed, trueMore] = [trueText('detailed'), trueText('more_detailed')];
    for (const l of withText)
      assert.deepEqual(l.texts, [
        { granularity: 'detailed', text: trueDetailed.get(l.uri) },
        { granularity: 'more_detailed', text: trueMore.get(l.uri) },
      ]);

    // round 0 with no specialist: the pre-existing annotations through the default filters
    const config = EngineConfig.parse({ storage: join(data, 'store'), shardSize: 50 });
    const services = openServices(config, { log: createLogger({ level: 'silent' }) });
    try {
      const plan = await roundPlanFor(services.storage, 'd', 0, config);
      const { shards } = await writeImageShards(
        services.storage,
        detectSource(join(some, 'collection', 'manifest.jsonl')),
        { collection: 'd', shardSize: 50, readSize: true },
      );
      await runRoundLocal(plan, shards, services);
      const texts = (await readShard(services.storage, layout.kind('d', 0, 'text', 0), 'text')).rows;
      const human = texts.filter((t) => t.source === 'human');
      assert.equal(human.length, 2 * withText.length, 'each detailed and more detailed caption is a round 0 text');
      assert.ok(
        human.every((t) => ['detailed', 'more_detailed'].includes(t.granularity) && t.sources.includes('human')),
      );
      // and reach the training export as <DETAILED_CAPTION> rows
      assert.ok(await finalizeRound(services.storage, plan, new Set()));
      const exp = await exportRound({
        storage: services.storage,
        collection: 'd',
        round: 0,
        format: 'jsonl',
        embed: false,
        config: ExportConfig.parse({}),
      });
      assert.equal(exp.rows.per_task['<DETAILED_CAPTION>'], withText.length, JSON.stringify(exp.rows.per_task));
      assert.equal(exp.rows.per_task['<MORE_DETAILED_CAPTION>'], withText.length, JSON.stringify(exp.rows.per_task));
    } finally {
      await services.close();
    }
  } finally {
    for (const d of [none, some, data]) rmSync(d, { recursive: true, force: true });
  }
});

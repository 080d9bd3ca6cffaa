import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAdapterFactory, NoAdapterError } from '../../../pipeline/engine/adapters.ts';
import { Florence2Adapter } from '../../../specialists/florence2/adapter.ts';
import { writeManifest } from '../../../specialists/registry/register.ts';
import { variedFlorence2Folder } from '../../specialists/fixtures/florence2-sample.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';

let dir: string;
let detector: string;
let captionOnly: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fld-adapters-'));
  detector = await yoloModelFolder('exact', 64, ['red thing']);
  captionOnly = join(dir, 'f2');
  await cp(variedFlorence2Folder(), captionOnly, { recursive: true });
  await writeManifest(captionOnly, { name: 'f2-caption', family: 'florence2', version: '1', tasks: ['<DETAILED_CAPTION>', '<CAPTION>', '<OD>'] });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(detector, { recursive: true, force: true });
});

test('the captioner runs the caption tasks its florence2 folder lists, brief first; nothing is loaded by the factory', async () => {
  const a = await defaultAdapterFactory('captioner', captionOnly, 2);
  assert.ok(a instanceof Florence2Adapter);
  assert.deepEqual(a.tasks, ['<CAPTION>', '<DETAILED_CAPTION>']);
  assert.equal(a.opts.round, 2);
  assert.equal(a.opts.shareEngine, true);
});

test('a folder that cannot play the specialist is refused naming the specialist, the folder and why', async () => {
  await assert.rejects(defaultAdapterFactory('grounding', captionOnly, 0), (e: Error) => e instanceof NoAdapterError && /specialists\.grounding = .*f2: fld-model\.json does not list <CAPTION_TO_PHRASE_GROUNDING> \(it has <DETAILED_CAPTION> <CAPTION> <OD>\)/.test(e.message));
  await assert.rejects(defaultAdapterFactory('region_caption', detector, 0), /specialists\.region_caption = .*: model family is detector, expected florence2/);
  await assert.rejects(defaultAdapterFactory('captioner', join(dir, 'nowhere'), 0), /specialists\.captioner = .*nowhere: not a model folder \(no fld-model\.json\)/);
  await assert.rejects(defaultAdapterFactory('segmenter', captionOnly, 0), /no adapter for "segmenter"/);
});

import { judgeText } from './filters/text/rules.ts';
import { filterConfig } from './filters/config.ts';
import { readFileSync } from 'node:fs';
const cfg = filterConfig().text;
const caps = JSON.parse(readFileSync('test/fixtures/captions-labelled.json', 'utf8')).captions.map((c: any) => c.text);
const t0 = performance.now();
for (let r = 0; r < 300; r++) for (const t of caps) judgeText({ text: t, granularity: 'detailed' }, cfg);
console.log((performance.now() - t0) / (300 * caps.length) * 1000, 'us/text');

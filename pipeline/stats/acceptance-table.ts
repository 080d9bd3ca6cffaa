import type { Acceptance } from '../../schemas/acceptance.ts';
import { printTable, type Table } from './table.ts';

/**
 * The verified set's decision of a round as tables (docs/architecture.md, "Calibration and
 * acceptance gates"): per kind and class, which rows the round kept and the F1 on the verified set
 * behind it; per source and class, the calibrated threshold and how it was chosen. `fld stats`, its
 * HTML report, the demo and the claim bench print these.
 */
const f3 = (v: number) => v.toFixed(3);

export function acceptanceTables(a: Acceptance): Table[] {
  const out: Table[] = [];
  if (a.gates.length) {
    const kept = a.gates.filter((g) => g.decision === 'previous').length;
    out.push({
      title: `Acceptance gates, round ${a.round} (verified set ${a.verified}, ${a.images} images, margin ${a.margin}${a.confidence ? `, in ${a.confidence} of resamples` : ''})`,
      headers: [
        'kind',
        'class',
        'decision',
        'F1 new',
        'F1 previous',
        'resamples ahead',
        'support',
        'images new / previous',
      ],
      numeric: [false, false, false, true, true, true, true, true],
      rows: a.gates.map((g) => [
        g.kind,
        g.class,
        g.decision === 'new' ? 'new rows' : 'previous kept',
        f3(g.new.f1),
        f3(g.previous.f1),
        g.ahead === undefined ? '' : g.ahead.toFixed(2),
        String(g.support),
        g.coverage ? `${g.coverage.new} / ${g.coverage.previous}` : '',
      ]),
      note: `${a.gates.length - kept} class(es) took the round's rows, ${kept} kept the previous round's (new F1 below previous + margin, or above it in fewer than ${a.confidence ?? 0} of paired bootstrap resamples of the verified images; texts: recall per text, and the new texts may not cover fewer images). A class the verified set cannot judge keeps the previous rows.`,
    });
  }
  const rows: string[][] = [];
  for (const [kind, table] of [
    ['boxes', a.calibration.boxes],
    ['texts', a.calibration.texts],
  ] as const) {
    for (const [source, per] of Object.entries(table)) {
      for (const [cls, e] of Object.entries(per))
        rows.push([
          kind,
          source,
          cls,
          e.threshold === 'off' ? 'off' : f3(e.threshold),
          e.rule,
          String(e.support),
          String(e.candidates),
          f3(e.at.precision),
          f3(e.at.recall),
          f3(e.at.f1),
        ]);
    }
  }
  out.push({
    title: `Calibrated thresholds, round ${a.round} (verified set ${a.verified})`,
    headers: ['kind', 'source', 'class', 'threshold', 'rule', 'support', 'rows', 'P', 'R', 'F1'],
    numeric: [false, false, false, true, false, true, true, true, true, true],
    rows,
    note: 'Per source and class, on the verified set: max-f1 = the best F1 of the source alone, default = too little evidence (the configured threshold), off = nothing it wrote of the class was right.',
  });
  return out;
}

export const formatAcceptance = (a: Acceptance): string => acceptanceTables(a).map(printTable).join('\n\n');

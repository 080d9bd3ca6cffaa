import type { StatsDb } from './db.ts';

/**
 * A round's error rows per stage: what failed and how often. The stage names the step
 * (`annotate:<specialist>:decode`, `annotate:<specialist>:size`, `merge`, ...), and an image with any
 * error row is left out of the round's export, so a user with thousands of them needs the split, not
 * only the total the overview gives.
 */
export interface ErrorStageRow {
  stage: string;
  rows: number;
  /** Distinct images with an error row of this stage. */
  images: number;
  /** The message of the stage's row that sorts first (messages start with the image id): one example, the same on every run. */
  example: string;
}

export async function errorStages(db: StatsDb, p: string): Promise<ErrorStageRow[]> {
  return db.rows<ErrorStageRow>(
    `SELECT stage, count(*) AS rows, count(DISTINCT image_id) AS images, min(message) AS example
      FROM ${p}errors GROUP BY stage ORDER BY rows DESC, stage`,
  );
}

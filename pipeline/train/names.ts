import { layout } from '../layout.ts';

/**
 * What the training stage trains (`fld train --family`), the registered name of each round's model and
 * the key of its done marker. A module of its own, so the refine plan can name a trained model without
 * loading the stage (export, trainer, model check).
 */
export const TRAIN_FAMILIES = ['florence2', 'detector'] as const;
export type TrainFamily = (typeof TRAIN_FAMILIES)[number];

/** The Florence-2 model trained on round R of C. */
export const modelName = (collection: string, round: number): string => `${collection}-round-${round}`;

/** The detector trained on round R of C's `<OD>` labels (`fld train --family detector`). */
export const detectorModelName = (collection: string, round: number): string => `${collection}-detector-round-${round}`;

export const trainedModelName = (collection: string, round: number, family: TrainFamily = 'florence2'): string =>
  family === 'detector' ? detectorModelName(collection, round) : modelName(collection, round);

/** `_train.json` (florence2) or `_train-detector.json` (detector) in the round's storage. */
export const trainMarkerKey = (collection: string, round: number, family: TrainFamily = 'florence2'): string =>
  family === 'detector' ? layout.trainDetector(collection, round) : layout.train(collection, round);

/** The command that trains the detector of round R of C, as the refine plan's error names it. */
export const trainDetectorCommand = (collection: string, round: number): string =>
  `fld train --family detector --collection ${collection} --round ${round}`;

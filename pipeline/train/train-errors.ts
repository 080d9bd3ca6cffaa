/**
 * Why a training stage failed. `reason` says which of the contract's failures it was
 * (docs/training-stage.md), so `fld train`, `fld run --rounds` and the job's failure message can
 * name it; `exitCode` is what the CLI exits with (2 bad input before any training, 1 otherwise).
 */
export type TrainFailure =
  /** bad options, missing round or init model, broken trainCommand: nothing ran */
  | 'bad-input'
  /** the trainer exited non-zero (or was killed by a signal) */
  | 'trainer-exit'
  /** the trainer ran past its timeout; its process group was killed */
  | 'timeout'
  /** the trainer exited 0 but its model folder is missing, fails its manifest, or does not load and generate */
  | 'bad-model';

export class TrainStageError extends Error {
  override name = 'TrainStageError';
  readonly exitCode: number;
  constructor(
    readonly reason: TrainFailure,
    message: string,
  ) {
    super(message);
    this.exitCode = reason === 'bad-input' ? 2 : 1;
  }
}

import { parentPort, workerData } from 'node:worker_threads';
import { makeImage, type GenerateOptions } from './generate.ts';

// Draws images first, first + step, ... of a world and posts each one's truth rows back in order.
const { options, first, step } = workerData as { options: GenerateOptions; first: number; step: number };
for (let i = first; i < options.images; i += step) parentPort!.postMessage({ index: i, part: makeImage(options, i) });

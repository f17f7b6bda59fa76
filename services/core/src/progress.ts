import { Presets, SingleBar } from 'cli-progress';

/** Reports how far a long job is: a bar on a terminal, plain lines (for logs and CI) otherwise. */
export interface Progress {
  start(total: number, label: string): void;
  step(label?: string): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar(
      { stream, format: ' {bar} {percentage}% | {value}/{total} | {label}', hideCursor: true },
      Presets.shades_classic,
    );
    return {
      start: (total, label) => bar.start(total, 0, { label }),
      step: (label) => bar.increment(1, label === undefined ? undefined : { label }),
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  let total = 0;
  let current = '';
  return {
    start: (count, label) => {
      total = count;
      done = 0;
      current = label;
      stream.write(`${label}: 0/${total}\n`);
    },
    step: (label) => {
      done++;
      current = label ?? current;
      stream.write(`${current}: ${done}/${total}\n`);
    },
    stop: () => {},
  };
}

export const silentProgress: Progress = { start: () => {}, step: () => {}, stop: () => {} };

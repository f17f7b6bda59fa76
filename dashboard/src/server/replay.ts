import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import type { FeedSink, FeedSubscription, ResultFeed } from './feed.js';
import { CsvSplitter, csvHeader, type Parsed, parseCsvRow, parseScoredText } from './results.js';

export type RecordingFormat = 'csv' | 'jsonl';

export type RecordingRow = { line: number } & Parsed;

/** CSV or JSONL: by extension, else by the first character ("{" is JSONL). */
export function detectFormat(path: string, firstChunk: string): RecordingFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return firstChunk.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/**
 * Reads a recording row by row without loading it whole. Bad rows come out as `ok: false` with their line
 * number and reason; only an unreadable file (or a CSV without the required header) throws.
 */
export async function* readRecording(path: string): AsyncGenerator<RecordingRow> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  let format: RecordingFormat | undefined;
  const csv = new CsvSplitter();
  let header: Map<string, number> | undefined;
  let rest = '';
  let line = 0;

  function* csvRows(rows: { line: number; cells: string[] }[]): Generator<RecordingRow> {
    for (const row of rows) {
      if (!header) {
        header = csvHeader(row.cells);
        continue;
      }
      yield { line: row.line, ...parseCsvRow(row.cells, header) };
    }
  }
  function* jsonRow(text: string): Generator<RecordingRow> {
    line++;
    const trimmed = text.trim();
    if (trimmed === '') return;
    yield { line, ...parseScoredText(trimmed) };
  }

  for await (const chunk of stream as AsyncIterable<string>) {
    format ??= detectFormat(path, chunk);
    if (format === 'csv') {
      yield* csvRows(csv.push(chunk));
      continue;
    }
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const text of lines) yield* jsonRow(text);
  }
  if (format === 'csv') yield* csvRows(csv.end());
  else if (rest !== '') yield* jsonRow(rest);
}

export interface ReplayOptions {
  path: string;
  /** 1 = the recording's own pace (from processed_ts), 10 = ten times faster, 0 = as fast as possible. */
  speed: number;
  loop: boolean;
  /** Called for problems that end a pass (unreadable file, bad header). */
  onError?: (error: Error) => void;
}

const YIELD_EVERY = 500;

/**
 * A recording served as if it were the live stream, with no broker at all. Rows are paced by the gaps
 * between their `processed_ts`, divided by the speed; a gap longer than 5 s (a pause in the recording) is cut
 * to 5 s. Malformed rows are counted and reported, never fatal.
 */
export function createReplayFeed(options: ReplayOptions): ResultFeed {
  return {
    mode: 'replay',
    replay: { file: options.path, speed: options.speed },
    async subscribe(sink: FeedSink): Promise<FeedSubscription> {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let wake: (() => void) | undefined;
      const pause = (ms: number): Promise<void> =>
        new Promise((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, ms);
        });
      const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

      const run = async (): Promise<void> => {
        do {
          sink.state('replaying');
          let previousTs: number | undefined;
          let clock = performance.now();
          let sinceYield = 0;
          let scored = 0;
          try {
            for await (const row of readRecording(options.path)) {
              if (stopped) return;
              if (!row.ok) {
                sink.malformed(row.reason, row.line);
                continue;
              }
              if (options.speed > 0 && previousTs !== undefined) {
                const gapMs = Math.min(5000, Math.max(0, (row.record.processed_ts - previousTs) * 1000));
                clock += gapMs / options.speed;
                const wait = clock - performance.now();
                if (wait >= 1) await pause(wait);
                if (stopped) return;
              } else if (++sinceYield >= YIELD_EVERY) {
                sinceYield = 0;
                await yieldToEventLoop();
              }
              previousTs = row.record.processed_ts;
              sink.scored(row.record);
              scored++;
            }
          } catch (error) {
            options.onError?.(error as Error);
            sink.malformed((error as Error).message);
            break;
          }
          if (scored === 0) break; // nothing to show: looping would only spin
          if (!stopped && options.loop) await yieldToEventLoop();
        } while (!stopped && options.loop);
        if (!stopped) sink.state('replay_done');
      };
      const running = run();
      return {
        async stop() {
          stopped = true;
          clearTimeout(timer);
          wake?.();
          await running;
        },
      };
    },
  };
}

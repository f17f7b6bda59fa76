import { readFileSync, writeFileSync } from 'node:fs';
import { defaultFor, SETTINGS, type ServiceName, type Setting } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';

/**
 * The README's configuration table is generated from settings.ts, the one declaration of every environment
 * variable, so it cannot drift. After changing a setting: `UPDATE_README=1 npx vitest run --project unit
 * readme-config && npx biome format --write README.md` rewrites the table between its markers (Biome then pads
 * its columns; the comparison ignores padding).
 */
const README = new URL('../../../README.md', import.meta.url);
const START = '<!-- settings-table:start (generated from services/core/src/settings.ts) -->';
const END = '<!-- settings-table:end -->';

const escapePipes = (text: string): string => text.replaceAll('|', '\\|');

function defaultCell(setting: Setting<unknown>): string {
  if (setting.default === undefined) return '(required)';
  if (typeof setting.default === 'string')
    return setting.default === '' ? '(empty)' : `\`${setting.default}\``;
  return setting.services
    .map((service: ServiceName) => [service, defaultFor(setting, service)] as const)
    .filter(([, value]) => value !== undefined)
    .map(([service, value]) => `${service}: \`${value}\``)
    .join(', ');
}

export function settingsTable(): string {
  const rows = Object.entries(SETTINGS as Record<string, Setting<unknown>>).map(
    ([name, setting]) =>
      `| \`${name}\` | ${defaultCell(setting)} | ${setting.services.join(', ')} | ${escapePipes(setting.doc)} |`,
  );
  return ['| variable | default | read by | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Cells of each row, trimmed, so a Markdown formatter's column padding does not count as drift. */
const cells = (table: string): string[][] =>
  table
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^-{3,}$/, '---')),
    );

describe('README configuration table', () => {
  it('lists every environment variable of settings.ts with its default, readers and meaning', () => {
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start, 'README has the settings-table markers').toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const current = readme.slice(start + START.length, end).trim();
    const expected = settingsTable();
    if (
      process.env.UPDATE_README === '1' &&
      JSON.stringify(cells(current)) !== JSON.stringify(cells(expected))
    ) {
      writeFileSync(README, `${readme.slice(0, start + START.length)}\n${expected}\n${readme.slice(end)}`);
      return;
    }
    expect(cells(current)).toEqual(cells(expected));
    expect(cells(current).length).toBe(Object.keys(SETTINGS).length + 2);
  });
});

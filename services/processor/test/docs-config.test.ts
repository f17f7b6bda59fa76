import { readFileSync, writeFileSync } from 'node:fs';
import { defaultFor, SETTINGS, type ServiceName, type Setting } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';

/**
 * The configuration table (docs/configuration.md) is generated from settings.ts, the one declaration of every
 * environment variable, so it cannot drift. After changing a setting: `UPDATE_DOCS=1 npx vitest run --project
 * unit docs-config && npx biome format --write docs/configuration.md` rewrites the table between its markers
 * (Biome then pads its columns; the comparison ignores padding).
 */
const DOC = new URL('../../../docs/configuration.md', import.meta.url);
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

describe('the configuration table in docs/configuration.md', () => {
  it('lists every environment variable of settings.ts with its default, readers and meaning', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start, 'docs/configuration.md has the settings-table markers').toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const current = doc.slice(start + START.length, end).trim();
    const expected = settingsTable();
    if (
      process.env.UPDATE_DOCS === '1' &&
      JSON.stringify(cells(current)) !== JSON.stringify(cells(expected))
    ) {
      writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${expected}\n${doc.slice(end)}`);
      return;
    }
    expect(cells(current)).toEqual(cells(expected));
    expect(cells(current).length).toBe(Object.keys(SETTINGS).length + 2);
  });
});

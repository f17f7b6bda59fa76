import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

/**
 * Every relative link and anchor in README.md and docs/ resolves: the file exists and, when the link names
 * an anchor, a heading of that file gives it (GitHub's slugs, numbered as GitHub numbers repeated headings).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCUMENTS = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name)),
];

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

function anchors(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const found = new Set<string>();
  for (const line of prose(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading?.[1]) found.add(slugger.slug(heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')));
  }
  return found;
}

function links(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] as string);
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] as string);
  return [...inline, ...references];
}

const isRelative = (target: string): boolean =>
  !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('//');

describe('documentation links', () => {
  it('has a README and a docs/ folder to check', () => {
    expect(DOCUMENTS.length).toBeGreaterThan(5);
  });

  it.each(DOCUMENTS.map((path) => [relative(ROOT, path), path]))(
    'every relative link and anchor in %s resolves',
    (_name, path) => {
      const broken: string[] = [];
      for (const target of links(readFileSync(path, 'utf8')).filter(isRelative)) {
        const [file = '', anchor] = target.split('#');
        const destination = file === '' ? path : resolve(dirname(path), decodeURIComponent(file));
        if (!existsSync(destination)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (anchor === undefined || anchor === '') continue;
        if (statSync(destination).isDirectory() || !destination.endsWith('.md')) {
          broken.push(`${target}: an anchor into something that is not a Markdown file`);
          continue;
        }
        if (!anchors(readFileSync(destination, 'utf8')).has(decodeURIComponent(anchor)))
          broken.push(`${target}: no heading gives #${anchor}`);
      }
      expect(broken).toEqual([]);
    },
  );

  it('catches a broken file link and a broken anchor (the checker itself can fail)', () => {
    const sample = '# Title\n\n## Run it (here)\n\n[ok](#run-it-here) [bad](#nope) `[not a link](#x)`\n';
    expect(links(sample)).toEqual(['#run-it-here', '#nope']);
    expect(anchors(sample)).toEqual(new Set(['title', 'run-it-here']));
  });
});

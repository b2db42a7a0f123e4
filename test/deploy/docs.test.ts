// The French documentation: every relative link resolves, every page has an English summary, images are declared.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGES = [
  'docs/README.md',
  'docs/guide-coordinateur.md',
  'docs/guide-chef-de-service.md',
  'docs/guide-agent.md',
  'docs/faq.md',
  'docs/architecture.md',
  'docs/protection-des-donnees.md',
  'docs/exploitation-nationale.md',
  'deploy/README.md',
  'deploy/server/README.md',
];
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
/** GitHub's heading anchors: lower-case, punctuation dropped, spaces to dashes. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

describe.each(PAGES)('%s', (page) => {
  const text = read(page);
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((l) => !/^[a-z]+:/.test(l));

  it('links only to files that exist (images: declared in docs/images/README.md)', () => {
    const declared = read('docs/images/README.md');
    for (const link of links) {
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = file === '' ? page : normalize(join(dirname(page), file));
      if (target.startsWith('docs/images/')) {
        expect(declared, `${page} → ${link}`).toContain(`\`${target.slice('docs/images/'.length)}\``);
        continue;
      }
      expect(existsSync(join(root, target)), `${page} → ${link}`).toBe(true);
      if (anchor !== undefined && target.endsWith('.md')) {
        const anchors = [...read(target).matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1] ?? ''));
        expect(anchors, `${page} → ${link}`).toContain(anchor);
      }
    }
  });
});

describe.each(PAGES.filter((p) => !p.endsWith('README.md')))('%s', (page) => {
  it('ends with an English summary', () => {
    expect(read(page)).toMatch(/## English summary\n\n[\s\S]{200,}$/);
  });
});

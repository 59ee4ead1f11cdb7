import { describe, expect, it } from 'vitest';
import text from '../../../../resources/demo/README.md?raw';
import { parseInline, parseMarkdown } from './markdown';

describe('the Markdown of the app\'s own documents', () => {
  it('inline: code first (no markup inside), then bold and emphasis', () => {
    expect(parseInline('a `x*y*` **b** *c* d')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'code', text: 'x*y*' },
      { kind: 'text', text: ' ' },
      { kind: 'strong', text: 'b' },
      { kind: 'text', text: ' ' },
      { kind: 'em', text: 'c' },
      { kind: 'text', text: ' d' },
    ]);
    // A lone star (a product, a footnote) is text.
    expect(parseInline('2 * 3 = 6')).toEqual([{ kind: 'text', text: '2 * 3 = 6' }]);
  });

  it('blocks: headings, joined paragraphs, lists with continuation lines, fenced code, tables', () => {
    const doc = ['# Title', '', 'One line', 'and the next.', '', '* item one', '  goes on', '* item two', '', '```', 'raw *text*', '```', '', '| a | b |', '|---|---|', '| 1 | **2** |'].join('\n');
    expect(parseMarkdown(doc)).toEqual([
      { kind: 'heading', level: 1, text: [{ kind: 'text', text: 'Title' }] },
      { kind: 'paragraph', text: [{ kind: 'text', text: 'One line and the next.' }] },
      { kind: 'list', items: [[{ kind: 'text', text: 'item one goes on' }], [{ kind: 'text', text: 'item two' }]] },
      { kind: 'code', text: 'raw *text*' },
      { kind: 'table', head: [[{ kind: 'text', text: 'a' }], [{ kind: 'text', text: 'b' }]], rows: [[[{ kind: 'text', text: '1' }], [{ kind: 'strong', text: '2' }]]] },
    ]);
  });

  it('reads the demo bundle\'s README whole: every section, table and list', () => {
    const blocks = parseMarkdown(text);
    const headings = blocks.filter((b) => b.kind === 'heading').map((b) => (b.kind === 'heading' ? b.text.map((t) => t.text).join('') : ''));
    expect(headings[0]).toBe('The demo bundle');
    expect(headings).toContain('The planted mechanism (ground truth)');
    expect(blocks.filter((b) => b.kind === 'table').length).toBeGreaterThanOrEqual(3);
    expect(blocks.filter((b) => b.kind === 'code').length).toBeGreaterThanOrEqual(2);
    // Nothing is lost: every word of the file is in some block.
    const words = (s: string) => s.replace(/[`*#|]/g, ' ').split(/\s+/).filter((w) => w && !/^-+$/.test(w));
    const all = JSON.stringify(blocks);
    for (const w of words(text)) expect(all.includes(w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')), w).toBe(true);
  });
});

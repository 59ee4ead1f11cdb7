import { Fragment, useMemo } from 'react';
import { parseMarkdown, type Inline, type MarkdownBlock } from './markdown';

function InlineText({ parts }: { parts: Inline[] }) {
  return (
    <>
      {parts.map((p, i) =>
        p.kind === 'code' ? <code key={i}>{p.text}</code> : p.kind === 'strong' ? <strong key={i}>{p.text}</strong> : p.kind === 'em' ? <em key={i}>{p.text}</em> : <Fragment key={i}>{p.text}</Fragment>,
      )}
    </>
  );
}

function Block({ block }: { block: MarkdownBlock }) {
  switch (block.kind) {
    case 'heading': {
      const H = (['h2', 'h3', 'h4', 'h5'] as const)[block.level - 1];
      return (
        <H>
          <InlineText parts={block.text} />
        </H>
      );
    }
    case 'paragraph':
      return (
        <p>
          <InlineText parts={block.text} />
        </p>
      );
    case 'list':
      return (
        <ul>
          {block.items.map((item, i) => (
            <li key={i}>
              <InlineText parts={item} />
            </li>
          ))}
        </ul>
      );
    case 'code':
      return <pre className="markdown-code">{block.text}</pre>;
    case 'table':
      return (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                {block.head.map((c, i) => (
                  <th key={i}>
                    <InlineText parts={c} />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {block.rows.map((r, i) => (
                <tr key={i}>
                  {r.map((c, j) => (
                    <td key={j}>
                      <InlineText parts={c} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
  }
}

/** A Markdown document drawn as React elements (headings one level below the page's h1). */
export function MarkdownView({ source }: { source: string }) {
  const blocks = useMemo(() => parseMarkdown(source), [source]);
  return (
    <div className="markdown">
      {blocks.map((b, i) => (
        <Block key={i} block={b} />
      ))}
    </div>
  );
}

import { Fragment } from 'react';

/** A long name (repo/path/hook) that may wrap after "/", "." and "_" instead of mid-word. */
export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[/._])/);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </>
  );
}

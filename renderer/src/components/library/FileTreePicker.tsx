import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../../format';
import { selectionState, toggleNode, type FileNode } from './fileTree';

/** The repo's files as a tree with sizes and checkboxes; ticking a folder ticks all it holds. */
export function FileTreePicker({ root, selected, onChange }: { root: FileNode; selected: ReadonlySet<string>; onChange: (next: Set<string>) => void }) {
  return (
    <div className="file-tree" role="tree" aria-label="Repository files">
      <TreeRow node={root} depth={0} selected={selected} onChange={onChange} label="(all files)" />
    </div>
  );
}

function TreeRow({ node, depth, selected, onChange, label }: { node: FileNode; depth: number; selected: ReadonlySet<string>; onChange: (next: Set<string>) => void; label?: string }) {
  const [open, setOpen] = useState(depth < 1);
  const box = useRef<HTMLInputElement>(null);
  const state = selectionState(node, selected);
  useEffect(() => {
    if (box.current) box.current.indeterminate = state === 'some';
  }, [state]);
  const isDir = node.children !== null;
  const name = label ?? node.name;
  return (
    <div role="treeitem" aria-expanded={isDir ? open : undefined} aria-selected={state === 'all'}>
      <div className="tree-row" style={{ paddingLeft: depth * 18 }}>
        {isDir ? (
          <button className="link tree-toggle" onClick={() => setOpen((o) => !o)} aria-label={`${open ? 'Collapse' : 'Expand'} ${name}`}>
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span className="tree-toggle" />
        )}
        <label>
          <input ref={box} type="checkbox" checked={state === 'all'} onChange={() => onChange(toggleNode(node, selected))} aria-label={`Select ${node.path || 'all files'}`} />
          <span className={isDir ? 'tree-dir' : 'tree-file'}>{name}</span>
        </label>
        <span className="tree-size muted">{formatBytes(node.size)}</span>
        {node.cached && <span className="badge">cached</span>}
      </div>
      {isDir && open && node.children!.map((c) => <TreeRow key={c.path} node={c} depth={depth + 1} selected={selected} onChange={onChange} />)}
    </div>
  );
}

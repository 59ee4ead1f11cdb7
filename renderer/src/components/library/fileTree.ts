/** A Hub file list as a folder tree, with sizes summed per folder, for picking what to download. */
export interface FileNode {
  name: string;
  /** Repo path ("dir/sub/file"); for folders, the folder path. */
  path: string;
  size: number;
  /** Only files. */
  cached?: boolean;
  children: FileNode[] | null;
}

export function buildFileTree(files: { path: string; size: number; cached?: boolean }[]): FileNode {
  const root: FileNode = { name: '', path: '', size: 0, children: [] };
  for (const f of files) {
    const parts = f.path.split('/');
    let node = root;
    node.size += f.size;
    parts.forEach((part, i) => {
      const isFile = i === parts.length - 1;
      const p = parts.slice(0, i + 1).join('/');
      let child = node.children!.find((c) => c.name === part && (c.children === null) === isFile);
      if (!child) {
        child = isFile ? { name: part, path: p, size: 0, cached: f.cached, children: null } : { name: part, path: p, size: 0, children: [] };
        node.children!.push(child);
      }
      child.size += f.size;
      node = child;
    });
  }
  const sort = (n: FileNode) => {
    if (!n.children) return;
    n.children.sort((a, b) => Number(a.children === null) - Number(b.children === null) || a.name.localeCompare(b.name));
    n.children.forEach(sort);
  };
  sort(root);
  return root;
}

export function filesUnder(node: FileNode): string[] {
  return node.children === null ? [node.path] : node.children.flatMap(filesUnder);
}

/** 'all' | 'none' | 'some' of a folder's files are in the selection. */
export function selectionState(node: FileNode, selected: ReadonlySet<string>): 'all' | 'none' | 'some' {
  const files = filesUnder(node);
  const n = files.filter((f) => selected.has(f)).length;
  return n === 0 ? 'none' : n === files.length ? 'all' : 'some';
}

export function toggleNode(node: FileNode, selected: ReadonlySet<string>): Set<string> {
  const next = new Set(selected);
  const files = filesUnder(node);
  const select = selectionState(node, selected) !== 'all';
  for (const f of files) {
    if (select) next.add(f);
    else next.delete(f);
  }
  return next;
}

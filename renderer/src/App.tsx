import { useEffect, useState } from 'react';
import { pages } from './pages/registry';

function currentPageId(): string {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0];
  return pages.some((p) => p.id === id) ? id : 'library';
}

export function App() {
  const [pageId, setPageId] = useState(currentPageId);
  useEffect(() => {
    const onHash = () => setPageId(currentPageId());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const page = pages.find((p) => p.id === pageId)!;
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">SAE Workbench</div>
        {pages.map((p) => (
          <a key={p.id} href={`#/${p.id}`} className={p.id === pageId ? 'nav-item active' : 'nav-item'} aria-current={p.id === pageId ? 'page' : undefined}>
            {p.label}
          </a>
        ))}
      </nav>
      <main className="content">{page.render()}</main>
    </div>
  );
}

import { useEffect } from 'react';
import { useClient } from './client/context';
import { ConnectionBanner, useReconnections } from './components/ConnectionBanner';
import { pages } from './pages/registry';
import { routeHref, useRoute } from './router';
import { ShortcutProvider } from './shortcuts';
import { applyTheme } from './theme';

export function App() {
  const client = useClient();
  const route = useRoute();
  const page = pages.find((p) => p.id === route.page) ?? pages[0];
  // After a reconnection the page is drawn afresh: what it loaded before may have changed meanwhile.
  const reconnections = useReconnections();
  // The stored theme choice wins over this browser's cached one (browser mode changes port per launch).
  useEffect(() => {
    client.call('app.uiSettings', {}).then((s) => applyTheme(s.theme), () => {});
  }, [client]);
  useEffect(() => {
    document.title = `${page.label} · SAE Workbench`;
  }, [page.label]);
  return (
    <ShortcutProvider>
      <div className="shell">
        <nav className="sidebar" aria-label="Main">
          <div className="brand">SAE Workbench</div>
          {pages.map((p) => (
            <a key={p.id} href={routeHref(p.id)} className={p.id === page.id ? 'nav-item active' : 'nav-item'} aria-current={p.id === page.id ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
          <div className="sidebar-foot muted">
            Press <kbd>?</kbd> for shortcuts
          </div>
        </nav>
        <main className="content">
          <ConnectionBanner />
          <div className="page-host" key={reconnections}>
            {page.render()}
          </div>
        </main>
      </div>
    </ShortcutProvider>
  );
}

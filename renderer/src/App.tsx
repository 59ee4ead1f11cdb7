import { pages } from './pages/registry';
import { routeHref, useRoute } from './router';

export function App() {
  const route = useRoute();
  const page = pages.find((p) => p.id === route.page) ?? pages[0];
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">SAE Workbench</div>
        {pages.map((p) => (
          <a key={p.id} href={routeHref(p.id)} className={p.id === page.id ? 'nav-item active' : 'nav-item'} aria-current={p.id === page.id ? 'page' : undefined}>
            {p.label}
          </a>
        ))}
      </nav>
      <main className="content">{page.render()}</main>
    </div>
  );
}

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createClient } from './client/client';
import { ClientContext } from './client/context';
import './styles.css';
import { initTheme } from './theme';

initTheme();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ClientContext.Provider value={createClient()}>
      <App />
    </ClientContext.Provider>
  </StrictMode>,
);

import { Suspense, useEffect, useRef } from 'react';
import { useSession, useWho } from '../session/session';
import { ErrorBoundary } from '../ui/error-boundary';
import { ROUTES, homeOf } from './routes';
import { matchPath, useHashPath } from './router';

/** Header, role-aware navigation and the current page. */
export function Layout() {
  const who = useWho();
  const { signOut } = useSession();
  const path = useHashPath();
  const allowed = ROUTES.filter((r) => r.allowed(who));
  const found = allowed.map((r) => ({ r, params: matchPath(r.path, path) })).find((m) => m.params);
  const current = found ?? { r: allowed.find((r) => r.path === homeOf(who)), params: {} };
  const Page = current.r?.page;

  // after a navigation, keyboard and screen-reader users continue at the new page, not in the nav
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);

  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Federa</span>
        <span className="who" data-testid="who">
          {who.role} <strong>{who.subject}</strong>
          {who.credential === 'apiKey' && who.apiKey ? ` (API key ${who.apiKey.id})` : ''}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Main" className="nav">
        <ul>
          {allowed
            .filter((r) => r.inNav)
            .map((r) => (
              <li key={r.path}>
                <a href={`#${r.path}`} aria-current={r === current.r ? 'page' : undefined}>
                  {r.title}
                </a>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1} className="content">
        {current.r && Page ? (
          <ErrorBoundary key={current.r.path}>
            <Suspense fallback={<p aria-busy="true">Loading…</p>}>
              <Page params={current.params ?? {}} />
            </Suspense>
          </ErrorBoundary>
        ) : (
          <p>Nothing here for the {who.role} role.</p>
        )}
      </main>
    </div>
  );
}

/**
 * The API token in a browser tab: taken once from the URL fragment (`#token=...`, never a query string,
 * which servers and proxies log) or typed in; kept in sessionStorage so it dies with the tab; and wiped
 * from the visible URL so it is not shared by a copied link or a screenshot.
 */
const STORAGE_KEY = 'traffic-recorder.token';

export function tokenFromFragment(hash: string): string | null {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const params = new URLSearchParams(fragment);
  const token = params.get('token');
  return token && token.trim() ? token.trim() : null;
}

/** Reads the fragment (then removes it from the address bar) or falls back to the tab's stored token. */
export function takeInitialToken(): string | null {
  const fromHash = tokenFromFragment(window.location.hash);
  if (fromHash) {
    saveToken(fromHash);
    const params = new URLSearchParams(window.location.hash.slice(1));
    params.delete('token');
    const rest = params.toString();
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
    return fromHash;
  }
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    window.sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage can be disabled; the token then lives for this page only.
  }
}

export function forgetToken(): void {
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // See saveToken.
  }
}

import { useState } from 'react';

interface TokenPromptProps {
  error: string | null;
  busy: boolean;
  onSubmit: (token: string) => void;
}

export function TokenPrompt({ error, busy, onSubmit }: TokenPromptProps) {
  const [value, setValue] = useState('');
  return (
    <div className="token-screen">
      <form
        className="token-card"
        data-testid="token-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onSubmit(value.trim());
        }}
      >
        <h1><span className="logo-dot" />Traffic Recorder</h1>
        <p>This recorder server needs its API token. It is printed by <code>traffic-recorder serve</code> and kept for this tab only.</p>
        <label htmlFor="token-input">API token</label>
        <input
          id="token-input"
          data-testid="token-input"
          type="password"
          autoComplete="off"
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        {error && <div className="form-error" role="alert" data-testid="token-error">{error}</div>}
        <button type="submit" className="primary" data-testid="token-submit" disabled={busy || !value.trim()}>
          {busy ? 'Checking…' : 'Connect'}
        </button>
      </form>
    </div>
  );
}

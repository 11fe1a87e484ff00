export type OsErrorCode =
  | 'ELEVATION_REFUSED'   // the user dismissed or failed the pkexec / osascript / UAC prompt
  | 'TOOL_MISSING'        // the command does not exist on this machine
  | 'COMMAND_FAILED'      // the command ran and exited non-zero
  | 'UNSUPPORTED'         // no implementation for this platform / desktop
  | 'STATE_FILE';         // the saved system-proxy state is unreadable

/** Typed error for OS integration: adapters map `code` to HTTP statuses / UI messages without parsing text. */
export class OsIntegrationError extends Error {
  constructor(
    readonly code: OsErrorCode,
    message: string,
    readonly details: { command?: string; exitCode?: number | null; stderr?: string } = {},
  ) {
    super(message);
    this.name = 'OsIntegrationError';
  }
}

/**
 * Who sends recorded requests upstream. `direct` (default): our HTTP/1 forwarder (direct-forwarder.ts).
 * `mockttp`: mockttp's passthrough step for every request (slower; kept for comparison, and the path that
 * traffic-rewriting rules take). Kept apart from the engine so the CLI can name the choices without loading it.
 */
export type Forwarder = 'direct' | 'mockttp';
export const FORWARDERS: readonly Forwarder[] = ['direct', 'mockttp'];

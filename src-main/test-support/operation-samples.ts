/**
 * How a feature contributes to src-main/operations.int.test.ts without editing it: a sample input per row of its
 * table (the record type makes a row without one a compile error there), what a success must hold, which answers
 * differ between calls by nature, and what it must set up first (a local Mockarty stand-in...).
 */
import type { CallName, InputOf } from '../../src-shared/contract.js';
import type { Entry } from '../../src-shared/model.js';

export type Transport = 'rest' | 'ipc' | 'engine';

export interface SampleContext {
  /** The recorded session (one entry: `POST /recorded?x=1`, body `operation-table-body`) the read operations use. */
  readonly shared: { id: string; entry: Entry };
  /** Per transport: its own forward session, started by the table's first rows. */
  readonly own: Record<Transport, string>;
}

export interface FeatureSamples<Names extends CallName> {
  samples: { [N in Names]: (t: Transport, ctx: SampleContext) => InputOf<N> };
  expect?: Partial<{ [N in Names]: (value: any, t: Transport, ctx: SampleContext) => void }>;
  /** Rows whose answers differ between calls by nature (left out of the cross-transport comparison). */
  volatile?: Names[];
  /** Run once after the shared session is recorded, before any call. */
  setup?: (ctx: SampleContext) => Promise<void>;
  teardown?: () => Promise<void>;
}

/**
 * A session's live-replaceable rules (toxics, modification rules): read as given, and replaced on a running
 * session's proxies for the next exchange on any connection, open ones included, with nothing closed. A stopped
 * session keeps them for its restart. An empty value removes them (nothing is stored).
 */
import { ApiError } from '../../../src-shared/errors.js';
import type { ParsedInputOf } from '../../../src-shared/contract.js';
import { isEmptyModifications, type SessionModifications } from '../../../src-shared/modifications.js';
import type { SessionToxics } from '../../../src-shared/toxics.js';
import type { RecorderStore, SessionRecord } from '../store/store-types.js';
import type { SessionRunner } from './session-runner.js';

export interface RulesContext {
  store: RecorderStore;
  /** The session's record; not_found when there is none. */
  record(id: string): SessionRecord;
  runner(id: string): SessionRunner | undefined;
  /** Tell the session's stream its record changed. */
  published(record: SessionRecord): void;
}

type RuleKey = 'toxics' | 'modifications';

export class SessionRules {
  constructor(private readonly ctx: RulesContext) {}

  async getToxics({ id }: { id: string }): Promise<{ toxics: SessionToxics }> {
    return { toxics: this.ctx.record(id).toxics ?? {} };
  }

  async updateToxics({ id, toxics }: ParsedInputOf<'updateToxics'>): Promise<{ toxics: SessionToxics }> {
    const next = isEmptyToxics(toxics) ? undefined : toxics;
    return { toxics: (await this.replace(id, 'toxics', next, (runner) => runner.replaceToxics(next))) ?? {} };
  }

  async getModifications({ id }: { id: string }): Promise<{ modifications: SessionModifications }> {
    return { modifications: this.ctx.record(id).modifications ?? {} };
  }

  async updateModifications({ id, modifications }: ParsedInputOf<'updateModifications'>): Promise<{ modifications: SessionModifications }> {
    const next = isEmptyModifications(modifications) ? undefined : modifications;
    return { modifications: (await this.replace(id, 'modifications', next, (runner) => runner.replaceModifications(next))) ?? {} };
  }

  private async replace<K extends RuleKey>(
    id: string,
    key: K,
    next: SessionRecord[K] | undefined,
    apply: (runner: SessionRunner) => void | Promise<void>,
  ): Promise<SessionRecord[K] | undefined> {
    this.ctx.record(id);
    const runner = this.ctx.runner(id);
    if (runner) await apply(runner);
    // The record may have changed meanwhile (stopped, deleted): only this rule set is ours to write.
    const current = this.ctx.store.getSession(id);
    if (!current) throw new ApiError('not_found', `session ${id} not found`);
    const saved: SessionRecord = { ...current };
    if (next === undefined) delete saved[key];
    else saved[key] = next;
    this.ctx.store.upsertSession(saved);
    this.ctx.published(saved);
    return saved[key];
  }
}

/** Toxics with no protocol key and no field: none at all. */
export function isEmptyToxics(toxics: SessionToxics): boolean {
  return Object.values(toxics).every((value) => value === undefined);
}

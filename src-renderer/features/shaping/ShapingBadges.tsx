import type { AppliedRule } from '../../../src-shared/modifications.js';
import type { InjectedToxic } from '../../../src-shared/toxics.js';
import { injectedBadge, injectedWords } from './badge-words.js';
import './shaping.css';

export interface ShapingMarks {
  injected?: InjectedToxic | undefined;
  modifiedRules?: readonly AppliedRule[] | undefined;
  mapLocal?: boolean;
  /** The mock that answered, when map local did. */
  mockId?: string | undefined;
}

/** Injected, modified and mapped, as small badges (the entries table and the detail's status line). */
export function ShapingBadges({ marks, testPrefix }: { marks: ShapingMarks; testPrefix: string }) {
  const { injected, modifiedRules, mapLocal, mockId } = marks;
  return (
    <>
      {injected && (
        <span className="shaping-badge injected" data-testid={`${testPrefix}-injected`} data-kind={injected.kind} title={`Toxics: ${injectedWords(injected)}`}>
          {injectedBadge(injected)}
        </span>
      )}
      {modifiedRules && modifiedRules.length > 0 && (
        <span className="shaping-badge modified" data-testid={`${testPrefix}-modified`} data-rules={modifiedRules.join(' ')} title={`Modified by ${modifiedRules.join(', ')}`}>
          modified
        </span>
      )}
      {mapLocal && (
        <span className="shaping-badge mapped" data-testid={`${testPrefix}-mapped`} title={`Answered by a local mock${mockId ? ` (${mockId})` : ''}, not the upstream`}>
          mapped
        </span>
      )}
    </>
  );
}

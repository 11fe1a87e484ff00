import type { MachineProblem } from './machine-view.js';

/** A failed machine operation, with its kind for whoever needs to tell a refusal from a missing tool. */
export function ProblemBanner({ problem, testId }: { problem: MachineProblem | null; testId: string }) {
  if (!problem) return null;
  return (
    <div className="banner error" role="alert" data-testid={testId} data-kind={problem.kind}>
      {problem.text}
    </div>
  );
}

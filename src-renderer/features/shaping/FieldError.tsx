import { problemAt, type Problems } from './field-problems.js';

/** The message for one field (or the first inside it), right under it, named by the path the server uses. */
export function FieldError({ problems, path, testId }: { problems: Problems; path: string; testId: string }) {
  const message = problemAt(problems, path);
  return message ? <div className="field-error" data-testid={`${testId}-error`} data-path={path}>{message}</div> : null;
}

/** A configuration part the form cannot show: kept as it is, or replaced by what the form gives. */
export function KeptNotice({ what, onReplace, testId, problems, path }: { what: string; onReplace: () => void; testId: string; problems: Problems; path: string }) {
  const first = Object.keys(problems).find((p) => p === path || p.startsWith(`${path}.`));
  return (
    <div className="banner info shaping-kept" data-testid={`${testId}-kept`}>
      {/* Not shown field by field here: named by its whole path, as the server would. */}
      {first && <div className="field-error" data-testid={`${testId}-error`} data-path={first}>{first}: {problems[first]}</div>}
      These {what} are more than this form shows (a list of sets, say, or other protocols); they are kept unchanged.
      {' '}<button type="button" className="link-button" onClick={onReplace}>Replace them with the form</button>
    </div>
  );
}

/** Whether a job's collected run is still in the history: once deleted there, the job may be collected again. */
import { UserError } from '../errors';
import type { RunHistory } from '../runner/history';

export function collectedRunKept(history: Pick<RunHistory, 'summary'>, runId: string): boolean {
  try {
    history.summary(runId);
    return true;
  } catch (err) {
    if (err instanceof UserError) return false; // no such run (summary's only user error)
    throw err; // an unreadable history is not a deleted run
  }
}

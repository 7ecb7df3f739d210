import type { File, Task } from '@vitest/runner';
import type { Reporter } from 'vitest/reporters';

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, which CI reads whatever
 * the runner; vitest's own summary stays above it.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: Task) => {
      if (task.type === 'suite') {
        for (const child of task.tasks) visit(child);
        return;
      }
      const state = task.result?.state;
      if (state === 'pass') counts.passed += 1;
      else if (state === 'fail') counts.failed += 1;
      else counts.skipped += 1;
    };
    for (const file of files) {
      // A file that failed to load has no tests to count but must not read as a pass.
      if (file.result?.state === 'fail' && file.tasks.length === 0) counts.failed += 1;
      for (const task of file.tasks) visit(task);
    }
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

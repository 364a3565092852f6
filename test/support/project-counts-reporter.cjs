// A jest reporter that ends the run with one line per jest project (one per broker): how many of
// its tests passed, failed and were skipped, so that a run's figures can be given per broker.
class ProjectCountsReporter {
  onRunComplete(_contexts, results) {
    const counts = new Map();
    for (const file of results.testResults) {
      const name = file.displayName?.name ?? file.displayName ?? '(no project)';
      const c = counts.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      c.passed += file.numPassingTests;
      c.failed += file.numFailingTests;
      c.skipped += file.numPendingTests + file.numTodoTests;
      counts.set(name, c);
    }
    for (const [name, c] of counts) console.log(`tests of project ${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  }
}
module.exports = ProjectCountsReporter;

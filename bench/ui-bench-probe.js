/* global document, requestAnimationFrame, MutationObserver, PerformanceObserver */
// Runs inside the page (evaluated as a string, so the bench's Node typecheck never sees DOM names).
// Keystroke latency: keydown in the filter -> the table's entry count changed -> the next frame painted.
(() => {
  const probe = { keyLatencies: [], longTasks: [], frameGaps: [], running: false };
  let keyAt = 0;
  document.addEventListener('keydown', (e) => {
    if (e.target && e.target.dataset && e.target.dataset.testid === 'filter-input') keyAt = performance.now();
  }, true);
  const count = document.querySelector('[data-testid="filter-count"]');
  new MutationObserver(() => {
    if (!keyAt) return;
    const start = keyAt;
    keyAt = 0;
    requestAnimationFrame(() => setTimeout(() => probe.keyLatencies.push(performance.now() - start), 0));
  }).observe(count, { childList: true, characterData: true, subtree: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probe.longTasks.push(entry.duration);
  }).observe({ type: 'longtask', buffered: false });
  probe.startFrames = () => {
    probe.longTasks.length = 0;
    probe.frameGaps.length = 0;
    probe.running = true;
    let last = performance.now();
    const tick = (t) => {
      if (!probe.running) return;
      probe.frameGaps.push(t - last);
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  probe.stopFrames = () => {
    probe.running = false;
    return { longTasks: probe.longTasks.slice(), frameGaps: probe.frameGaps.slice() };
  };
  globalThis.__probe = probe;
})();

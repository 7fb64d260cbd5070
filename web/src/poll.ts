/** A refresh that runs while something is on screen. */
export interface Poller {
  /** Loads now (after a change this page made); when a load is running, once more right after it, since that one may predate the change. */
  now(): Promise<void>;
  /** Stops for good: no timer, no observer, no listeners. */
  stop(): void;
}

/**
 * Runs `load` every `everyMs` while `element` is on screen in a visible tab, and at once when it comes
 * into view, when the tab is shown again and when the window gets focus. Loads never overlap: the next
 * is timed from the end of the last, and a trigger during a load is dropped (that load is fresh enough).
 * A failed load is left to the next one.
 */
export function pollWhileVisible(element: Element, load: () => Promise<void>, everyMs: number): Poller {
  let isOnScreen = false;
  let isStopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;

  const isActive = () => !isStopped && isOnScreen && document.visibilityState === 'visible';

  function schedule(): void {
    clearTimeout(timer);
    timer = isActive() ? setTimeout(() => void run(), everyMs) : undefined;
  }

  function run(): Promise<void> {
    if (isStopped) return Promise.resolve();
    if (running) return running;
    clearTimeout(timer);
    running = load()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
        schedule();
      });
    return running;
  }

  const wake = () => {
    if (isActive()) void run();
    else clearTimeout(timer);
  };
  const observer = new IntersectionObserver((entries) => {
    isOnScreen = entries.at(-1)?.isIntersecting ?? isOnScreen;
    wake();
  });
  observer.observe(element);
  document.addEventListener('visibilitychange', wake);
  window.addEventListener('focus', wake);

  return {
    now: () => (running ? running.then(run) : run()),
    stop() {
      isStopped = true;
      clearTimeout(timer);
      observer.disconnect();
      document.removeEventListener('visibilitychange', wake);
      window.removeEventListener('focus', wake);
    },
  };
}

/** A sleep that stop() can cut short: the retry loops of the informer and the leader elector wait on one. */
export class Sleeper {
  private wakeUp?: () => void;

  /** Resolves after ms, or at once when wake() is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.wakeUp?.();
  }
}

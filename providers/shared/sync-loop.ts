/**
 * A kubelet's sync loop, shared by both providers' kubelets: at most one sync runs at a time; a request while one runs
 * makes exactly one more run after it (requests coalesce, as the kubelet's pod workers do); a new request replaces a
 * pending delay. Level-triggered: every sync reads the world afresh, so a coalesced request loses nothing.
 */
export class SyncLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(private readonly sync: () => Promise<void>, private readonly onError: (err: unknown) => void) {}

  schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = this.sync().catch(this.onError).finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
    }, delayMs);
  }

  /** No sync starts any more; resolves once the one running, if any, has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

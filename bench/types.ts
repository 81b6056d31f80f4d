/** One section of the benchmark report (`make bench`). */
export interface BenchSection {
  title: string;
  /** The section as Markdown, figures included. */
  markdown: string;
  /** Machine-readable figures, e.g. `getsPerSecond`. */
  figures: Record<string, number>;
}

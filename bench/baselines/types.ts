/** A server the bench starts as a yardstick, measured in the same run as the thing it judges. */
export interface Baseline {
  /** Origin to load, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Every process that serves it (master/primary and workers), for CPU and memory sampling. */
  pids(): number[];
  stop(): Promise<void>;
}

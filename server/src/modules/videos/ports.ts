/**
 * What the upload side needs from the processing side, as an interface: the upload service
 * schedules a transcode without importing the job (which imports the pipeline), so neither half
 * depends on the other's module graph.
 */
export interface TranscodeScheduler {
  /** Enqueues the transcode of an uploaded video; enqueueing it twice makes one job. */
  scheduleTranscode(videoId: string): Promise<void>;
}

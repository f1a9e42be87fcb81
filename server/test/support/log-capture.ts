import { Writable } from 'node:stream';

/** A logger destination kept in memory, for tests that read what a server wrote (JSON lines). */
export class LogCapture<Line = Record<string, unknown>> extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.text += chunk.toString('utf8');
    callback();
  }
  lines(): Line[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
  }
}

import { describe, expect, it } from 'vitest';
import { withHeapLimit } from './cluster.js';

describe('the API processes’ heap limit', () => {
  it('is added to node’s flags for each forked process', () => {
    expect(withHeapLimit(['--enable-source-maps'], undefined, 192)).toEqual([
      '--enable-source-maps',
      '--max-old-space-size=192',
    ]);
  });

  it('leaves a limit the operator gave alone, in either spelling or place', () => {
    const own = ['--max-old-space-size=512'];
    expect(withHeapLimit(own, undefined, 192)).toBe(own);
    expect(withHeapLimit(['--max_old_space_size=512'], undefined, 192)).toEqual(['--max_old_space_size=512']);
    expect(withHeapLimit([], '--max-old-space-size=1024 --trace-warnings', 192)).toEqual([]);
  });
});

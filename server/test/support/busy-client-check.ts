import { afterAll, expect } from 'vitest';

/**
 * node-postgres queues a query sent to a client that is still running one (two reads at once on a
 * transaction's connection, say) and warns that pg 9 will refuse it. In production that would be
 * a failed request; here every test file fails when code it ran did it. node-postgres warns once
 * per process, so the first file to do it in a worker is the one named.
 */
const BUSY_CLIENT = /client\.query\(\) when the client is already executing a query/;
const seen: string[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === 'DeprecationWarning' && BUSY_CLIENT.test(warning.message)) seen.push(warning.message);
};
process.on('warning', onWarning);

afterAll(() => {
  process.off('warning', onWarning);
  expect(seen, 'a query was sent to a node-postgres client still running another').toEqual([]);
});

// The framework ceiling: a Fastify 5 hello-world, nothing else (no logger, no plugins, no hooks).
// `GET /bytes/<n>` answers n bytes of JSON instead (the same-size ceiling of bench/api).
// Plain JavaScript so it starts without a TypeScript loader, in a process of its own (started by
// hello-world.ts). The primary forks `processes` workers that share one port through node:cluster,
// as `lectio serve --api --processes n` does, and prints one JSON line with every pid once all of
// them listen.
//   node hello-world-server.mjs <port> <processes>
import cluster from 'node:cluster';
import Fastify from 'fastify';

const [port, processes] = process.argv.slice(2).map(Number);

if (cluster.isPrimary) {
  const workers = [];
  let listening = 0;
  for (let i = 0; i < processes; i++) {
    const worker = cluster.fork();
    workers.push(worker);
    worker.on('message', (message) => {
      if (message !== 'listening') return;
      listening += 1;
      if (listening === processes)
        process.stdout.write(
          `${JSON.stringify({ primary: process.pid, workers: workers.map((w) => w.process.pid) })}\n`,
        );
    });
  }
  // A worker that dies is a broken baseline, not something to hide by restarting it.
  cluster.on('exit', (worker, code, signal) => {
    console.error(`hello-world worker ${worker.process.pid} exited (${signal ?? code})`);
    process.exit(1);
  });
  // Exit only once every worker has, so the caller's stop() leaves no process behind.
  const stop = () => {
    cluster.removeAllListeners('exit');
    let left = workers.filter((w) => w.process.exitCode === null && w.process.signalCode === null).length;
    if (left === 0) process.exit(0);
    cluster.on('exit', () => {
      left -= 1;
      if (left === 0) process.exit(0);
    });
    for (const worker of workers) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  // The same server answering a fixed JSON body of n bytes: the ceiling for answers as large as a
  // page of the course list, which tells the cost of moving the bytes from the cost of the work.
  const bodies = new Map();
  app.get('/bytes/:n', (request, reply) => {
    const n = Math.min(1_000_000, Math.max(12, Math.floor(Number(request.params.n)) || 12));
    let body = bodies.get(n);
    if (!body) {
      body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(n - 10) }));
      bodies.set(n, body);
    }
    reply.type('application/json; charset=utf-8').send(body);
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.send?.('listening');
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
  // The primary is gone (killed without a chance to stop us): never outlive it.
  process.on('disconnect', () => process.exit(0));
}

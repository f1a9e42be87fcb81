import type { Redis } from 'ioredis';

/**
 * Sends the commands an ioredis client is given while the event loop handles one round of I/O in
 * one socket write.
 *
 * ioredis writes every command to its socket as it is issued, and Node tries each write at once:
 * one `write` system call per command. A progress report issues up to eight commands (two for
 * the account, up to four reads, two writes), and in the API benchmark's CPU profile those
 * writes were over a fifth of an API process's time. The socket is corked at the first command
 * and uncorked by `setImmediate`, which runs once the loop has handled every request and reply
 * that was ready: everything issued in between, by every request, leaves in one `writev`.
 * Uncorking on the next tick instead batched only the commands of one request at a time; in the
 * heartbeat benchmark (B A A B) it used 1.2-1.5x the CPU per report of this.
 *
 * This changes nothing Redis sees: the bytes and their order on the connection are the same, and
 * each command keeps its own reply. A command waits at most for the rest of the current round of
 * callbacks, never for a timer. ioredis's own `enableAutoPipelining` would batch too, but it
 * issues the batched commands from the tick of whichever caller came first, so their spans would
 * land in that caller's trace; here each command is still sent from its caller's context.
 */
export function coalesceWrites(redis: Redis): void {
  type SendCommand = (this: Redis, ...args: Parameters<Redis['sendCommand']>) => unknown;
  const original = redis.sendCommand as SendCommand;
  let corked: Redis['stream'] | undefined;
  const uncork = () => {
    const socket = corked;
    corked = undefined;
    socket?.uncork();
  };
  redis.sendCommand = function coalescedSendCommand(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    // Only a ready connection: while connecting, ioredis writes its handshake itself, in order.
    const socket = redis.status === 'ready' ? redis.stream : undefined;
    if (socket && corked === undefined && socket.writable) {
      socket.cork();
      corked = socket;
      setImmediate(uncork);
    }
    return original.apply(this, args);
  } as Redis['sendCommand'];
}

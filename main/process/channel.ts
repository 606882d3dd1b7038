// The worker side of a parent channel: child_process IPC (process.send) under Node, or
// process.parentPort under Electron's utilityProcess. Shared by the job and task workers.

export interface WorkerChannel<Out> {
  send(msg: Out): Promise<void>;
  onMessage(cb: (msg: unknown) => void): void;
}

interface ElectronParentPort {
  postMessage(msg: unknown): void;
  on(event: 'message', cb: (e: { data: unknown }) => void): void;
}

export function openWorkerChannel<Out>(): WorkerChannel<Out> {
  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort)
    return {
      send: async (m) => parentPort.postMessage(m),
      onMessage: (cb) => parentPort.on('message', (e) => cb(e.data)),
    };
  const send = process.send?.bind(process);
  if (!send) throw new Error('a worker runs only as a child process with an IPC channel (see process/spawner.ts)');
  return {
    send: (m) => new Promise((res, rej) => send(m, undefined, {}, (err) => (err ? rej(err) : res()))),
    onMessage: (cb) => process.on('message', cb),
  };
}

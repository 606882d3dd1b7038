// Measures the roofline in its own process: the probes keep every core busy for a few seconds
// inside a synchronous native call, which in the main process would freeze the window (Electron)
// or the HTTP server (web mode) for that long. The parent starts this file through a Spawner
// (roofline.ts) and reads one message; the channel is child_process IPC or Electron's parentPort.
import { measureRoofline } from '../backends/native/roofline.js';
import { openWorkerChannel } from '../process/channel.js';

const channel = openWorkerChannel<{ ok: boolean; roofline?: unknown; message?: string }>();
measureRoofline()
  .then(
    (roofline) => channel.send({ ok: true, roofline }),
    (e: Error) => channel.send({ ok: false, message: e.message }),
  )
  .finally(() => process.exit(0));

// Measures the roofline in its own process: the probes keep every core busy for a few seconds
// inside a synchronous native call, which in the main process would freeze the window (Electron)
// or the HTTP server (web mode) for that long. The parent forks this file and reads one message.
import { measureRoofline } from '../machine/roofline.js';

measureRoofline().then(
  (roofline) => process.send?.({ ok: true, roofline }, () => process.exit(0)),
  (e: Error) => process.send?.({ ok: false, message: e.message }, () => process.exit(0)),
);

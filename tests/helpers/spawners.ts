// Spawners for tests that need to see the worker processes a queue or a task started.
import { NodeSpawner, type JobProcess, type Spawner } from '../../main/process/spawner.js';
import { defaultTaskWorkerPath } from '../../main/tasks/run-task.js';

/** A Node spawner of task workers that remembers the processes it started. */
export class RecordingSpawner implements Spawner {
  readonly started: JobProcess[] = [];
  private readonly inner = new NodeSpawner(defaultTaskWorkerPath());
  start(): JobProcess {
    const p = this.inner.start();
    this.started.push(p);
    return p;
  }
}

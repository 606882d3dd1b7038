import { numel, type Graph } from '../ir/types.js';

export interface ParamCounts {
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
}

/** Parameters: every element of every learned weight tensor (role 'param'), split by trainability. */
export function countParams(graph: Graph): ParamCounts {
  let params = 0;
  let trainable = 0;
  for (const t of graph.initializers.values()) {
    if (t.role !== 'param') continue;
    const n = numel(t.shape);
    params += n;
    if (t.trainable) trainable += n;
  }
  return { params, trainableParams: trainable, nonTrainableParams: params - trainable };
}

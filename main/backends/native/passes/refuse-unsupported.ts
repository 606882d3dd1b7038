// Pass 3: refuse, before anything runs, a graph the native backend cannot run, with every reason
// at once: first the operators outside its list (by name, with a few of their nodes), and only
// when every operator is known, the inputs that are not float32 and the forms of operators its
// kernels lack (form-checks.ts). A refusal costs nothing; a failure halfway through preparation
// would cost a compiled plan and say less.
import { StudioError, type Graph, type GraphNode } from '../../../../shared/ir/types.js';
import { formProblems, type FormFacts } from '../form-checks.js';
import { NATIVE_ONNX_OPS } from '../lowerings.js';

const ACCEPTED: ReadonlySet<string> = new Set(NATIVE_ONNX_OPS);

/** An operator the native backend has no kernels for: outside the default domain, or not listed. */
export const isUnsupported = (n: GraphNode) => !!n.domain || !ACCEPTED.has(n.op);

/** The operator as refusals name it ("com.microsoft.FusedConv"). */
export const operatorName = (n: GraphNode) => (n.domain ? `${n.domain}.${n.op}` : n.op);

/** Throws a StudioError (code 'unsupported') naming every reason `nodes` cannot run natively. */
export function refuseUnsupported(graph: Graph, nodes: GraphNode[], facts: FormFacts): void {
  const unsupported = new Map<string, string[]>();
  for (const n of nodes) {
    const key = operatorName(n);
    if (isUnsupported(n)) unsupported.set(key, [...(unsupported.get(key) ?? []), n.name]);
  }
  const problems: string[] = [];
  for (const i of graph.inputs)
    if (facts.needed.has(i.name) && i.dtype !== 'float32')
      problems.push(`input '${i.name}' is ${i.dtype} (the native backend runs float32 only)`);
  if (unsupported.size === 0) for (const n of nodes) problems.push(...formProblems(n, facts));
  if (unsupported.size === 0 && problems.length === 0) return;
  const ops = [...unsupported.entries()].map(
    ([op, names]) =>
      `${op} (${names.length} node${names.length > 1 ? 's' : ''}: ${names
        .slice(0, 3)
        .map((x) => `'${x}'`)
        .join(', ')}${names.length > 3 ? ', ...' : ''})`,
  );
  const head = `the native backend cannot run '${graph.name}'`;
  const msg =
    unsupported.size > 0
      ? `${head}: it has no kernels for ${unsupported.size === 1 ? 'operator' : 'operators'} ${ops.join(', ')}. It runs ${NATIVE_ONNX_OPS.join(', ')}.`
      : `${head}: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}.`;
  throw new StudioError(msg, 'unsupported');
}

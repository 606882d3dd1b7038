// How closely a precision variant reproduces the fp32 reference on the same inputs (DESIGN.md
// "Numbers and their conventions": max and mean absolute error, cosine similarity, top-1 agreement).
export interface OutputTensor {
  name: string;
  shape: number[];
  data: ArrayLike<number>;
}

export interface FidelityFigures {
  maxAbsError: number;
  meanAbsError: number;
  /** ||variant - reference||_2 / ||reference||_2 (0 when both are zero, Infinity when only the reference is). */
  relError: number;
  /** Cosine similarity of the two flattened tensors (1 when both are zero). */
  cosine: number;
  /** Share of rows whose arg-max agrees, for classifier-like outputs [N, classes>1]. */
  top1Agreement?: number;
  elements: number;
}

export interface OutputFidelity extends FidelityFigures {
  name: string;
  shape: number[];
}

export interface Fidelity {
  outputs: OutputFidelity[];
  /** Over every output's elements together; top-1 over every classifier-like output's rows. */
  overall: FidelityFigures;
}

/** Classifier-like: [N, classes] with classes > 1 (a 2-D output, or [N, C, 1, 1]). */
export function isClassifierShape(shape: number[]): boolean {
  const rest = shape.slice(2);
  return shape.length >= 2 && shape[1] > 1 && rest.every((d) => d === 1);
}

function argmax(data: ArrayLike<number>, start: number, n: number): number {
  let best = start;
  for (let i = start + 1; i < start + n; i++) if (data[i] > data[best]) best = i;
  return best - start;
}

/** Rows whose arg-max agree, and how many rows there were. */
export function top1Matches(variant: ArrayLike<number>, reference: ArrayLike<number>, shape: number[]) {
  const rows = shape[0];
  const classes = shape[1];
  let same = 0;
  for (let r = 0; r < rows; r++)
    if (argmax(variant, r * classes, classes) === argmax(reference, r * classes, classes)) same++;
  return { same, rows };
}

interface Sums {
  n: number;
  maxAbs: number;
  sumAbs: number;
  diff2: number;
  ref2: number;
  var2: number;
  dot: number;
  top1Same: number;
  top1Rows: number;
}

const emptySums = (): Sums => ({
  n: 0,
  maxAbs: 0,
  sumAbs: 0,
  diff2: 0,
  ref2: 0,
  var2: 0,
  dot: 0,
  top1Same: 0,
  top1Rows: 0,
});

function accumulate(s: Sums, v: ArrayLike<number>, r: ArrayLike<number>): void {
  for (let i = 0; i < r.length; i++) {
    const a = v[i];
    const b = r[i];
    const d = Math.abs(a - b);
    // Math.max keeps a NaN: a NaN in the variant is the worst error, never a skipped element.
    s.maxAbs = Math.max(s.maxAbs, d);
    s.sumAbs += d;
    s.diff2 += d * d;
    s.ref2 += b * b;
    s.var2 += a * a;
    s.dot += a * b;
  }
  s.n += r.length;
}

function figures(s: Sums): FidelityFigures {
  const refNorm = Math.sqrt(s.ref2);
  const varNorm = Math.sqrt(s.var2);
  const out: FidelityFigures = {
    maxAbsError: s.maxAbs,
    meanAbsError: s.n ? s.sumAbs / s.n : 0,
    relError: refNorm > 0 ? Math.sqrt(s.diff2) / refNorm : s.diff2 > 0 ? Infinity : 0,
    cosine: refNorm > 0 && varNorm > 0 ? s.dot / (refNorm * varNorm) : refNorm === varNorm ? 1 : 0,
    elements: s.n,
  };
  if (s.top1Rows) out.top1Agreement = s.top1Same / s.top1Rows;
  return out;
}

/** Compares every output of the variant with the reference output of the same name. */
export function fidelity(variant: OutputTensor[], reference: OutputTensor[]): Fidelity {
  const all = emptySums();
  const outputs = reference.map((ref) => {
    const v = variant.find((o) => o.name === ref.name);
    if (!v) throw new Error(`the variant has no output '${ref.name}' to compare with the fp32 reference`);
    if (v.data.length !== ref.data.length)
      throw new Error(
        `output '${ref.name}' has ${v.data.length} values in the variant but ${ref.data.length} in the fp32 reference`,
      );
    const s = emptySums();
    accumulate(s, v.data, ref.data);
    accumulate(all, v.data, ref.data);
    if (isClassifierShape(ref.shape)) {
      const t = top1Matches(v.data, ref.data, ref.shape);
      s.top1Same = t.same;
      s.top1Rows = t.rows;
      all.top1Same += t.same;
      all.top1Rows += t.rows;
    }
    return { name: ref.name, shape: [...ref.shape], ...figures(s) };
  });
  return { outputs, overall: figures(all) };
}

// UTF-8 text <-> bytes: the one host facility shared/ uses. Node and browsers both provide these
// globals, but they belong to neither the ECMAScript library nor a common type package, so
// shared/tsconfig.json (no Node, no DOM types) declares just this much of them.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}

// A choice among a fixed, ordered set (precisions, lab heads): what is chosen stays in the set's order.

/** `chosen` with `item` added (`on`) or removed, in the order of `order`. */
export function toggled<T>(order: readonly T[], chosen: readonly T[], item: T, on: boolean): T[] {
  return on ? order.filter((x) => x === item || chosen.includes(x)) : chosen.filter((x) => x !== item);
}

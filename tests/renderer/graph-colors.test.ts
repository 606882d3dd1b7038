// The graph's colour scales (renderer/src/components/graph.ts): ColorBrewer's Blues in the light
// theme, the dark surface to the accent in the dark one, the ink on each step readable (WCAG 4.5:1).
import { describe, expect, it } from 'vitest';
import { sequentialColor, textOn } from '../../renderer/src/components/graph.js';

describe('the sequential colour scale', () => {
  it('maps the colour scale from light to dark', () => {
    expect(sequentialColor(0)).toBe('rgb(247, 251, 255)');
    expect(sequentialColor(1)).toBe('rgb(8, 48, 107)');
    expect(sequentialColor(2)).toBe(sequentialColor(1));
  });

  it('in the dark theme, runs from the dark surface to the accent; text always contrasts', () => {
    expect(sequentialColor(0, 'dark')).toBe('rgb(33, 38, 45)');
    expect(sequentialColor(1, 'dark')).toBe('rgb(68, 147, 248)');
    expect(textOn(0, 'dark')).toBe('#ffffff');
    expect(textOn(0, 'light')).not.toBe('#ffffff');
    expect(textOn(1, 'light')).toBe('#ffffff');
    // Every step of both scales: the chosen ink has a contrast ratio of at least 4.5.
    const lum = (rgb: string) => {
      const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
      const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    for (const theme of ['light', 'dark'] as const)
      for (let t = 0; t <= 1; t += 0.05) {
        const bg = lum(sequentialColor(t, theme));
        const ink = textOn(t, theme) === '#ffffff' ? 1 : lum('rgb(1, 4, 9)');
        expect((Math.max(bg, ink) + 0.05) / (Math.min(bg, ink) + 0.05)).toBeGreaterThanOrEqual(4.5);
      }
  });
});

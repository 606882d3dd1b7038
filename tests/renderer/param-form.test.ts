// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import ParamForm from '../../renderer/src/components/ParamForm.vue';
import { apiTargetOf, fieldMessage, validateParams } from '../../renderer/src/components/params.js';
import { getBlock } from '../../shared/blocks/registry.js';
import type { ParamSpec } from '../../shared/blocks/block-spec.js';

const specs: ParamSpec[] = [
  { name: 'width', kind: 'int', default: 64, min: 1, max: 1024, description: 'channels' },
  { name: 'scale', kind: 'float', default: 0.5, min: 0, description: 'a scale' },
  { name: 'bias', kind: 'bool', default: false, description: 'has a bias' },
  { name: 'mode', kind: 'enum', default: 'a', choices: ['a', 'b'], description: 'which' },
];

describe('validateParams', () => {
  it("gives each invalid field resolveParams's own message", () => {
    const v = validateParams("block 'x'", specs, { width: '0', scale: 'abc', bias: true, mode: 'b' });
    expect(v.values).toBeNull();
    expect(v.errors).toEqual({ width: 'must be at least 1, got 0', scale: "must be a number, got 'abc'" });
  });

  it('resolves valid values (strings from the form) and fills defaults', () => {
    const v = validateParams("block 'x'", specs, { width: '32' });
    expect(v.errors).toEqual({});
    expect(v.values).toEqual({ width: 32, scale: 0.5, bias: false, mode: 'a' });
  });

  it('fieldMessage strips the owner and parameter name', () => {
    expect(fieldMessage("block 'conv': parameter 'stride' must be an integer, got 1.5")).toBe(
      'must be an integer, got 1.5',
    );
  });

  it('turns a seed target string into an ApiTarget with typed, non-default parameters', () => {
    expect(apiTargetOf('inception-factorized:module=A,factorize=false')).toEqual({
      kind: 'block',
      name: 'inception-factorized',
      params:
        getBlock('inception-factorized').params.find((p) => p.name === 'factorize')?.default === false
          ? {}
          : { factorize: false },
    });
    expect(apiTargetOf('bottleneck')).toEqual({ kind: 'block', name: 'bottleneck', params: {} });
  });
});

describe('ParamForm', () => {
  const mountForm = (modelValue: Record<string, string | number | boolean>, errors: Record<string, string> = {}) =>
    mount(ParamForm, { props: { specs, modelValue, errors, idPrefix: 'f' } });

  it('renders a labelled control per parameter kind', () => {
    const w = mountForm({ width: 64, scale: 0.5, bias: true, mode: 'b' });
    for (const s of specs) {
      const input = w.find(`#f-${s.name}`);
      expect(input.exists()).toBe(true);
      expect(w.find(`label[for="f-${s.name}"]`).exists()).toBe(true);
    }
    expect(w.find('#f-width').attributes('type')).toBe('text');
    expect((w.find('#f-bias').element as HTMLInputElement).checked).toBe(true);
    expect(w.find('#f-mode').element.tagName).toBe('SELECT');
    expect(w.findAll('#f-mode option').map((o) => o.text())).toEqual(['a', 'b']);
    expect(w.find('#f-width-hint').text()).toContain('channels (min 1, max 1024)');
  });

  it('emits the whole value record on every edit', async () => {
    const w = mountForm({ width: 64, scale: 0.5, bias: false, mode: 'a' });
    await w.find('#f-width').setValue('128');
    await w.find('#f-bias').setValue(true);
    await w.find('#f-mode').setValue('b');
    const events = w.emitted('update:modelValue')!;
    expect(events[0][0]).toEqual({ width: '128', scale: 0.5, bias: false, mode: 'a' });
    expect(events[1][0]).toMatchObject({ bias: true });
    expect(events[2][0]).toMatchObject({ mode: 'b' });
  });

  it('shows an error inline next to its field, marked invalid and described by the message', () => {
    const w = mountForm({ width: '0' }, { width: 'must be at least 1, got 0' });
    const input = w.find('#f-width');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toContain('f-width-error');
    const err = w.find('#f-width-error');
    expect(err.text()).toBe('must be at least 1, got 0');
    // Same field container as the input.
    expect(err.element.parentElement).toBe(input.element.parentElement);
    expect(w.find('#f-scale').attributes('aria-invalid')).toBeUndefined();
  });
});

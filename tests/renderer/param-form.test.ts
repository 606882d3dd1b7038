// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import ParamForm from '../../renderer/src/components/ParamForm.vue';
import {
  apiTargetOf,
  errorParam,
  errorSummary,
  fieldMessage,
  inapplicableParams,
  validateParams,
} from '../../renderer/src/components/params.js';
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

/** Parameters that apply only under another's value: pad with padding=explicit, layers with hidden > 0. */
const dependent: ParamSpec[] = [
  { name: 'padding', kind: 'enum', default: 'same', choices: ['same', 'valid', 'explicit'], description: 'p' },
  {
    name: 'pad',
    kind: 'int',
    default: 1,
    min: 0,
    max: 8,
    description: 'pixels',
    appliesWhen: { param: 'padding', oneOf: ['explicit'], why: { same: 'padding=same computes the padding' } },
  },
  { name: 'hidden', kind: 'int', default: 0, min: 0, description: 'units' },
  {
    name: 'layers',
    kind: 'int',
    default: 1,
    min: 1,
    description: 'how many',
    appliesWhen: { param: 'hidden', above: 0 },
  },
  {
    name: 'extra',
    kind: 'bool',
    default: false,
    description: 'x',
    appliesWhen: { param: 'padding', oneOf: ['valid'] },
  },
];

describe('parameters that apply only under another value', () => {
  it('names each inapplicable one with its reason (the spec’s, or a generic sentence)', () => {
    expect(inapplicableParams(dependent, {})).toEqual({
      pad: 'padding=same computes the padding',
      layers: "hidden=0: 'layers' applies only when hidden > 0",
      extra: "padding=same: 'extra' applies only when padding=valid",
    });
    expect(inapplicableParams(dependent, { padding: 'explicit', hidden: '512' })).toEqual({
      extra: "padding=explicit: 'extra' applies only when padding=valid",
    });
    // A controlling value that is not a number keeps the field applying (its own error shows).
    expect(inapplicableParams(dependent, { padding: 'valid', hidden: 'abc' })).toEqual({
      pad: "padding=valid: 'pad' applies only when padding=explicit",
    });
  });

  it('validateParams neither validates nor keeps an inapplicable value: the default, no error', () => {
    const v = validateParams("block 'x'", dependent, { padding: 'same', pad: '-5', layers: 'junk' });
    expect(v.errors).toEqual({});
    expect(v.values).toEqual({ padding: 'same', pad: 1, hidden: 0, layers: 1, extra: false });
    const explicit = validateParams("block 'x'", dependent, { padding: 'explicit', pad: '-5' });
    expect(explicit.errors).toEqual({ pad: 'must be at least 0, got -5' });
    const kept = validateParams("block 'x'", dependent, { padding: 'explicit', pad: '3', hidden: '8', layers: '2' });
    expect(kept.values).toMatchObject({ pad: 3, hidden: 8, layers: 2 });
  });

  it('errorParam finds the field a build error names; errorSummary names every wrong field', () => {
    expect(errorParam(dependent, "block 'x': parameter 'pad' (3) is too wide")).toBe('pad');
    expect(errorParam(dependent, "block 'x': parameter 'size' is unknown")).toBeNull();
    expect(errorParam(dependent, 'no parameter named')).toBeNull();
    expect(errorSummary({ pad: 'must be at least 0, got -1', hidden: "must be a number, got 'x'" })).toBe(
      "pad must be at least 0, got -1; hidden must be a number, got 'x'",
    );
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

  it('disables a parameter that has no effect, its title and hint saying why, and re-enables it', async () => {
    const w = mount(ParamForm, {
      props: {
        specs: dependent,
        modelValue: { padding: 'same', pad: 1 },
        errors: { pad: 'stale error' },
        idPrefix: 'd',
      },
    });
    const pad = () => w.find('#d-pad');
    expect(pad().attributes('disabled')).toBeDefined();
    expect(pad().attributes('title')).toBe('padding=same computes the padding');
    expect(w.find('#d-pad-hint').text()).toContain('Not used: padding=same computes the padding.');
    // No error beside a field that has no effect.
    expect(w.find('#d-pad-error').exists()).toBe(false);
    expect(w.find('#d-layers').attributes('disabled')).toBeDefined();
    expect(w.find('#d-extra').attributes('disabled')).toBeDefined();
    expect(w.find('#d-padding').attributes('disabled')).toBeUndefined();

    await w.setProps({ modelValue: { padding: 'explicit', pad: 1, hidden: '4096' } });
    expect(pad().attributes('disabled')).toBeUndefined();
    expect(pad().attributes('title')).toBeUndefined();
    expect(w.find('#d-pad-hint').text()).not.toContain('Not used');
    expect(w.find('#d-pad-error').text()).toBe('stale error');
    expect(w.find('#d-layers').attributes('disabled')).toBeUndefined();
  });
});

// vue-chartjs replaced by components that record their props (happy-dom has no canvas): the
// chart tests read the data and options a chart was given.
import { defineComponent, h, type PropType } from 'vue';

export interface ChartCall {
  type: string;
  data: { labels?: unknown[]; datasets: { label?: string; data: unknown[] }[] };
  options: Record<string, unknown>;
}
export const chartCalls: ChartCall[] = [];

function stub(type: string) {
  return defineComponent({
    name: `${type}Stub`,
    props: {
      data: { type: Object as PropType<ChartCall['data']>, required: true },
      options: { type: Object as PropType<Record<string, unknown>>, default: () => ({}) },
      plugins: { type: Array, default: () => [] },
    },
    setup(props) {
      return () => {
        chartCalls.push({ type, data: props.data, options: props.options });
        return h('div', {
          class: `chart-stub chart-${type}`,
          'data-datasets': props.data.datasets.map((d) => d.label).join('|'),
        });
      };
    },
  });
}

export const chartStubs = { Bar: stub('bar'), Scatter: stub('scatter'), Line: stub('line') };

// The Accuracy and Lab views' tests: a fake API with one labeled data set known, whose
// accuracy.start and lab.start start task-1 and task-2, cancelled on request; set up afresh
// (Pinia, the chart stubs' calls) for each test.
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Component } from 'vue';
import type { DataSetView } from '../../shared/contract/api.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useTaskStore } from '../../renderer/src/stores/tasks.js';
import { chartCalls } from './chart-stubs.js';
import { fakeApi, type FakeApi } from './studio-fake-api.js';

export const FASHION: DataSetView = {
  dataId: 'data-fashion',
  name: 'Fashion-MNIST',
  origin: 'known',
  format: 'idx',
  location: '/usr/share/datasets/fashion-mnist',
};

/** A fresh Pinia, no chart calls, and the fake API in place (beforeEach). */
export function setUpTaskApi(): FakeApi {
  setActivePinia(createPinia());
  chartCalls.length = 0;
  const api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    'data.list': { datasets: [FASHION] },
    'accuracy.start': { taskId: 'task-1' },
    'lab.start': { taskId: 'task-2' },
    'tasks.cancel': { cancelled: true },
  });
  setApi(api);
  return api;
}

/** The task events unsubscribed and the API dropped (afterEach). */
export function tearDownTaskApi(): void {
  useTaskStore().detach();
  setApi(undefined);
}

/** A view mounted in the document, its first loads done. */
export async function mountAttached(view: Component) {
  const w = mount(view, { attachTo: document.body });
  await flushPromises();
  return w;
}

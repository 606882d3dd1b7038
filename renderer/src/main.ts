// The renderer's entry: Pinia, the app shell, settings (theme, last view) from main.
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import { z } from 'zod';
import App from './App.vue';
import { applyTheme, useSettingsStore } from './stores/settings.js';
import './styles.css';

// zod compiles fast validators with the Function constructor unless told not to; the app's CSP forbids eval,
// so the probe only produced a CSP violation report. Validators without code generation instead.
z.config({ jitless: true });

applyTheme('system');
const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.config.errorHandler = (err, _instance, info) => {
  console.error(`renderer error (${info})`, err);
};
void useSettingsStore(pinia).load();
app.mount('#app');

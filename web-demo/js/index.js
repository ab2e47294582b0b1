// The home page: choose the controller, check that it answers, link the demos.
import { $, controllerUrl, apiGet, status, showError, clearError } from './common.js';

function links() {
  for (const a of document.querySelectorAll('a[data-link]')) {
    const q = new URLSearchParams(a.dataset.q);
    if (controllerUrl() !== location.origin) q.set('controller', controllerUrl());
    a.href = `${a.dataset.link}?${q}`;
  }
}

async function probe() {
  clearError();
  try {
    const r = await apiGet('/panoramix/controller/');
    status(`The controller answers: id ${r.data.controller_id.slice(0, 16)}…`);
  } catch (e) {
    showError(`The controller at ${controllerUrl()} cannot be reached (${e.message}). Start one with: panoramix serve --static-dir web-demo`);
  }
}

$('#ctl').value = controllerUrl();
$('#ctl-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const url = $('#ctl').value.trim().replace(/\/+$/, '');
  try {
    localStorage.setItem('panoramix.controller', url);
  } catch {
    /* ignore */
  }
  location.search = url === location.origin ? '' : `?controller=${encodeURIComponent(url)}`;
});
links();
probe();

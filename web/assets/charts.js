import { el, ms, hhmm } from './common.js';

// Small charts (Chart.js, from Debian's libjs-chart.js) that several pages draw.

// Occurrences per hour over the last day, a tiny bar chart (Chart.js).
export function occurrences(hours) {
  const c = el('canvas', { class: 'occurrences', width: 120, height: 28 });
  if (typeof Chart === 'undefined') return c;
  c.chart = new Chart(c, {
    type: 'bar',
    data: { labels: hours.map((_, i) => i - 23 + ' h'), datasets: [{ data: hours, backgroundColor: '#f87171' }] },
    options: { responsive: false, animation: false, events: [], plugins: { legend: { display: false }, tooltip: { enabled: false } },
      scales: { x: { display: false }, y: { display: false, beginAtZero: true } } },
  });
  return c;
}


// A small time series (Chart.js): points [{x: unix ms, y}].
export function spark(id, label, points, color, bars) {
  const canvas = el('canvas', { id, width: 260, height: 90 });
  if (typeof Chart === 'undefined') return canvas;
  canvas.chart = new Chart(canvas, {
    type: bars ? 'bar' : 'line',
    data: { datasets: [{ label, data: points, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5 }] },
    options: {
      responsive: false, animation: false, parsing: false,
      scales: { x: { type: 'linear', ticks: { maxTicksLimit: 3, callback: (v) => hhmm(v) } }, y: { beginAtZero: true, ticks: { maxTicksLimit: 3 } } },
      plugins: { legend: { display: false }, title: { display: true, text: label } },
    },
  });
  return canvas;
}


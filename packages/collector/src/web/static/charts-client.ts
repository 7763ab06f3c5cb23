// Browser script served as /telemetryui/static/charts.js: draws a chart above each
// `table[data-chart]` from the table's own cells (so the table is the data and
// stays readable without JavaScript). Column 1 is the label, the others datasets.
export const CHARTS_JS = `'use strict';
(function () {
  function num(text) { var n = Number(String(text).replace(/[^0-9.-]/g, '')); return isFinite(n) ? n : 0; }
  function draw(table) {
    if (typeof Chart === 'undefined') return;
    var type = table.getAttribute('data-chart');
    var heads = Array.prototype.map.call(table.querySelectorAll('thead th'), function (th) { return th.textContent; });
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr')).slice(0, 60);
    if (rows.length === 0) return;
    var labels = rows.map(function (tr) { return tr.cells[0] ? tr.cells[0].textContent : ''; });
    var datasets = [];
    for (var c = 1; c < heads.length; c++) {
      datasets.push({ label: heads[c], data: rows.map(function (tr) { return tr.cells[c] ? num(tr.cells[c].textContent) : 0; }) });
      if (type === 'pie') break;
    }
    var box = document.createElement('div');
    box.className = 'chart';
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', table.getAttribute('data-title') || 'chart');
    box.appendChild(canvas);
    var host = table.closest('section') || table.parentNode;
    var charts = host.querySelector('.charts');
    if (!charts) { charts = document.createElement('div'); charts.className = 'charts'; host.insertBefore(charts, host.firstChild.nextSibling); }
    charts.appendChild(box);
    new Chart(canvas, {
      type: type === 'pie' ? 'pie' : 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { title: { display: true, text: table.getAttribute('data-title') || '' }, legend: { display: type === 'pie' || datasets.length > 1 } }
      }
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('table[data-chart]'), draw);
  });
})();
`;

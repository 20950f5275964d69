// Draws each .chart[data-chart] with uPlot (loaded before this file). The page has the same data
// as a table, so nothing is lost without JavaScript.
(function () {
  function draw() {
    document.querySelectorAll('.chart[data-chart]').forEach(function (el) {
      if (el.dataset.drawn || typeof uPlot === 'undefined') return;
      var d = JSON.parse(el.dataset.chart);
      el.dataset.drawn = '1';
      if (!d.x.length) {
        el.textContent = 'No data in this period.';
        return;
      }
      var width = Math.min(el.clientWidth || 560, 560);
      new uPlot(
        {
          width: width,
          height: 220,
          series: [{}, { label: d.unit, stroke: '#0b57d0', fill: 'rgba(11,87,208,0.12)', width: 2, points: { show: false } }],
          axes: [{}, { size: 60 }],
        },
        [d.x, d.y],
        el,
      );
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();

// Overlaid curves of one metric for every compared run; the runs' histories come in the chart's data-runs.
(function () {
  'use strict';
  var element = document.getElementById('compare-chart');
  var select = document.getElementById('compare-metric');
  if (!element || !select || typeof echarts === 'undefined') {
    return;
  }
  var runs = JSON.parse(element.getAttribute('data-runs'));
  var chart = echarts.init(element);
  function render() {
    var metric = select.value;
    var series = Object.keys(runs).map(function (id) {
      var history = runs[id].series[metric] || {steps: [], values: []};
      return {
        name: runs[id].label, type: 'line', showSymbol: false,
        data: history.steps.map(function (step, i) { return [step, history.values[i]]; })
      };
    });
    chart.setOption({
      animation: false, tooltip: {trigger: 'axis'}, legend: {top: 0},
      grid: {left: 60, right: 20, top: 40, bottom: 40},
      xAxis: {type: 'value', name: 'step', minInterval: 1}, yAxis: {type: 'value', scale: true, name: metric},
      series: series
    }, {replaceMerge: ['series']});
    element.setAttribute('data-series', String(series.length));
  }
  select.addEventListener('change', render);
  window.addEventListener('resize', function () { chart.resize(); });
  render();
}());

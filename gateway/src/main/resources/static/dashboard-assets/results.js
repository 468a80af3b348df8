// Charts of the evaluation and merge pages, from data the server put in data- attributes.
(function () {
  'use strict';
  if (typeof echarts === 'undefined') {
    return;
  }
  function line(element, title, series, xName) {
    var chart = echarts.init(element);
    chart.setOption({
      animation: false, title: {text: title, left: 'center', textStyle: {fontSize: 13}}, tooltip: {trigger: 'axis'},
      legend: {type: 'scroll', bottom: 0}, grid: {left: 50, right: 20, top: 40, bottom: 50},
      xAxis: {type: 'value', name: xName, minInterval: 1}, yAxis: {type: 'value', scale: true},
      series: series
    });
    element.setAttribute('data-series', String(series.length));
    window.addEventListener('resize', function () { chart.resize(); });
  }

  var charts = document.getElementById('evaluation-charts');
  if (charts) {
    var data = JSON.parse(charts.getAttribute('data-charts'));
    var passAtK = document.getElementById('pass-at-k');
    if (data.passAtK.length > 0) {
      data.passAtK.sort(function (a, b) { return a[0] - b[0]; });
      line(passAtK, 'pass@k', [{name: 'pass@k', type: 'line', data: data.passAtK}], 'k');
    } else {
      passAtK.hidden = true;
    }
    var curves = document.getElementById('curves');
    var names = Object.keys(data.curves);
    if (names.length > 0) {
      line(curves, 'divergence per position', names.map(function (name) {
        return {name: name, type: 'line', showSymbol: false, data: data.curves[name]};
      }), 'position');
    } else {
      curves.hidden = true;
    }
    var reliability = document.getElementById('reliability');
    var splits = Object.keys(data.reliability);
    if (splits.length > 0) {
      var diagonal = {name: 'perfect calibration', type: 'line', showSymbol: false, lineStyle: {type: 'dashed'}, data: [[0, 0], [1, 1]]};
      line(reliability, 'reliability', [diagonal].concat(splits.map(function (split) {
        return {name: split, type: 'line', data: data.reliability[split]};
      })), 'confidence');
    } else {
      reliability.hidden = true;
    }
  }

  // the decoding comparison: per strategy, the mean rate of each measure the suite reported
  var decoding = document.getElementById('decoding');
  if (decoding) {
    var comparison = JSON.parse(decoding.getAttribute('data-decoding'));
    var strategies = Object.keys(comparison.strategies);
    var measures = ['context_following', 'prior_following', 'true_answer'].filter(function (measure) {
      return strategies.some(function (s) { return comparison.strategies[s][measure]; });
    });
    var decodingChart = echarts.init(document.getElementById('decoding-chart'));
    decodingChart.setOption({
      animation: false, tooltip: {trigger: 'axis'}, legend: {bottom: 0}, grid: {left: 50, right: 20, top: 20, bottom: 50},
      xAxis: {type: 'category', name: 'strategy', data: strategies}, yAxis: {type: 'value', name: 'rate', min: 0, max: 1},
      series: measures.map(function (measure) {
        return {name: measure, type: 'bar', data: strategies.map(function (s) {
          var estimate = comparison.strategies[s][measure];
          return estimate && typeof estimate.mean === 'number' ? estimate.mean : null;
        })};
      })
    });
    document.getElementById('decoding-chart').setAttribute('data-series', String(measures.length));
    window.addEventListener('resize', function () { decodingChart.resize(); });
  }

  var lambda = document.getElementById('lambda-chart');
  var split = document.getElementById('lambda-split');
  if (lambda && split) {
    var histograms = JSON.parse(lambda.getAttribute('data-lambda'));
    var bins = ['0.0', '0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9'];
    var chart = echarts.init(lambda);
    Object.keys(histograms).forEach(function (name) {
      var option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      split.appendChild(option);
    });
    var render = function () {
      var methods = histograms[split.value] || {};
      var series = Object.keys(methods).map(function (method) {
        return {name: method, type: 'bar', data: methods[method]};
      });
      chart.setOption({
        animation: false, tooltip: {trigger: 'axis'}, legend: {type: 'scroll', bottom: 0},
        grid: {left: 50, right: 20, top: 20, bottom: 50},
        xAxis: {type: 'category', name: 'lambda from', data: bins}, yAxis: {type: 'value', name: 'samples'},
        series: series
      }, {replaceMerge: ['series']});
      lambda.setAttribute('data-series', String(series.length));
    };
    split.addEventListener('change', render);
    render();
  }
}());

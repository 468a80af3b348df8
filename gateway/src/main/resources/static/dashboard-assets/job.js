// The job page's live chart: every metric the job logs, fed by the page's server-sent events.
// "points" events carry only points the page has not seen; a reconnect may repeat some, skipped by step.
(function () {
  'use strict';
  var element = document.getElementById('chart');
  if (!element || typeof echarts === 'undefined') {
    return;
  }
  var chart = echarts.init(element, null, {renderer: 'canvas'});
  var series = {};
  var lastStep = {};
  var total = 0;
  var finished = false;
  var shown = ['loss'];

  function render() {
    var names = Object.keys(series).sort();
    var selected = {};
    names.forEach(function (name, index) {
      selected[name] = shown.indexOf(name) >= 0 || (shown.length === 1 && index < 2);
    });
    chart.setOption({
      animation: false,
      tooltip: {trigger: 'axis'},
      legend: {type: 'scroll', top: 0, selected: selected},
      grid: {left: 60, right: 20, top: 40, bottom: 40},
      xAxis: {type: 'value', name: 'step', minInterval: 1},
      yAxis: {type: 'value', scale: true},
      series: names.map(function (name) {
        return {name: name, type: 'line', showSymbol: false, data: series[name]};
      })
    }, {replaceMerge: ['series']});
  }

  function text(id, value) {
    var node = document.getElementById(id);
    if (node) {
      node.textContent = value;
    }
  }

  var stateAtLoad = (document.getElementById('job-state') || {}).textContent;
  var finishedAtLoad = ['SUCCEEDED', 'FAILED', 'CANCELLED'].indexOf(stateAtLoad) >= 0;
  var source = new EventSource(element.getAttribute('data-stream'));
  source.addEventListener('points', function (event) {
    var fresh = JSON.parse(event.data);
    Object.keys(fresh).forEach(function (name) {
      var steps = fresh[name].steps;
      var values = fresh[name].values;
      var line = series[name] || (series[name] = []);
      for (var i = 0; i < steps.length; i++) {
        if (lastStep[name] === undefined || steps[i] > lastStep[name]) {
          line.push([steps[i], values[i]]);
          lastStep[name] = steps[i];
          total++;
        }
      }
    });
    element.setAttribute('data-points', String(total));
    render();
  });
  source.addEventListener('job', function (event) {
    var job = JSON.parse(event.data);
    var state = document.getElementById('job-state');
    if (state) {
      state.textContent = job.state;
      state.className = 'state state-' + job.state;
    }
    text('job-steps', job.step + ' / ' + job.totalSteps);
    text('job-eta', job.eta);
    text('job-attempt', String(job.attempt));
    var progress = document.getElementById('job-progress');
    if (progress) {
      progress.value = job.percent;
    }
    if (job.outputModel) {
      text('job-output', job.outputModel);
    }
    finished = ['SUCCEEDED', 'FAILED', 'CANCELLED'].indexOf(job.state) >= 0;
    var cancel = document.getElementById('cancel');
    if (finished && cancel) {
      cancel.closest('form').hidden = true;
    }
    if (!finishedAtLoad && (job.state === 'FAILED' || job.state === 'CANCELLED')) {
      // the page was rendered while the job ran: render it again to offer retry with its budget
      source.close();
      window.location.reload();
    }
  });
  source.addEventListener('problem', function (event) {
    text('chart', event.data);
    source.close();
  });
  source.onerror = function () {
    // the server ends the stream once the job has finished; do not reconnect then
    if (finished) {
      source.close();
      element.setAttribute('data-complete', 'true');
    }
  };
  window.addEventListener('resize', function () {
    chart.resize();
  });
}());

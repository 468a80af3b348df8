// The alignment-diversity frontier: one point per evaluation run (reward against divergence or
// diversity, as the evaluation service's frontier API placed it) and the Pareto-optimal runs joined
// by a line. The API's answer comes in the section's data-frontier; the compare page loads the
// section with htmx, so it is drawn on page load and after every swap.
(function () {
  'use strict';
  function label(point) {
    return point.displayName ? point.displayName : point.runId;
  }
  function draw(section) {
    var element = section.querySelector('#frontier-chart');
    var select = section.querySelector('#frontier-x');
    var raw = section.getAttribute('data-frontier');
    if (!element || !select || !raw || typeof echarts === 'undefined') {
      return;
    }
    var frontier = JSON.parse(raw);
    var chart = echarts.getInstanceByDom(element) || echarts.init(element);
    function axisName(axis) {
      return axis.metric + ' (' + axis.goal + ')';
    }
    function render() {
      var x = select.value;
      var placed = frontier.points.filter(function (p) {
        return p[x] && typeof p[x].mean === 'number' && p.reward && typeof p.reward.mean === 'number';
      });
      // [x, reward, label, run id]: the run id lets a reader match each point to the API's
      var points = placed.map(function (p) { return [p[x].mean, p.reward.mean, label(p), p.runId]; });
      var front = placed.filter(function (p) { return p.pareto; })
        .map(function (p) { return [p[x].mean, p.reward.mean, label(p), p.runId]; })
        .sort(function (a, b) { return a[0] - b[0]; });
      chart.setOption({
        animation: false,
        tooltip: {trigger: 'item', formatter: function (item) {
          return echarts.format.encodeHTML(String(item.data[2])) + '<br>' + item.data[0] + ', ' + item.data[1];
        }},
        legend: {bottom: 0}, grid: {left: 60, right: 30, top: 30, bottom: 60},
        xAxis: {type: 'value', scale: true, name: axisName(frontier[x]), nameLocation: 'middle', nameGap: 28},
        yAxis: {type: 'value', scale: true, name: axisName(frontier.reward)},
        series: [
          {name: 'runs', type: 'scatter', symbolSize: 12, data: points},
          {name: 'Pareto front', type: 'line', symbol: 'none', data: front}
        ]
      }, {replaceMerge: ['series']});
      element.setAttribute('data-points', String(points.length));
      element.setAttribute('data-pareto', String(front.length));
      element.setAttribute('data-x-metric', frontier[x].metric);
    }
    select.addEventListener('change', render);
    window.addEventListener('resize', function () { chart.resize(); });
    render();
  }
  function drawAll() {
    var section = document.getElementById('frontier');
    if (section) {
      draw(section);
    }
  }
  document.body.addEventListener('htmx:afterSettle', function (event) {
    if (event.target && event.target.id === 'frontier-slot') {
      drawAll();
    }
  });
  drawAll();
}());

// The models page's lineage graph, from the graph the server put in data-graph: models and producing jobs
// as nodes (a click opens the node's page), typed edges from each parent to the model it led to.
(function () {
  'use strict';
  var element = document.getElementById('lineage');
  if (!element || typeof echarts === 'undefined') {
    return;
  }
  var graph = JSON.parse(element.getAttribute('data-graph'));
  var edgeColours = {base: '#1d2330', teacher: '#2f5bd3', reference: '#9a6700', produced: '#1b7a3a', generalist: '#7a3fb0', expert: '#b3261e'};
  var chart = echarts.init(element);
  chart.setOption({
    animation: false,
    tooltip: {
      formatter: function (params) {
        return params.dataType === 'edge'
          ? echarts.format.encodeHTML(params.data.type + ': ' + params.data.source + ' → ' + params.data.target)
          : echarts.format.encodeHTML(params.data.name);
      }
    },
    legend: {data: graph.categories, bottom: 0},
    series: [{
      type: 'graph', layout: 'force', roam: true, draggable: true,
      force: {repulsion: 260, edgeLength: 140, layoutAnimation: false},
      categories: graph.categories.map(function (name) { return {name: name}; }),
      symbolSize: 22, edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 9,
      label: {show: true, position: 'right', formatter: function (params) { return params.data.display; }},
      edgeLabel: {show: true, fontSize: 11, formatter: function (params) { return params.data.type; }},
      data: graph.nodes.map(function (node) {
        return {name: node.id, display: node.name, category: node.category, link: node.link};
      }),
      links: graph.edges.map(function (edge) {
        return {source: edge.source, target: edge.target, type: edge.type, lineStyle: {color: edgeColours[edge.type] || '#5b6475', width: 2}};
      })
    }]
  });
  chart.on('click', function (params) {
    if (params.dataType === 'node' && params.data.link) {
      window.location.href = params.data.link;
    }
  });
  element.setAttribute('data-nodes', String(graph.nodes.length));
  element.setAttribute('data-edges', String(graph.edges.length));
  window.addEventListener('resize', function () { chart.resize(); });
}());

#include "report/page_assets.h"

namespace ember::report {

const char kPageStyle[] = R"CSS(
body { margin: 0; padding: 14px 16px 28px; background: #f4f5f7; color: #1d2330;
       font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
header h1 { margin: 0 0 2px; font-size: 22px; }
header p { margin: 0 0 12px; color: #555d6b; }
h2 { margin: 24px 0 10px; font-size: 17px; border-bottom: 1px solid #d5d9e0; padding-bottom: 4px; }
table.runs { border-collapse: collapse; background: #fff; border: 1px solid #d5d9e0; margin-bottom: 8px; }
table.runs th, table.runs td { padding: 4px 10px; border-bottom: 1px solid #eceef2; text-align: left;
                               vertical-align: top; }
table.runs td.number { text-align: right; font-variant-numeric: tabular-nums; }
table.runs td.text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; max-width: 260px;
                     overflow-wrap: anywhere; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
          vertical-align: -1px; }
.grid { display: flex; flex-wrap: wrap; gap: 14px; }
.chart { position: relative; width: 548px; background: #fff; border: 1px solid #d5d9e0; border-radius: 6px;
         padding: 6px 6px 2px; }
.chart h3 { margin: 0 0 2px 4px; font-size: 14px; }
.legend { margin: 0 0 2px 4px; font-size: 12px; color: #39404d; min-height: 16px; }
.legend span.item { margin-right: 14px; white-space: nowrap; }
.legend svg { vertical-align: middle; margin-right: 4px; }
svg.plot { display: block; }
svg.plot text { font-size: 11px; fill: #4a5160; }
svg.plot .grid-line { stroke: #e6e8ec; stroke-width: 1; }
svg.plot .axis { stroke: #8a909c; stroke-width: 1; }
svg.plot .axis-label { font-size: 12px; fill: #2b313c; }
svg.plot .cursor { stroke: #9aa0aa; stroke-width: 1; stroke-dasharray: 3 3; }
.readout { position: absolute; pointer-events: none; background: rgba(255,255,255,0.95); border: 1px solid #c5cad3;
           border-radius: 4px; padding: 4px 6px; font-size: 12px; white-space: nowrap; display: none; }
.empty { color: #555d6b; font-style: italic; }
.error { color: #a40000; font-weight: bold; white-space: pre-wrap; }
)CSS";

const char kPageScript[] = R"JS(
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var WIDTH = 548, HEIGHT = 290;
  var MARGIN = {left: 66, right: 18, top: 10, bottom: 44};
  var DASHES = ['', '6 3', '2 3', '8 3 2 3'];

  function element(tag, attributes, parent, text) {
    var node = document.createElement(tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function svgElement(tag, attributes, parent, text) {
    var node = document.createElementNS(SVG, tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  // Ticks at 1, 2 or 5 times a power of ten covering [lo, hi].
  function axisTicks(lo, hi, count, integer) {
    if (!(hi > lo)) {
      var pad = integer ? 1 : (lo === 0 ? 1 : Math.abs(lo) * 0.05);
      lo -= pad;
      hi += pad;
    }
    var raw = (hi - lo) / count;
    var magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    var n = raw / magnitude;
    var step = (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * magnitude;
    if (integer) step = Math.max(1, Math.round(step));
    var first = Math.floor(lo / step + 1e-9) * step, last = Math.ceil(hi / step - 1e-9) * step;
    var values = [];
    for (var i = 0; first + i * step <= last + step * 1e-6; ++i) values.push(+(first + i * step).toPrecision(12));
    var unit = 1, suffix = '';
    var extent = Math.max(Math.abs(first), Math.abs(last));
    if (extent >= 1e9) { unit = 1e9; suffix = 'G'; } else if (extent >= 1e6) { unit = 1e6; suffix = 'M'; }
    else if (extent >= 1e4) { unit = 1e3; suffix = 'k'; }
    var decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step / unit) + 1e-9)));
    return {lo: first, hi: last, values: values,
            format: function (v) { return v === 0 ? '0' : (v / unit).toFixed(decimals) + suffix; }};
  }

  function smallest(values) { return values.reduce(function (a, b) { return b < a ? b : a; }); }
  function largest(values) { return values.reduce(function (a, b) { return b > a ? b : a; }); }

  function formatValue(v) {
    if (v === null) return 'null';
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(4);
    return String(+v.toPrecision(6));
  }

  function drawChart(chart, parent) {
    var card = element('div', {'class': 'chart', 'data-chart': chart.id, 'data-series': chart.series.length}, parent);
    element('h3', {}, card, chart.title);
    var legend = element('div', {'class': 'legend'}, card);
    chart.series.forEach(function (series) {
      var item = element('span', {'class': 'item', 'data-legend': series.label}, legend);
      var mark = svgElement('svg', {width: 22, height: 10}, item);
      svgElement('line', {x1: 1, y1: 5, x2: 21, y2: 5, stroke: series.color, 'stroke-width': 3,
                          'stroke-dasharray': DASHES[series.dash % DASHES.length]}, mark);
      item.appendChild(document.createTextNode(series.label));
    });
    var plot = svgElement('svg', {'class': 'plot', width: WIDTH, height: HEIGHT,
                                  viewBox: '0 0 ' + WIDTH + ' ' + HEIGHT}, card);
    var width = WIDTH - MARGIN.left - MARGIN.right, height = HEIGHT - MARGIN.top - MARGIN.bottom;
    var area = svgElement('rect', {'class': 'plot-area', x: MARGIN.left, y: MARGIN.top, width: width,
                                   height: height, fill: '#ffffff'}, plot);
    var xs = [], ys = [];
    chart.series.forEach(function (series) {
      series.points.forEach(function (p) {
        xs.push(p[0]);
        if (p[1] !== null) ys.push(p[1]);
      });
    });
    var integerX = chart.x === 'step' || chart.x === 'epoch';
    var xTicks = axisTicks(smallest(xs), largest(xs), 7, integerX);
    var yTicks = ys.length ? axisTicks(smallest(ys), largest(ys), 5, false) : axisTicks(0, 1, 5, false);
    function sx(x) { return MARGIN.left + (x - xTicks.lo) / (xTicks.hi - xTicks.lo) * width; }
    function sy(y) { return MARGIN.top + height - (y - yTicks.lo) / (yTicks.hi - yTicks.lo) * height; }
    xTicks.values.forEach(function (v) {
      var x = sx(v);
      svgElement('line', {'class': 'grid-line', x1: x, y1: MARGIN.top, x2: x, y2: MARGIN.top + height}, plot);
      svgElement('line', {'class': 'axis', x1: x, y1: MARGIN.top + height, x2: x, y2: MARGIN.top + height + 4}, plot);
      svgElement('text', {x: x, y: MARGIN.top + height + 16, 'text-anchor': 'middle'}, plot, xTicks.format(v));
    });
    yTicks.values.forEach(function (v) {
      var y = sy(v);
      svgElement('line', {'class': 'grid-line', x1: MARGIN.left, y1: y, x2: MARGIN.left + width, y2: y}, plot);
      svgElement('line', {'class': 'axis', x1: MARGIN.left - 4, y1: y, x2: MARGIN.left, y2: y}, plot);
      svgElement('text', {x: MARGIN.left - 7, y: y + 4, 'text-anchor': 'end'}, plot, yTicks.format(v));
    });
    svgElement('line', {'class': 'axis', x1: MARGIN.left, y1: MARGIN.top + height, x2: MARGIN.left + width,
                        y2: MARGIN.top + height}, plot);
    svgElement('line', {'class': 'axis', x1: MARGIN.left, y1: MARGIN.top, x2: MARGIN.left,
                        y2: MARGIN.top + height}, plot);
    svgElement('text', {'class': 'axis-label', x: MARGIN.left + width / 2, y: HEIGHT - 6,
                        'text-anchor': 'middle'}, plot, chart.x);
    svgElement('text', {'class': 'axis-label', x: 0, y: 0, 'text-anchor': 'middle',
                        transform: 'translate(14,' + (MARGIN.top + height / 2) + ') rotate(-90)'}, plot, chart.y);
    if (!ys.length) {
      svgElement('text', {x: MARGIN.left + width / 2, y: MARGIN.top + height / 2, 'text-anchor': 'middle'}, plot,
                 'no finite values (the file holds null)');
    }
    chart.series.forEach(function (series) {
      var d = '', drawn = 0, pen = 'M';
      series.points.forEach(function (p) {
        if (p[1] === null) { pen = 'M'; return; }
        d += pen + sx(p[0]).toFixed(2) + ',' + sy(p[1]).toFixed(2);
        pen = 'L';
        ++drawn;
      });
      svgElement('path', {'class': 'series', d: d || 'M0,0', fill: 'none', stroke: series.color,
                          'stroke-width': 2, 'stroke-linejoin': 'round',
                          'stroke-dasharray': DASHES[series.dash % DASHES.length],
                          'data-run': series.label, 'data-color': series.color,
                          'data-points': series.points.length, 'data-drawn': drawn}, plot);
      if (drawn <= 60) {
        series.points.forEach(function (p) {
          if (p[1] !== null) svgElement('circle', {'class': 'marker', cx: sx(p[0]), cy: sy(p[1]), r: 3,
                                                   fill: series.color}, plot);
        });
      }
    });
    addReadout(chart, card, plot, area, sx, xTicks);
    return {card: card, area: area};
  }

  // On hover: a vertical line at the nearest x of any point, and each
  // series' value there.
  function addReadout(chart, card, plot, area, sx, xTicks) {
    var cursor = svgElement('line', {'class': 'cursor', y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom,
                                     visibility: 'hidden'}, plot);
    var readout = element('div', {'class': 'readout'}, card);
    var xs = [];
    chart.series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); }); });
    plot.addEventListener('mousemove', function (event) {
      var box = plot.getBoundingClientRect();
      var px = event.clientX - box.left;
      var best = null;
      xs.forEach(function (x) { if (best === null || Math.abs(sx(x) - px) < Math.abs(sx(best) - px)) best = x; });
      if (best === null) return;
      cursor.setAttribute('x1', sx(best));
      cursor.setAttribute('x2', sx(best));
      cursor.setAttribute('visibility', 'visible');
      readout.textContent = '';
      element('div', {}, readout, chart.x + ' ' + best);
      chart.series.forEach(function (s) {
        s.points.forEach(function (p) {
          if (p[0] === best) element('div', {style: 'color:' + s.color}, readout, s.label + ': ' + formatValue(p[1]));
        });
      });
      readout.style.display = 'block';
      var left = event.clientX - card.getBoundingClientRect().left + 14;
      if (left + readout.offsetWidth > card.offsetWidth) left -= readout.offsetWidth + 28;
      readout.style.left = left + 'px';
      readout.style.top = (event.clientY - card.getBoundingClientRect().top + 10) + 'px';
    });
    plot.addEventListener('mouseleave', function () {
      cursor.setAttribute('visibility', 'hidden');
      readout.style.display = 'none';
    });
  }

  function drawRuns(data, parent) {
    element('h2', {}, parent, 'Runs');
    var fields = [];
    data.runs.forEach(function (run) {
      if (!run.final) return;
      Object.keys(run.final).forEach(function (k) { if (k !== 'event' && fields.indexOf(k) < 0) fields.push(k); });
    });
    var table = element('table', {'class': 'runs'}, parent);
    var head = element('tr', {}, table);
    element('th', {}, head, 'run');
    data.runs.forEach(function (run) {
      var th = element('th', {'data-run': run.label}, head);
      element('span', {'class': 'swatch', style: 'background:' + run.color}, th);
      th.appendChild(document.createTextNode(run.label));
    });
    function row(name, cell) {
      var tr = element('tr', {}, table);
      element('th', {}, tr, name);
      data.runs.forEach(function (run) { cell(run, tr); });
    }
    row('file', function (run, tr) { element('td', {'class': 'text'}, tr, run.path); });
    row('lines', function (run, tr) { element('td', {'class': 'number'}, tr, String(run.lines)); });
    fields.forEach(function (field) {
      row('final ' + field, function (run, tr) {
        var v = run.final ? run.final[field] : undefined;
        if (typeof v === 'number' || v === null) element('td', {'class': 'number'}, tr, formatValue(v));
        else element('td', {'class': 'text'}, tr, v === undefined ? '-' : String(v));
      });
    });
    if (!fields.length) element('p', {'class': 'empty'}, parent, 'No run has a final line (did it finish?).');
  }

  function draw() {
    var data = JSON.parse(document.getElementById('ember-data').textContent);
    var root = document.getElementById('report');
    root.textContent = '';
    document.getElementById('subtitle').textContent =
        data.runs.length + (data.runs.length === 1 ? ' run: ' : ' runs: ') +
        data.runs.map(function (r) { return r.label; }).join(', ');
    drawRuns(data, root);
    var drawn = [], section = null, grid = null;
    data.charts.forEach(function (chart) {
      if (chart.section !== section) {
        section = chart.section;
        element('h2', {'data-section': section}, root, section);
        grid = element('div', {'class': 'grid'}, root);
      }
      drawn.push(drawChart(chart, grid));
    });
    if (!data.charts.length) {
      element('p', {'class': 'empty'}, root, 'These files hold no series to draw (no progress, eval or checkpoint lines).');
    }
    drawn.forEach(function (c) {
      var r = c.area.getBoundingClientRect();
      c.card.setAttribute('data-box', [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]
                                          .map(function (v) { return Math.round(v); }).join(','));
    });
    document.body.setAttribute('data-page-height', document.documentElement.scrollHeight);
    document.body.setAttribute('data-rendered', 'true');
  }

  try {
    draw();
  } catch (error) {
    document.body.setAttribute('data-error', String(error));
    element('p', {'class': 'error'}, document.getElementById('report'), 'The report could not be drawn: ' + error);
  }
})();
)JS";

}  // namespace ember::report

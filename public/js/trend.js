// Tri-Tracker trend island: the flow page's chart of run durations over time, AAC beside on-prem, stacked by the
// parts of the time decomposition where they are measured, failures marked; a click opens the pair (or the run).
// Data from the JSON endpoint named by the section (downsampled on the server); Chart.js loaded on demand. No inline
// script, no eval: the page's CSP allows neither.
/* global location */
(function () {
  'use strict'
  const charts = window.triTrackerCharts = window.triTrackerCharts || {}
  const COLORS = { queue: '#8a8f98', startup: '#d55e00', driver: '#7b4fb5', compute: '#2e7d32', cleanup: '#cc79a7', other: '#e69f00', unmeasured: '#0b5cad' }

  function duration (ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–'
    let s = Math.round(Math.abs(ms) / 1000)
    const h = Math.floor(s / 3600)
    const m = Math.floor((s % 3600) / 60)
    s = s % 60
    return (ms < 0 ? '-' : '') + (h > 0 ? h + 'h ' + String(m).padStart(2, '0') + 'm' : m > 0 ? m + 'm ' + String(s).padStart(2, '0') + 's' : s + 's')
  }
  function label (t) { return new Date(t).toISOString().slice(5, 16).replace('T', ' ') }

  function loadChartJs (src) {
    if (window.Chart) return Promise.resolve(window.Chart)
    return new Promise(function (resolve, reject) {
      const s = document.createElement('script')
      s.src = src
      s.onload = function () { resolve(window.Chart) }
      s.onerror = function () { reject(new Error('could not load Chart.js')) }
      document.head.appendChild(s)
    })
  }

  function datasets (data) {
    const out = []
    const sides = [['aac', 'AAC', 1], ['onprem', 'On-prem', 0.5]]
    const ids = data.parts.map(function (p) { return p.id }).concat(['unmeasured'])
    const labels = {}
    data.parts.forEach(function (p) { labels[p.id] = p.label })
    labels.unmeasured = 'not split'
    sides.forEach(function (s) {
      ids.forEach(function (id) {
        const values = data.points.map(function (p) {
          const side = p[s[0]]
          if (!side) return null
          return id === 'unmeasured' ? side.unmeasuredMs : (side.parts[id] || 0)
        })
        if (!values.some(function (v) { return v })) return
        out.push({ type: 'bar', label: s[1] + ' · ' + labels[id], stack: s[0], data: values, backgroundColor: COLORS[id], borderColor: COLORS[id], borderWidth: s[2] === 1 ? 0 : 1, ...(s[2] === 1 ? {} : { backgroundColor: COLORS[id] + '80' }) })
      })
      out.push({
        type: 'line',
        label: s[1] + ' failed',
        stack: 'failed-' + s[0],
        data: data.points.map(function (p) { const side = p[s[0]]; return side && side.failed ? (side.totalMs || 0) : null }),
        showLine: false,
        pointStyle: 'crossRot',
        pointRadius: 8,
        pointBorderWidth: 3,
        borderColor: '#b42318',
        backgroundColor: '#b42318'
      })
    })
    return out
  }

  function draw (section, Chart, data) {
    const canvas = section.querySelector('canvas')
    if (charts.trend) charts.trend.destroy()
    charts.trend = new Chart(canvas, {
      data: { labels: data.points.map(function (p) { return label(p.t) }), datasets: datasets(data) },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: true, title: { display: true, text: 'submitted → finished' }, ticks: { callback: function (v) { return duration(v) } } }
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: {
            filter: function (item) { return item.parsed.y !== null && item.parsed.y !== 0 },
            callbacks: { label: function (item) { return item.dataset.label + ': ' + duration(item.parsed.y) } }
          }
        },
        onHover: function (evt, els) { evt.native.target.style.cursor = els.length > 0 ? 'pointer' : 'default' },
        onClick: function (_evt, els) {
          if (els.length === 0) return
          const p = data.points[els[0].index]
          if (p && p.url) location.href = p.url
        }
      }
    })
    const status = section.querySelector('[data-trend-status]')
    if (status) status.textContent = data.downsampled ? data.points.length + ' of ' + data.total + ' rows drawn (downsampled, failures kept). Click a bar to open its pair.' : 'Click a bar to open its pair.'
  }

  function start () {
    const section = document.getElementById('flow-trend')
    if (!section) return
    const status = section.querySelector('[data-trend-status]')
    Promise.all([
      fetch(section.getAttribute('data-src'), { headers: { accept: 'application/json' } }).then(function (r) {
        if (!r.ok) throw new Error('the trend data answered ' + r.status)
        return r.json()
      }),
      loadChartJs(section.getAttribute('data-chart-src'))
    ]).then(function (res) {
      if (res[0].points.length === 0) { if (status) status.textContent = 'No runs to draw yet.'; return }
      draw(section, res[1], res[0])
    }).catch(function (err) { if (status) status.textContent = 'The trend chart could not be drawn: ' + err.message })
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
  // after a collection htmx swaps the runs table: redraw from fresh data
  document.addEventListener('htmx:afterSettle', function (e) { if (e.target && e.target.id === 'runs-table') start() })
})()

// Tri-Tracker dashboard island: draws the charts of #dashboard-content from its JSON endpoint, and runs the sliding
// panel (focus, Escape, close, history). Plain browser JS with no build step: the page's CSP allows only our own
// scripts, so nothing here may rely on inline handlers or eval. Chart.js is the UMD global, loaded on demand.
/* global location, history, getComputedStyle, ResizeObserver */
(function () {
  'use strict'

  /** Chart instances by name; tests read them. */
  const charts = {}
  window.triTrackerCharts = charts

  const COLORS = {
    compute: '#2e7d32',
    gc: '#c62828',
    scheduler: '#e69f00',
    deserialize: '#7b4fb5',
    resultSer: '#2a9fd6',
    gettingResult: '#8a8f98',
    cores: '#0b5cad',
    executors: '#7a4fb5',
    busy: 'rgba(0, 150, 136, 0.28)',
    busyLine: '#00897b',
    added: '#1a7f37',
    removed: '#b42318',
    input: '#0b5cad',
    shuffleRead: '#009e73',
    shuffleWrite: '#cc79a7',
    spill: '#d55e00',
    perTask: '#1b1f24',
    idle: 'rgba(91, 101, 112, 0.10)'
  }

  // ---------- formatting (mirrors src/shared/format.ts so charts and tables read the same) ----------
  function duration (ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–'
    const neg = ms < 0
    let s = Math.abs(ms)
    if (s < 1000) return (neg ? '-' : '') + Math.round(s) + ' ms'
    s = Math.round(s / 1000)
    const h = Math.floor(s / 3600)
    const m = Math.floor((s % 3600) / 60)
    const sec = s % 60
    const text = h > 0 ? h + 'h ' + String(m).padStart(2, '0') + 'm' : m > 0 ? m + 'm ' + String(sec).padStart(2, '0') + 's' : sec + 's'
    return (neg ? '-' : '') + text
  }
  function bytes (n) {
    if (n === null || n === undefined || !isFinite(n)) return '–'
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
    let v = Math.abs(n)
    let u = 0
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
    return (u === 0 ? String(Math.round(v)) : v.toFixed(v >= 100 ? 0 : 1)) + ' ' + units[u]
  }
  // Axis steps in whole binary units (1, 2, 5 × KiB/MiB/GiB…) so ticks read "4 GiB", not "4.7 GiB".
  function byteStep (max) {
    if (!(max > 0)) return undefined
    let unit = 1
    while (max / unit >= 1024 * 4) unit *= 1024
    const raw = max / unit / 5
    const mag = Math.pow(10, Math.floor(Math.log10(raw)))
    const nice = [1, 2, 5, 10].map(function (m) { return m * mag }).find(function (s) { return s >= raw })
    return Math.max(1, nice) * unit
  }
  function clock (ms) { return ms === 0 ? '0' : '+' + duration(ms) }

  // ---------- Chart.js on demand ----------
  let chartJsPromise = null
  function loadChartJs (src) {
    if (window.Chart) return Promise.resolve(window.Chart)
    if (!src) return Promise.reject(new Error('Chart.js is not available'))
    if (chartJsPromise === null) {
      chartJsPromise = new Promise(function (resolve, reject) {
        const s = document.createElement('script')
        s.src = src
        s.onload = function () { resolve(window.Chart) }
        s.onerror = function () { chartJsPromise = null; reject(new Error('could not load Chart.js')) }
        document.head.appendChild(s)
      })
    }
    return chartJsPromise
  }

  function destroyChart (name) {
    const c = charts[name]
    if (c) { c.destroy(); delete charts[name] }
  }
  function destroyDetached () {
    Object.keys(charts).forEach(function (name) {
      if (!charts[name].canvas || !charts[name].canvas.isConnected) destroyChart(name)
    })
  }

  function status (root, which, text) {
    const el = root.querySelector('[data-chart-status="' + which + '"]')
    if (el) { el.textContent = text; el.hidden = text === '' }
  }

  function highlight (row) {
    document.querySelectorAll('.is-target').forEach(function (x) { x.classList.remove('is-target') })
    row.classList.add('is-target')
    row.scrollIntoView({ block: 'center' })
  }

  // ---------- executor timeline ----------
  // Shades spans where no Spark job ran (driver-side time), under the datasets.
  const idlePlugin = {
    id: 'triIdleGaps',
    beforeDatasetsDraw: function (chart, _args, opts) {
      const gaps = opts && opts.gaps
      if (!gaps || gaps.length === 0) return
      const x = chart.scales.x
      const area = chart.chartArea
      const ctx = chart.ctx
      ctx.save()
      ctx.fillStyle = COLORS.idle
      gaps.forEach(function (g) {
        const a = Math.max(area.left, x.getPixelForValue(g.start))
        const b = Math.min(area.right, x.getPixelForValue(g.end))
        if (b > a) ctx.fillRect(a, area.top, b - a, area.bottom - area.top)
      })
      ctx.restore()
    }
  }

  function drawTimeline (Chart, canvas, data) {
    const tl = data.timeline
    const end = Math.max(data.application.duration || 0, tl.executors.length ? tl.executors[tl.executors.length - 1].t : 0,
      tl.busy.length ? tl.busy[tl.busy.length - 1].t + tl.busyBucketMs : 0)
    const steps = tl.executors.slice()
    if (steps.length > 0 && steps[steps.length - 1].t < end) steps.push({ t: end, executors: steps[steps.length - 1].executors, cores: steps[steps.length - 1].cores })
    function executorsAt (t) {
      let n = 0
      for (let i = 0; i < tl.executors.length && tl.executors[i].t <= t; i++) n = tl.executors[i].executors
      return n
    }
    function markerPoints (kind) {
      return tl.markers.filter(function (m) { return m.kind === kind }).map(function (m) {
        return { x: m.t, y: executorsAt(m.t), marker: m }
      })
    }
    const maxCores = steps.reduce(function (a, p) { return Math.max(a, p.cores) }, 0)
    const maxExec = steps.reduce(function (a, p) { return Math.max(a, p.executors) }, 0)
    return new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'Busy cores', data: tl.busy.map(function (p) { return { x: p.t, y: p.cores } }), stepped: 'after', fill: 'origin', backgroundColor: COLORS.busy, borderColor: COLORS.busyLine, borderWidth: 1, pointRadius: 0, yAxisID: 'y', order: 3 },
          { label: 'Cores', data: steps.map(function (p) { return { x: p.t, y: p.cores } }), stepped: 'after', borderColor: COLORS.cores, backgroundColor: COLORS.cores, borderWidth: 2, pointRadius: 0, yAxisID: 'y', order: 2 },
          { label: 'Executors', data: steps.map(function (p) { return { x: p.t, y: p.executors } }), stepped: 'after', borderColor: COLORS.executors, backgroundColor: COLORS.executors, borderDash: [6, 4], borderWidth: 2, pointRadius: 0, yAxisID: 'y1', order: 1 },
          { type: 'scatter', label: 'Executor added', data: markerPoints('added'), clip: 10, pointStyle: 'triangle', pointRadius: 6, pointHoverRadius: 8, backgroundColor: COLORS.added, borderColor: '#fff', borderWidth: 1, yAxisID: 'y1', order: 0 },
          { type: 'scatter', label: 'Executor removed', data: markerPoints('removed'), clip: 10, pointStyle: 'crossRot', pointRadius: 8, pointHoverRadius: 10, borderColor: COLORS.removed, backgroundColor: COLORS.removed, borderWidth: 3, yAxisID: 'y1', order: 0 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        layout: { padding: { right: 8, top: 6 } },
        scales: {
          x: { type: 'linear', min: 0, max: end, title: { display: true, text: 'time since the application started' }, ticks: { maxTicksLimit: 10, callback: function (v) { return clock(v) } } },
          y: { beginAtZero: true, suggestedMax: Math.max(1, maxCores), title: { display: true, text: 'cores', color: COLORS.cores }, ticks: { precision: 0, color: COLORS.cores } },
          y1: { position: 'right', beginAtZero: true, suggestedMax: Math.max(1, maxExec + 1), title: { display: true, text: 'executors', color: COLORS.executors }, ticks: { precision: 0, color: COLORS.executors }, grid: { drawOnChartArea: false } }
        },
        plugins: {
          triIdleGaps: { gaps: tl.idleGaps },
          legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 10 } },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? clock(items[0].parsed.x) : '' },
              label: function (item) {
                const m = item.raw && item.raw.marker
                if (m) return 'Executor ' + m.executorId + ' ' + m.kind + ' (' + m.cores + ' cores)' + (m.reason ? ': ' + m.reason : '')
                const y = item.parsed.y
                return item.dataset.label + ': ' + (item.dataset.label === 'Busy cores' ? y.toFixed(1) : y)
              }
            }
          }
        }
      },
      plugins: [idlePlugin]
    })
  }

  // ---------- stage breakdown ----------
  // With many stages the chart is wider than its card and scrolls sideways, which would take its value axes (and
  // their titles) out of view. This copies each axis strip of the drawn chart onto a small canvas pinned over the
  // scroll box's edge. Copying the pixels, rather than drawing a second Chart, keeps the pinned axis identical to the
  // real one (ticks, step sizes, fonts) through view toggles, redraws and resizes.
  const axisPinPlugin = {
    id: 'triAxisPin',
    afterInit: function (chart) {
      const wrap = chart.canvas.closest('.chart-pin')
      const scroller = wrap && wrap.querySelector('.chart-scroll')
      if (!scroller) return
      const pin = {
        scroller,
        left: wrap.querySelector('[data-axis-pin="left"]'),
        right: wrap.querySelector('[data-axis-pin="right"]'),
        onScroll: function () { showPins(chart) },
        observer: typeof ResizeObserver === 'function' ? new ResizeObserver(function () { showPins(chart) }) : null
      }
      chart.$triPin = pin
      scroller.addEventListener('scroll', pin.onScroll, { passive: true })
      if (pin.observer) pin.observer.observe(scroller)
    },
    // the axes are drawn before the datasets, so this copy holds no bars and no tooltip
    beforeDatasetsDraw: function (chart) {
      const pin = chart.$triPin
      if (!pin) return
      copyAxis(chart, pin.left, chart.scales.y)
      copyAxis(chart, pin.right, chart.scales.y1)
      showPins(chart)
    },
    afterDestroy: function (chart) {
      const pin = chart.$triPin
      if (!pin) return
      pin.scroller.removeEventListener('scroll', pin.onScroll)
      if (pin.observer) pin.observer.disconnect()
      if (pin.left) pin.left.hidden = true
      if (pin.right) pin.right.hidden = true
      delete chart.$triPin
    }
  }

  function copyAxis (chart, target, scale) {
    if (!target) return
    if (!scale) { target.removeAttribute('data-has-axis'); return }
    const ratio = chart.currentDevicePixelRatio || 1
    const src = chart.canvas
    // The strip runs from the canvas edge to the plot area, and down to just below the x axis line (room for the
    // lowest tick label): the x labels further down stay out, and uncovered, since the first ones lean into it.
    const onLeft = scale.position === 'left'
    const x0 = onLeft ? 0 : Math.floor(scale.left * ratio)
    const x1 = onLeft ? Math.ceil(scale.right * ratio) : src.width
    const h = Math.min(src.height, Math.ceil((chart.chartArea.bottom + 8) * ratio))
    if (x1 <= x0 || h <= 0) return
    target.width = x1 - x0
    target.height = h
    target.style.width = (x1 - x0) / ratio + 'px'
    target.style.height = h / ratio + 'px'
    const ctx = target.getContext('2d')
    ctx.clearRect(0, 0, target.width, target.height)
    ctx.drawImage(src, x0, 0, x1 - x0, h, 0, 0, x1 - x0, h)
    target.setAttribute('data-has-axis', '')
  }

  // Pinned only while the chart overflows; is-over marks a pin with bars scrolled underneath it (shadow).
  function showPins (chart) {
    const pin = chart.$triPin
    if (!pin) return
    const sc = pin.scroller
    const overflow = sc.scrollWidth > sc.clientWidth + 1
    const rest = sc.scrollWidth - sc.clientWidth - sc.scrollLeft
    if (pin.left) {
      pin.left.hidden = !(overflow && pin.left.hasAttribute('data-has-axis'))
      pin.left.classList.toggle('is-over', sc.scrollLeft > 1)
    }
    if (pin.right) {
      pin.right.hidden = !(overflow && pin.right.hasAttribute('data-has-axis'))
      pin.right.classList.toggle('is-over', rest > 1)
    }
  }

  function stageTitle (rows, items) {
    if (!items.length) return ''
    const r = rows[items[0].dataIndex]
    return r.label + (r.count > 1 ? '' : ' · ' + r.numTasks + ' tasks') + (r.name ? '\n' + r.name.slice(0, 90) : '')
  }

  function drawStages (Chart, canvas, data, view, root) {
    const rows = data.stages.rows
    const labels = rows.map(function (r) { return r.label })
    const common = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      onClick: function (_e, els) {
        if (!els.length) return
        const r = rows[els[0].index]
        const target = r && r.stageId !== null ? root.querySelector('#stage-' + r.stageId) : null
        if (target) highlight(target)
      },
      // the legend is HTML outside the sideways-scrolling box, so it stays in view
      plugins: { legend: { display: false } }
    }
    const xAxis = { stacked: view === 'time', ticks: { autoSkip: true, maxRotation: 60, minRotation: 0, font: { size: 11 } } }
    if (view === 'time') {
      const parts = [
        ['Compute', 'computeMs', COLORS.compute], ['GC', 'gcMs', COLORS.gc], ['Scheduler delay', 'schedulerDelayMs', COLORS.scheduler],
        ['Deserialisation', 'deserializeMs', COLORS.deserialize], ['Result serialisation', 'resultSerializationMs', COLORS.resultSer], ['Getting result', 'gettingResultMs', COLORS.gettingResult]
      ]
      return new Chart(canvas, {
        type: 'bar',
        data: {
          labels,
          datasets: parts.map(function (p) {
            return { label: p[0], data: rows.map(function (r) { return r[p[1]] }), backgroundColor: p[2], stack: 'time', barPercentage: 0.9, categoryPercentage: 0.9 }
          })
        },
        options: Object.assign({}, common, {
          scales: {
            x: xAxis,
            y: { stacked: true, beginAtZero: true, title: { display: true, text: 'task time, summed over tasks' }, ticks: { callback: function (v) { return v === 0 ? '0' : duration(v) } } }
          },
          plugins: Object.assign({}, common.plugins, {
            tooltip: {
              callbacks: {
                title: function (items) { return stageTitle(rows, items) },
                label: function (item) { return item.dataset.label + ': ' + duration(item.parsed.y) },
                footer: function (items) {
                  const total = items.reduce(function (a, i) { return a + i.parsed.y }, 0)
                  return 'Total: ' + duration(total)
                }
              }
            }
          })
        }),
        plugins: [axisPinPlugin]
      })
    }
    const series = [['Input', 'inputBytes', COLORS.input], ['Shuffle read', 'shuffleReadBytes', COLORS.shuffleRead], ['Shuffle write', 'shuffleWriteBytes', COLORS.shuffleWrite], ['Spill (disk)', 'diskSpillBytes', COLORS.spill]]
    function maxOf (sets) { return sets.reduce(function (m, d) { return d.data.reduce(function (a, v) { return v > a ? v : a }, m) }, 0) }
    const datasets = series.map(function (p) {
      return { type: 'bar', label: p[0], data: rows.map(function (r) { return r[p[1]] }), backgroundColor: p[2], yAxisID: 'y', order: 2, barPercentage: 0.95, categoryPercentage: 0.85 }
    })
    datasets.push({ type: 'line', label: 'Data per task', data: rows.map(function (r) { return r.bytesPerTask }), borderColor: COLORS.perTask, backgroundColor: COLORS.perTask, borderWidth: 1.5, pointRadius: rows.length > 80 ? 0 : 2.5, spanGaps: true, yAxisID: 'y1', order: 1 })
    return new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: Object.assign({}, common, {
        scales: {
          x: xAxis,
          y: { beginAtZero: true, title: { display: true, text: 'bytes per stage' }, ticks: { stepSize: byteStep(maxOf(datasets.slice(0, 4))), callback: function (v) { return bytes(v) } } },
          y1: { position: 'right', beginAtZero: true, title: { display: true, text: 'MB per task' }, grid: { drawOnChartArea: false }, ticks: { callback: function (v) { return (v / 1048576).toFixed(v >= 10485760 ? 0 : 1) + ' MB' } } }
        },
        plugins: Object.assign({}, common.plugins, {
          tooltip: {
            callbacks: {
              title: function (items) { return stageTitle(rows, items) },
              label: function (item) { return item.dataset.label + ': ' + (item.dataset.yAxisID === 'y1' ? (item.parsed.y === null ? '–' : (item.parsed.y / 1048576).toFixed(1) + ' MB') : bytes(item.parsed.y)) }
            }
          }
        })
      }),
      plugins: [axisPinPlugin]
    })
  }

  // What-if: executors (x) → estimated wall clock (y), today's point marked, the critical path as a floor line.
  function drawWhatIf (Chart, canvas, data) {
    const w = data.whatIf
    const pts = w.points.map(function (p) { return { x: p.executors, y: p.wallClockMs } })
    const today = w.points.filter(function (p) { return p.factor === 1 }).map(function (p) { return { x: p.executors, y: p.wallClockMs } })
    const xs = pts.map(function (p) { return p.x })
    const floor = [{ x: Math.min.apply(null, xs), y: w.criticalPathMs }, { x: Math.max.apply(null, xs), y: w.criticalPathMs }]
    return new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'Estimated wall clock', data: pts, borderColor: COLORS.cores, backgroundColor: COLORS.cores, borderWidth: 2, pointRadius: 3, order: 2 },
          { label: 'Today', data: today, showLine: false, borderColor: COLORS.removed, backgroundColor: COLORS.removed, pointRadius: 6, pointStyle: 'rectRot', order: 1 },
          { label: 'Critical path (unlimited executors)', data: floor, borderColor: COLORS.gettingResult, borderDash: [6, 4], borderWidth: 1, pointRadius: 0, order: 3 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'executors' }, ticks: { callback: function (v) { return xs.indexOf(v) >= 0 ? String(v) : '' } } },
          y: { beginAtZero: true, title: { display: true, text: 'wall clock' }, ticks: { callback: function (v) { return v === 0 ? '0' : duration(v) } } }
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ': ' + duration(item.parsed.y) + ' with ' + item.parsed.x + ' executors' } } }
        }
      }
    })
  }

  function setStageView (root, data, view) {
    const canvas = root.querySelector('#chart-stages')
    if (!canvas || !window.Chart) return
    destroyChart('stages')
    charts.stages = drawStages(window.Chart, canvas, data, view, root)
    root.querySelectorAll('[data-stage-view]').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-stage-view') === view)) })
    root.querySelectorAll('[data-stage-caption]').forEach(function (p) { p.hidden = p.getAttribute('data-stage-caption') !== view })
  }

  // ---------- init ----------
  function initCharts (root) {
    if (!root || root.getAttribute('data-charts')) return
    const url = root.getAttribute('data-analysis-url')
    if (!url) return
    root.setAttribute('data-charts', 'loading')
    status(root, 'timeline', 'Loading the charts…')
    status(root, 'stages', '')
    const dataPromise = fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error('the chart data could not be loaded (HTTP ' + r.status + ')')
      return r.json()
    })
    Promise.all([dataPromise, loadChartJs(root.getAttribute('data-chart-src'))]).then(function (res) {
      const data = res[0]
      const Chart = res[1]
      if (!root.isConnected) return
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily
      Chart.defaults.color = '#3d4650'
      destroyDetached()
      const n = data.stages.rows.length
      const tlCanvas = root.querySelector('#chart-timeline')
      const stCanvas = root.querySelector('#chart-stages')
      if (tlCanvas) {
        destroyChart('timeline')
        charts.timeline = drawTimeline(Chart, tlCanvas, data)
      }
      const wiCanvas = root.querySelector('#chart-whatif')
      if (wiCanvas && data.whatIf) {
        destroyChart('whatif')
        charts.whatif = drawWhatIf(Chart, wiCanvas, data)
      }
      if (stCanvas) {
        // past ~50 bars the chart gets wider than the card and scrolls, so labels stay legible
        const box = stCanvas.parentElement
        if (n > 50) box.style.width = Math.max(n * 12 + 120, 600) + 'px'
        setStageView(root, data, 'time')
        root.querySelectorAll('[data-stage-view]').forEach(function (b) {
          b.addEventListener('click', function () { setStageView(root, data, b.getAttribute('data-stage-view')) })
        })
      }
      const s = data.timeline.sampled
      status(root, 'timeline', s.busy[0] > s.busy[1] || s.executors[0] > s.executors[1]
        ? 'Downsampled for drawing: ' + s.busy[1] + ' of ' + s.busy[0] + ' busy-core points, keeping steps and peaks.'
        : '')
      status(root, 'stages', data.stages.grouped > 0
        ? 'The ' + (data.stages.rows.length - 1) + ' longest of ' + data.stages.total + ' stage attempts; the other ' + data.stages.grouped + ' are summed in the last bar.'
        : (n > 50 ? n + ' stages: scroll sideways; click a bar to find its row.' : 'Click a bar to find its row in the table.'))
      root.setAttribute('data-charts', 'ready')
    }).catch(function (err) {
      root.setAttribute('data-charts', 'error')
      status(root, 'timeline', 'The charts could not be drawn: ' + err.message + '. The tables below hold the numbers.')
    })
  }

  function initIn (el) {
    if (!el || !el.querySelectorAll) return
    if (el.id === 'dashboard-content') initCharts(el)
    el.querySelectorAll('#dashboard-content').forEach(initCharts)
  }

  // ---------- sliding panel ----------
  const panel = { open: false, opener: null, openerUrl: null, pushed: false, path: null }
  let lastPushed = null
  // The last panel closed over this page, so Forward onto its history entry can slide it back in; and the path of a
  // panel being fetched again for that.
  let lastPanel = null
  let reopening = null
  function pathOnly (url) { return String(url).split('#')[0].split('?')[0] }

  function panelEl () { return document.getElementById('dashboard-panel') }
  function dialogEl () { const p = panelEl(); return p ? p.querySelector('[role="dialog"]') : null }

  // The page under the dialog must not take focus or clicks (aria-modal tells screen readers; inert tells everyone).
  function setBackgroundInert (keep, on) {
    Array.prototype.forEach.call(document.body.children, function (c) {
      if (c.id === 'dashboard-panel' || c === keep || c.tagName === 'SCRIPT') return
      if (on) c.setAttribute('inert', '')
      else c.removeAttribute('inert')
    })
  }

  function openPanel (el) {
    const reopened = reopening !== null
    reopening = null
    panel.open = true
    panel.path = el.getAttribute('data-dash-url')
    // a reopened panel sits on the history entry its first opening pushed
    panel.pushed = reopened || (lastPushed !== null && lastPushed === panel.path)
    document.documentElement.classList.add('dash-open')
    setBackgroundInert(el, true)
    const d = dialogEl()
    if (d) d.focus({ preventScroll: true })
    // Back pressed again while the panel was being fetched: it arrives on the page's own entry
    if (reopened && location.pathname !== panel.path) removePanel()
  }

  function reopenPanel (last) {
    panel.opener = last.opener
    panel.openerUrl = last.openerUrl
    reopening = last.path
    window.htmx.ajax('GET', location.pathname + location.search, { target: '#dashboard-panel', swap: 'outerHTML' })
  }

  function removePanel () {
    const el = panelEl()
    if (el) {
      const fresh = document.createElement('div')
      fresh.id = 'dashboard-panel'
      el.replaceWith(fresh)
    }
    destroyDetached()
    document.documentElement.classList.remove('dash-open')
    setBackgroundInert(null, false)
    const back = panel.opener
    if (panel.path !== null) lastPanel = { path: panel.path, openerUrl: panel.openerUrl, opener: back }
    panel.open = false
    panel.pushed = false
    lastPushed = null
    panel.opener = null
    if (back && back.isConnected) back.focus()
    else { const main = document.getElementById('main'); if (main) main.focus() }
  }

  function closePanel () {
    if (!panel.open) return
    if (panel.pushed && location.pathname === panel.path) {
      // back to the page underneath: the popstate handler below removes the panel without a reload
      history.back()
      return
    }
    if (panel.openerUrl && location.pathname === panel.path) history.replaceState(history.state, '', panel.openerUrl)
    removePanel()
  }

  // Runs before htmx's own popstate handler (window.onpopstate), which would fetch the entry's URL as a full page
  // (no history cache) and swap it in for the body. Back from the dashboard URL to the page the panel opened on only
  // closes the panel, so the page keeps its state (expanded DBX details, scroll); Forward onto that dashboard entry
  // again slides the panel back in over the same page.
  window.addEventListener('popstate', function (e) {
    if (panel.open) {
      if (location.pathname === panel.path) return
      const same = panel.openerUrl !== null && location.href === panel.openerUrl
      removePanel()
      if (same) e.stopImmediatePropagation()
      return
    }
    const last = lastPanel
    if (last === null || location.pathname !== last.path || !panelEl() || !window.htmx) return
    e.stopImmediatePropagation()
    reopenPanel(last)
  }, true)

  document.addEventListener('click', function (e) {
    const link = e.target.closest && e.target.closest('[data-dashboard-link]')
    if (link) {
      panel.opener = link
      panel.openerUrl = location.href
      return
    }
    const hash = e.target.closest && e.target.closest('#dashboard-panel a[href^="#"]')
    if (hash) {
      // In-panel jumps (flag evidence -> stage row) replace the URL's fragment instead of adding history entries,
      // so Back and Escape still leave the dashboard in one step.
      const row = document.getElementById(decodeURIComponent(hash.getAttribute('href').slice(1)))
      if (row) {
        e.preventDefault()
        highlight(row)
        history.replaceState(history.state, '', hash.getAttribute('href'))
      }
      return
    }
    const closer = e.target.closest && e.target.closest('[data-dash-close]')
    if (closer && panelEl() && panelEl().contains(closer)) {
      e.preventDefault()
      closePanel()
    }
  }, true)

  document.addEventListener('keydown', function (e) {
    if (!panel.open) return
    if (e.key === 'Escape') {
      e.preventDefault()
      closePanel()
      return
    }
    if (e.key === 'Tab') {
      // keep focus inside the dialog (aria-modal)
      const d = dialogEl()
      if (!d) return
      const items = Array.prototype.filter.call(d.querySelectorAll('a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])'), function (x) { return x.offsetParent !== null })
      if (items.length === 0) return
      const first = items[0]
      const last = items[items.length - 1]
      if (e.shiftKey && (document.activeElement === first || document.activeElement === d)) { e.preventDefault(); last.focus() } else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus() }
    }
  })

  function onNewContent (elt) {
    if (!elt) return
    if (elt.id === 'dashboard-panel' && elt.querySelector('[role="dialog"]')) openPanel(elt)
    initIn(elt)
  }

  document.addEventListener('htmx:load', function (e) { onNewContent(e.detail && e.detail.elt) })
  document.addEventListener('htmx:afterSettle', function (e) {
    const p = panelEl()
    if (p && !panel.open && p.querySelector('[role="dialog"]')) openPanel(p)
    initIn(e.detail && e.detail.elt)
    if (p) initIn(p)
  })
  document.addEventListener('htmx:pushedIntoHistory', function (e) {
    lastPushed = e.detail && e.detail.path ? pathOnly(e.detail.path) : null
    // a new entry drops the forward ones, the closed panel's among them
    lastPanel = null
    if (panel.open && lastPushed === panel.path) panel.pushed = true
  })
  document.addEventListener('htmx:historyRestore', function () {
    // the page under any closed panel is gone
    lastPanel = null
    reopening = null
    document.documentElement.classList.remove('dash-open')
    setBackgroundInert(null, false)
    panel.open = false
    destroyDetached()
    initIn(document.body)
  })

  // a printout shows all the evidence, not only the first lines
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details.evidence-more').forEach(function (d) { d.open = true })
  })

  // legends and toggles only make sense once charts can draw
  document.documentElement.classList.add('js-charts')
  function start () { initIn(document.body) }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()

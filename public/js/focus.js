// Keyboard focus across htmx swaps. A swap that removes the focused element (a button replaced by its own result,
// the DBX panel's Close) would drop focus onto <body>, and a keyboard user would start again from the top of the
// page. After a swap caused by a request made with the focus on its element (not a poll while the reader is
// elsewhere), this puts the focus somewhere sensible:
//   - a disclosure link (aria-controls naming the swap target) that opened its region: into the region, on its
//     element marked data-autofocus (the DBX panel's heading);
//   - focus lost: the new content's data-autofocus element (the download box); else the element that had the focus
//     if it is still there (Collect, re-enabled); else the link that controls a region now emptied (DBX ▸ after
//     Close); else the new content itself.
// Elements with an id keep focus through a swap without help (htmx refocuses the element with the same id).
// Plain browser JS with no build step: the page's CSP allows only our own scripts.
/* global CSS */
(function () {
  'use strict'

  // Read before htmx disables the element for the request.
  document.addEventListener('htmx:beforeRequest', function (e) {
    const d = e.detail || {}
    const a = document.activeElement
    if (!d.xhr) return
    d.xhr.triFocused = a !== null && a !== document.body && ((d.elt && d.elt.contains(a)) || (d.target && d.target.contains(a))) ? a : null
  })

  function focusLost () {
    const a = document.activeElement
    return a === null || a === document.body || a === document.documentElement || !a.isConnected
  }

  function canFocus (el) {
    return Boolean(el) && el.nodeType === 1 && el.isConnected && !el.disabled && !el.closest('[inert]') && el.getClientRects().length > 0
  }

  function focusOn (el) {
    if (!el.matches('a[href], button, input, select, textarea, summary, [tabindex]')) el.setAttribute('tabindex', '-1')
    el.focus()
  }

  document.addEventListener('htmx:afterSettle', function (e) {
    const d = e.detail || {}
    const had = d.xhr ? d.xhr.triFocused : null
    if (!had) return
    // innerHTML swaps settle on their target; outerHTML swaps on the new element (the old target is gone)
    const target = [d.target, e.target, d.elt].find(function (el) { return el && el.nodeType === 1 && el.isConnected }) || null
    if (target === null) return
    const auto = target.matches('[data-autofocus]') ? target : target.querySelector('[data-autofocus]')
    const source = d.requestConfig && d.requestConfig.elt
    if (source && target.id && source.getAttribute('aria-controls') === target.id && canFocus(auto)) return focusOn(auto)
    if (!focusLost()) return
    if (canFocus(auto)) return focusOn(auto)
    if (canFocus(had)) return focusOn(had)
    if (target.id && target.children.length === 0) {
      const opener = document.querySelector('[aria-controls="' + CSS.escape(target.id) + '"]')
      if (canFocus(opener)) return focusOn(opener)
    }
    if (canFocus(target)) focusOn(target)
  })

  // a disclosure link says whether its region is open
  document.addEventListener('htmx:afterSettle', function () {
    document.querySelectorAll('a[aria-controls][hx-get]').forEach(function (a) {
      const region = document.getElementById(a.getAttribute('aria-controls'))
      if (region) a.setAttribute('aria-expanded', region.children.length > 0 ? 'true' : 'false')
    })
  })
})()

// Upload progress of the "Analyse a log file you have" form: htmx reports the bytes sent (htmx:xhr:progress on the
// form); this shows them on the form's <progress>. Without JavaScript the form is a plain multipart POST.
// Plain browser JS with no build step: the page's CSP allows only our own scripts.
/* global HTMLFormElement */
(function () {
  'use strict'

  document.addEventListener('htmx:xhr:progress', function (e) {
    const form = e.target
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('eventlog-upload')) return
    const d = e.detail || {}
    const bar = form.querySelector('progress.upload-progress')
    if (!bar || !d.lengthComputable || !(d.total > 0)) return
    const pct = Math.min(100, Math.floor((d.loaded / d.total) * 100))
    bar.hidden = false
    bar.value = pct
    bar.textContent = pct + '%'
    bar.setAttribute('aria-valuetext', pct + '% sent')
  })
})()

// Preloaded (node --import) into a measured child process: at exit it prints, on stderr, its own peak RSS and CPU
// time. Peak RSS is VmHWM of this address space: getrusage's maxRSS is inherited across fork on Linux.
import { readFileSync } from 'node:fs'

process.on('exit', () => {
  let rssMB = process.resourceUsage().maxRSS / 1024
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) rssMB = Number(m[1]) / 1024
  } catch {
    // not Linux
  }
  const cpu = process.cpuUsage()
  process.stderr.write(`\n@@bench ${JSON.stringify({ rssMB, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`)
})

import type { SampleLogs } from './sample-logs.js'
export interface DbfsFileInfo {
  path: string
  is_dir: boolean
  file_size: number
  modification_time: number
}
export class Dbfs {
  constructor(readonly samples: SampleLogs) {}
  async close(): Promise<void> {}
}

export class SampleLogs {
  constructor(readonly opts: { cacheDir?: string | undefined }) {}
}

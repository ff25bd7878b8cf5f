import type { ExtractingAdapter } from './adapter-extract.js'
import type { HidingAdapter } from './adapter-hide.js'
import type { OptionsAdapter } from './adapter-options.js'

/** Everything the middleware suites ask of an adapter: one object serves all five. */
export type MiddlewareAdapter<M, Skip> = ExtractingAdapter<M, Skip> &
	HidingAdapter<M, Skip> &
	OptionsAdapter<M, Skip>

import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { KeywardClientError } from './errors.js'
import { checkOptionNames } from './option-names.js'

/** The input side of a prompt: `process.stdin`, or any readable stream in tests. */
export type PromptInput = Readable & {
	/** `true` for a terminal; only then is echo switched off. */
	isTTY?: boolean | undefined
	/** Whether the terminal is in raw mode now (restored afterwards). */
	isRaw?: boolean | undefined
	/** Switch the terminal's raw mode (no echo, no line editing, no signals). */
	setRawMode?: ((mode: boolean) => unknown) | undefined
}

/** The output side of a prompt: `process.stderr`, or anything with `write` in tests. */
export interface PromptOutput {
	write(text: string): unknown
}

/** Options of {@link promptHidden}. */
export interface PromptHiddenOptions {
	/** Where keystrokes come from. @defaultValue process.stdin */
	input?: PromptInput | undefined
	/** Where the question goes; stderr keeps stdout clean for piping. @defaultValue process.stderr */
	output?: PromptOutput | undefined
	/** The question. @defaultValue 'API key: ' */
	message?: string | undefined
}

const ENTER = new Set(['\r', '\n'])
const BACKSPACE = new Set(['\x7f', '\b'])
const CTRL_C = '\x03'
const CTRL_D = '\x04'
const CTRL_U = '\x15'
const ESC = '\x1b'

/**
 * Asks for a secret without echoing it. On a terminal, raw mode is switched on and keystrokes
 * are read one by one: Enter submits, Backspace deletes, Ctrl-U clears, Ctrl-C (or Ctrl-D on an
 * empty line) rejects with `KeywardClientError('prompt_cancelled')`, and escape sequences (arrow
 * keys, bracketed paste markers) are ignored. Nothing typed is ever written to `output`. On other
 * streams (piped input) the first line is read. The terminal's mode is restored in every case.
 *
 * @example const key = await promptHidden({ message: 'Example API key: ' })
 */
export function promptHidden(options: Readonly<PromptHiddenOptions> = {}): Promise<string> {
	checkOptionNames(options, 'promptHidden')
	const input: PromptInput = options.input ?? process.stdin
	const output: PromptOutput = options.output ?? process.stderr
	const tty = input.isTTY === true && typeof input.setRawMode === 'function'
	const wasRaw = input.isRaw === true
	output.write(options.message ?? 'API key: ')

	return new Promise<string>((resolve, reject) => {
		const decoder = new StringDecoder('utf8')
		const chars: string[] = []
		let sequence: 'none' | 'start' | 'csi' | 'ss3' = 'none'
		let done = false

		const finish = (error: Error | null): void => {
			if (done) return
			done = true
			input.off('data', onData)
			input.off('end', onEnd)
			input.off('error', onError)
			if (tty) input.setRawMode?.(wasRaw)
			input.pause()
			output.write('\n')
			if (error === null) resolve(chars.join(''))
			else reject(error)
		}
		const cancel = (): void => finish(new KeywardClientError('prompt_cancelled', 'The prompt was cancelled.'))

		const onKey = (ch: string): void => {
			if (sequence !== 'none') {
				if (sequence === 'start') sequence = ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : 'none'
				else if (sequence === 'ss3') sequence = 'none'
				else if (ch >= '\x40' && ch <= '\x7e') sequence = 'none' // final byte of a CSI sequence
			} else if (ENTER.has(ch)) finish(null)
			else if (ch === CTRL_C || (ch === CTRL_D && chars.length === 0)) cancel()
			else if (BACKSPACE.has(ch)) chars.pop()
			else if (ch === CTRL_U) chars.length = 0
			else if (ch === ESC) sequence = 'start'
			else if (ch >= ' ') chars.push(ch) // other control characters (Tab, a late Ctrl-D) are not part of a key
		}
		function onData(chunk: Buffer | string): void {
			const text = typeof chunk === 'string' ? chunk : decoder.write(chunk)
			for (const ch of text) {
				onKey(ch)
				if (done) return
			}
		}
		function onEnd(): void {
			// A pipe may end without a final newline; a terminal that closes cancels.
			if (!tty && chars.length > 0) finish(null)
			else cancel()
		}
		function onError(error: Error): void {
			finish(error)
		}

		if (tty) input.setRawMode?.(true)
		input.on('data', onData)
		input.on('end', onEnd)
		input.on('error', onError)
		input.resume()
	})
}

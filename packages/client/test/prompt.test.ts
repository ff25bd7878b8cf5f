import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { isKeywardClientError } from '../src/errors.js'
import { promptHidden } from '../src/prompt.js'
import { FakeTerminal, KEY, recorder } from './helpers.js'

/** Starts a prompt on a fake terminal and types `keys` into it, one chunk each. */
function typeInto(keys: (string | Buffer)[], message?: string) {
	const input = new FakeTerminal()
	const output = recorder()
	const answer = promptHidden({ input, output, message })
	for (const chunk of keys) input.write(chunk)
	return { answer, input, output }
}

describe('promptHidden on a terminal', () => {
	it('reads keystrokes in raw mode, echoes nothing and restores the terminal', async () => {
		const { answer, input, output } = typeInto([...KEY, '\r'], 'Example API key: ')
		expect(await answer).toBe(KEY)
		expect(output.text).toBe('Example API key: \n')
		expect(input.rawModes).toEqual([true, false])
		expect(input.isRaw).toBe(false)
		expect(input.isPaused()).toBe(true)
		expect(input.listenerCount('data')).toBe(0)
	})

	it('accepts a pasted key followed by Enter in one chunk, and a newline as Enter', async () => {
		expect(await typeInto([`${KEY}\r`]).answer).toBe(KEY)
		expect(await typeInto([`${KEY}\n`]).answer).toBe(KEY)
	})

	it('handles Backspace (DEL and ^H) and Ctrl-U', async () => {
		expect(await typeInto(['kw_x', '\x7f', '\x7f', '_', 'abcd', '\b', '\r']).answer).toBe('kw_abc')
		expect(await typeInto(['\x7f', 'wrong', '\x15', 'kw_ok', '\r']).answer).toBe('kw_ok')
	})

	it('ignores arrow keys, bracketed paste markers and other control characters', async () => {
		const keys = ['kw', '\x1b[D', '\x1b[200~', '_a', '\x1b[201~', '\t', '\x1bOA', 'b', '\x1b[3~', '\r']
		expect(await typeInto(keys).answer).toBe('kw_ab')
	})

	it('decodes multi-byte characters split across chunks', async () => {
		const bytes = Buffer.from('é\r')
		expect(await typeInto([bytes.subarray(0, 1), bytes.subarray(1)]).answer).toBe('é')
	})

	it('rejects with prompt_cancelled on Ctrl-C, restoring the terminal', async () => {
		const { answer, input, output } = typeInto(['kw_secret', '\x03'])
		const error = await answer.catch((e: unknown) => e)
		expect(isKeywardClientError(error, 'prompt_cancelled')).toBe(true)
		expect(input.rawModes).toEqual([true, false])
		expect(output.text).not.toContain('kw_secret')
	})

	it('cancels on Ctrl-D on an empty line only, and when the terminal closes', async () => {
		const empty = await typeInto(['\x04']).answer.catch((e: unknown) => e)
		expect(isKeywardClientError(empty, 'prompt_cancelled')).toBe(true)
		expect(await typeInto(['kw', '\x04', '_z', '\r']).answer).toBe('kw_z')
		const { answer, input } = typeInto(['kw_partial'])
		input.end()
		expect(isKeywardClientError(await answer.catch((e: unknown) => e), 'prompt_cancelled')).toBe(true)
	})

	it('leaves a terminal that was already raw in raw mode', async () => {
		const input = new FakeTerminal()
		input.isRaw = true
		const answer = promptHidden({ input, output: recorder() })
		input.write('kw_1\r')
		expect(await answer).toBe('kw_1')
		expect(input.rawModes).toEqual([true, true])
	})

	it('passes stream errors on', async () => {
		const input = new FakeTerminal()
		const answer = promptHidden({ input, output: recorder() })
		input.destroy(new Error('EIO'))
		await expect(answer).rejects.toThrow('EIO')
	})
})

describe('promptHidden on a pipe', () => {
	it('reads the first line without touching raw mode', async () => {
		const input = new PassThrough()
		const output = recorder()
		const answer = promptHidden({ input, output })
		input.end(`${KEY}\nsecond line\n`)
		expect(await answer).toBe(KEY)
		expect(output.text).toBe('API key: \n')
	})

	it('accepts a last line without a newline', async () => {
		const input = new PassThrough()
		const answer = promptHidden({ input, output: recorder() })
		input.end(KEY)
		expect(await answer).toBe(KEY)
	})
})
